"""A real kiosk server in a child process, for browser tests, crash tests and the benchmark.

``build_demo_database`` migrates a fresh SQLite file (or an empty PostgreSQL database) and
fills it with the demo store;
``LiveServer`` runs the app under waitress on a free loopback port with ``KIOSK_*``
settings in its environment, waits until ``/healthz`` answers, and can stop it politely,
kill it with SIGKILL, and start it again on the same database and port. ``HttpKiosk`` is one
screen talking to it over HTTP (crash tests, benchmark).

The child is ``kiosk serve``, exactly as systemd starts it on a store server: the app under
waitress with its print workers, settings from ``KIOSK_*`` environment variables.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_demo_database(target: Path | str) -> str:
    """Create the demo store, as ``kiosk demo`` builds it (its counts included), in a new
    SQLite file at ``target`` (a path) or in the empty database a URL names (PostgreSQL);
    return its URL.

    Runs in a child process so the caller's database binding and PIN-hash settings are left
    exactly as they were.
    """
    url = target if str(target).startswith(("sqlite:", "postgresql:")) else f"sqlite:///{target}"
    code = ("import sys\nfrom kiosk import db, demo, demo_counts\n"
            "db.init(sys.argv[1])\ndb.upgrade()\n"
            "with db.connection():\n    demo.build()\n    demo_counts.seed()\n")
    subprocess.run([sys.executable, "-c", code, url], check=True, cwd=ROOT,
                   capture_output=True, timeout=120)
    return url


def child_pids(pid: int) -> list[int]:
    """The processes ``pid`` started (its server workers), from /proc."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            pass
    return children


def worker_pids(pid: int) -> list[int]:
    """The server's waitress processes: its children but the pick queue's change stream."""
    from kiosk.pick_events import PROCESS_NAME

    def name(child: int) -> bytes:
        try:
            return Path(f"/proc/{child}/comm").read_bytes().strip()
        except (FileNotFoundError, ProcessLookupError):
            return b""

    return [child for child in child_pids(pid) if name(child) != PROCESS_NAME]


def _tree_cpu_ns(pid: int) -> int:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total + sum(_tree_cpu_ns(child) for child in child_pids(pid))


class LiveServer:
    """The kiosk app under waitress in a child process (see the module docstring)."""

    def __init__(self, database_url: str, workdir: Path, *, station: str = "vault-1",
                 env: dict | None = None, program: list[str] | None = None):
        self.database_url = database_url
        # What to run in place of ``kiosk serve`` (it gets the same --host and --port).
        self.program = program or [sys.executable, "-m", "kiosk.cli", "serve"]
        self.workdir = Path(workdir)
        self.port = free_port()
        self.env = {
            "KIOSK_DATABASE": database_url,
            "KIOSK_STATION": station,
            "KIOSK_SECRET_KEY": "live-server-test",
            "KIOSK_LABEL_PRINTER": f"file://{self.workdir / 'spool'}",
            "KIOSK_RECEIPT_PRINTER": f"file://{self.workdir / 'spool'}",
            "KIOSK_METRC_URL": "http://127.0.0.1:9",
            **(env or {}),
        }
        self.proc: subprocess.Popen | None = None
        self.log_path = self.workdir / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> LiveServer:
        env = {**os.environ, **self.env}
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self.proc = subprocess.Popen(
            [*self.program, "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the kiosk server exited at start-up:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the kiosk server did not answer within {timeout}s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing, exactly like a power cut to the process."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def cpu_ns(self) -> int:
        """Nanoseconds the server has spent on a CPU so far, in all its threads and worker
        processes (from /proc; a busy machine's waiting is not counted)."""
        return _tree_cpu_ns(self.proc.pid)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""


class HttpKiosk:
    """One kiosk screen spoken for over HTTP, as its browser would: its station cookie, the
    CSRF header, htmx's request header, and the step's revision read from each fragment."""

    REV = re.compile(r'<section id="step"[^>]*data-rev="(\d+)"')
    STEP = re.compile(r'<section id="step"[^>]*data-step="(\w+)"')

    def __init__(self, base_url: str, station: str, timeout: float = 10):
        import requests

        self.base, self.timeout = base_url, timeout
        self.http = requests.Session()
        opened = self.http.get(f"{base_url}/?station={station}", timeout=timeout)
        opened.raise_for_status()
        if 'id="register"' in opened.text:
            raise AssertionError(f"{station} is not a registered station: register it first "
                                 "(Station.create, as `kiosk stations add` does)")
        self.station = station

    def post(self, path: str, data: dict):
        csrf = self.http.cookies.get("kiosk_csrf", "")
        return self.http.post(self.base + path, data=data, timeout=self.timeout,
                              headers={"HX-Request": "true", "X-CSRF-Token": csrf})

    def login(self, badge: str, pin: str) -> None:
        self.post("/login/badge", {"value": badge}).raise_for_status()
        response = self.post("/login/pin", {"badge": badge, "pin": pin})
        if "HX-Redirect" not in response.headers:
            raise AssertionError(f"login refused for badge {badge}: {response.text[:300]}")

    def start(self, workflow: str) -> int:
        response = self.post("/runs", {"workflow": workflow})
        return int(response.headers["HX-Redirect"].rstrip("/").rsplit("/", 1)[1])

    def current(self, run_id: int) -> tuple[str, int]:
        """The step on screen and its revision, as a freshly opened screen would see them."""
        response = self.http.get(f"{self.base}/runs/{run_id}", timeout=self.timeout,
                                 headers={"HX-Request": "true"})
        response.raise_for_status()
        return self.parse(response.text)

    def parse(self, html: str) -> tuple[str, int]:
        step = self.STEP.search(html)
        return (step.group(1) if step else ""), int(self.REV.search(html).group(1))

    def submit(self, run_id: int, step_id: str, value: str, rev: int):
        """Post one answer; returns (response, tone) where tone is ok, error or warn."""
        response = self.post(f"/runs/{run_id}/steps/{step_id}",
                             {"value": value, "rev": str(rev), "source": "scanner"})
        trigger = json.loads(response.headers.get("HX-Trigger", "{}"))
        return response, trigger.get("kiosk:feedback", {}).get("tone", "")

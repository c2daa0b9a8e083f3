"""A real kiosk server in a child process, for browser tests, crash tests and the benchmark.

``build_demo_database`` migrates a fresh SQLite file and fills it with the demo store;
``LiveServer`` runs the app under waitress on a free loopback port with ``KIOSK_*``
settings in its environment, waits until ``/healthz`` answers, and can stop it politely,
kill it with SIGKILL, and start it again on the same database and port.

The child runs ``waitress-serve --call kiosk:create_app``: the same factory and the same
waitress as ``kiosk serve``, without the print worker, which none of these tests need.
"""

from __future__ import annotations

import os
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


def build_demo_database(path: Path) -> str:
    """Create the demo store in a new SQLite file at ``path``; return its URL.

    Runs in a child process so the caller's database binding and PIN-hash settings are left
    exactly as they were.
    """
    url = f"sqlite:///{path}"
    code = ("import sys\nfrom kiosk import db, demo\n"
            "db.init(sys.argv[1])\ndb.upgrade()\n"
            "with db.connection():\n    demo.build()\n")
    subprocess.run([sys.executable, "-c", code, url], check=True, cwd=ROOT,
                   capture_output=True, timeout=120)
    return url


class LiveServer:
    """The kiosk app under waitress in a child process (see the module docstring)."""

    def __init__(self, database_url: str, workdir: Path, *, station: str = "vault-1",
                 threads: int = 8, env: dict | None = None):
        self.database_url = database_url
        self.workdir = Path(workdir)
        self.port = free_port()
        self.threads = threads
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

    def start(self, timeout: float = 30) -> LiveServer:
        env = {**os.environ, **self.env}
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{self.port}",
             f"--threads={self.threads}", "--ident=kiosk", "--call", "kiosk:create_app"],
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

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""

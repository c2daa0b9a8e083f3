"""Fixtures for the printing tests: the ZPL renderer (npm zpl-renderer-js), a fake network
printer on loopback that answers status queries, a private CUPS server with a raw queue
pointing at that fake printer, and a small ESC/POS reader."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from zpl_renderer import ZplRenderer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

# ~HS answer strings (ZPL II guide): string 1 field 2 paper out, field 3 pause;
# string 2 field 3 head open, field 4 ribbon out. Fields in between as a real ZD421 sends.
_HS1 = "030,{paper},{pause},1245,000,0,0,0,000,0,0,0"
_HS2 = "001,0,{head},{ribbon},0,2,4,0,00000000,1,000"
_HS3 = "1234,0"


@pytest.fixture(scope="session")
def renderer():
    """Render ZPL to images: renderer.render(zpl, width_mm, height_mm, dpi)."""
    r = ZplRenderer()
    yield r
    r.close()


class FakePrinter:
    """A network printer on 127.0.0.1: records what it is sent and answers status queries.

    ``kind`` "zebra" answers ``~HS`` with the flags set on it; "escpos" answers
    ``DLE EOT 4`` with ``paper_byte``. Status queries are not kept in ``jobs``.
    """

    def __init__(self, kind: str = "zebra"):
        self.kind = kind
        self.paper_out = self.head_open = self.paused = self.ribbon_out = False
        self.silent = False
        self.paper_out_after: int | None = None  # runs out once this many jobs have come
        self.arrived = 0  # jobs whole: a ~HS came after them (before their connection closed)
        self.paper_byte = 0x12  # DLE EOT 4: fixed bits only = paper present
        self.jobs: list[bytes] = []
        self.status_queries = 0
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.port = self.server.getsockname()[1]
        self.received = threading.Condition()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _hs(self) -> bytes:
        paper_out = self.paper_out or (self.paper_out_after is not None
                                       and self.arrived >= self.paper_out_after)
        parts = [_HS1.format(paper=int(paper_out), pause=int(self.paused or paper_out)),
                 _HS2.format(head=int(self.head_open), ribbon=int(self.ribbon_out)), _HS3]
        return b"".join(b"\x02" + p.encode() + b"\x03\r\n" for p in parts)

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn):
        data = b""
        conn.settimeout(10)
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
                if not self.silent:
                    while b"~HS" in data and self.kind == "zebra":
                        # A ~HS after a label's bytes: the kiosk waits for this answer, so
                        # the next connection's first ~HS already counts this job. The job
                        # is kept now, before answering, as a printer prints it: kept when
                        # its connection closed, a busy machine could put the next
                        # connection's job first.
                        at = data.index(b"~HS")
                        if at > 0:
                            self.arrived += 1
                            self._keep(data[:at])
                        data = data[at + 3:]
                        self.status_queries += 1
                        conn.sendall(self._hs())
                    while b"\x10\x04\x04" in data and self.kind == "escpos":
                        data = data.replace(b"\x10\x04\x04", b"", 1)
                        self.status_queries += 1
                        conn.sendall(bytes([self.paper_byte]))
        except OSError:
            pass
        finally:
            conn.close()
        if data:
            self._keep(data)

    def _keep(self, job: bytes) -> None:
        with self.received:
            self.jobs.append(job)
            self.received.notify_all()

    def wait_for_jobs(self, count: int, timeout: float = 20.0) -> list[bytes]:
        """Wait until ``count`` connections delivered data; returns what arrived."""
        deadline = time.monotonic() + timeout
        with self.received:
            while len(self.jobs) < count and time.monotonic() < deadline:
                self.received.wait(0.2)
        return list(self.jobs)

    def close(self):
        self.server.close()


@pytest.fixture
def zebra_printer():
    """A fake Zebra on 127.0.0.1:<ephemeral>; set .paper_out/.head_open/.paused to misbehave."""
    printer = FakePrinter("zebra")
    yield printer
    printer.close()


@pytest.fixture
def receipt_printer():
    """A fake ESC/POS network printer; set .paper_byte = 0x72 for paper out."""
    printer = FakePrinter("escpos")
    yield printer
    printer.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cups:
    """A private cupsd (own config, spool and port) and helpers to add raw queues."""

    def __init__(self):
        assert shutil.which("cupsd") and shutil.which("lpr"), \
            "CUPS is missing: apt-get install -y cups cups-bsd"
        self.home = Path(tempfile.mkdtemp(prefix="kiosk-cups-"))
        os.chmod(self.home, 0o755)  # the backends run as the lp user
        for name in ("etc", "spool", "cache", "state", "tmp", "log"):
            (self.home / name).mkdir(mode=0o755)
        self.port = _free_port()
        (self.home / "etc" / "cupsd.conf").write_text(
            f"Listen 127.0.0.1:{self.port}\nLogLevel warn\nDefaultAuthType None\n"
            "WebInterface No\nBrowsing No\n"
            "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n")
        h = self.home
        (h / "etc" / "cups-files.conf").write_text(
            f"ServerRoot {h}/etc\nRequestRoot {h}/spool\nCacheDir {h}/cache\n"
            f"StateDir {h}/state\nTempDir {h}/tmp\nAccessLog {h}/log/access_log\n"
            f"ErrorLog {h}/log/error_log\nPageLog {h}/log/page_log\n")
        self.proc = subprocess.Popen(["cupsd", "-f", "-c", str(h / "etc" / "cupsd.conf"),
                                      "-s", str(h / "etc" / "cups-files.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.server = f"127.0.0.1:{self.port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("cupsd did not start: " + self.log())

    def env(self) -> dict:
        return {**os.environ, "CUPS_SERVER": self.server}

    def run(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), env=self.env(), capture_output=True, text=True,
                              check=True, timeout=30)

    def add_raw_queue(self, name: str, port: int) -> str:
        """A raw queue whose socket backend sends to 127.0.0.1:port."""
        self.run("lpadmin", "-p", name, "-E", "-v", f"socket://127.0.0.1:{port}")
        return name

    def log(self) -> str:
        path = self.home / "log" / "error_log"
        return path.read_text() if path.exists() else ""

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=15)
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture(scope="session")
def cups_server():
    """A real CUPS server (Debian's cupsd) private to this test session."""
    server = Cups()
    yield server
    server.close()


@pytest.fixture
def cups(cups_server, monkeypatch):
    """The CUPS server, with CUPS_SERVER set so lpr/lpstat (and the zebra package) use it."""
    monkeypatch.setenv("CUPS_SERVER", cups_server.server)
    return cups_server

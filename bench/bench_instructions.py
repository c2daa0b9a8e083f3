"""Instructions per scan: the app's own work for one scan, counted by valgrind, not timed.

The wall-clock benchmarks move with whatever else shares the machine (on a shared host the
same code has measured 2.0 and 3.9 ms of CPU per scan an hour apart), so a change worth 10 %
can hide in them. This one counts what the processor is asked to do for a scan, which does
not move: the scan's POST through the Flask app (session, CSRF, the step view), the engine's
transaction on SQLite (WAL, synchronous=FULL) and the next step's fragment, in one process,
called as waitress calls it. HTTP parsing and the hand-over to the step writer are left out.

It runs the same scanning loop under callgrind twice, with two numbers of scans, and divides
the difference, so start-up and warm-up cancel out. Needs Debian's valgrind.

    python bench/bench_instructions.py [--scans 200]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT))

BASELINE = 20  # scans in the shorter run: its start-up and warm-up cancel the longer run's
COLLECTED = re.compile(r"Collected : (\d+)")


def scanning_loop(workdir: Path, scans: int) -> None:
    """Log in, start Move packages and take ``scans`` scans, each a WSGI call."""
    from bench_scan import SHELVES, prepare

    from kiosk import create_app
    from kiosk.demo import demo_tag

    url, where = prepare(workdir, 1)
    app = create_app({"database": url, "station": "bench-0",
                      "label_printer": f"file://{workdir}/spool",
                      "receipt_printer": f"file://{workdir}/spool"})
    client = app.test_client()
    client.get("/?station=bench-0")
    csrf = client.get_cookie("kiosk_csrf").value
    for path, form in (("/login/badge", {"value": "9100"}),
                       ("/login/pin", {"badge": "9100", "pin": "2468"})):
        client.post(path, data=form, headers={"X-CSRF-Token": csrf, "HX-Request": "true"})
    started = client.post("/runs", data={"workflow": "move_package"},
                          headers={"X-CSRF-Token": csrf, "HX-Request": "true"})
    run_id = int(started.headers["HX-Redirect"].rsplit("/", 1)[1])
    cookies = "; ".join(f"{name}={client.get_cookie(name).value}"
                        for name in ("kiosk_session", "kiosk_csrf", "kiosk_station"))
    screen = client.get(f"/runs/{run_id}", headers={"HX-Request": "true"}).data
    step = re.search(rb'data-step="(\w+)"', screen).group(1).decode()
    rev = int(re.search(rb'data-rev="(\d+)"', screen).group(1))
    tags = [demo_tag(n) for n in range(1, 13)]
    moved, replies = 0, []

    def start_response(status, headers, exc_info=None):
        replies.append((status, dict(headers)))

    for _ in range(scans):
        tag = tags[moved % len(tags)]
        value = tag if step == "package" else (SHELVES[0] if where[tag] != SHELVES[0]
                                                 else SHELVES[1])
        body = f"value={value}&rev={rev}&source=scanner".encode()
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": f"/runs/{run_id}/steps/{step}",
                   "SCRIPT_NAME": "", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
                   "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1",
                   "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
                   "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
                   "wsgi.multithread": True, "wsgi.multiprocess": True,
                   "wsgi.run_once": False, "wsgi.version": (1, 0),
                   "CONTENT_TYPE": "application/x-www-form-urlencoded",
                   "CONTENT_LENGTH": str(len(body)), "HTTP_HOST": "127.0.0.1:8080",
                   "HTTP_HX_REQUEST": "true", "HTTP_X_CSRF_TOKEN": csrf,
                   "HTTP_COOKIE": cookies}
        replies.clear()
        answer = b"".join(app(environ, start_response))
        status, headers = replies[0]
        if not status.startswith("200") or '"tone": "ok"' not in headers.get("HX-Trigger", ""):
            raise SystemExit(f"a scan was refused ({status}, {headers.get('HX-Trigger')}): "
                             "the count would not be of a scan")
        if step == "destination":
            where[tag] = value
            moved += 1
        step = re.search(rb'data-step="(\w+)"', answer).group(1).decode()
        rev = int(re.search(rb'data-rev="(\d+)"', answer).group(1))


def counted(scans: int) -> int:
    """Instructions valgrind counted for a whole run of the loop with ``scans`` scans."""
    with tempfile.TemporaryDirectory(prefix="kiosk-instr-") as tmp:
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/callgrind.out",
             sys.executable, __file__, "--loop", str(scans), "--workdir", tmp],
            capture_output=True, text=True, cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": "0"})
        found = COLLECTED.search(out.stderr)
        if out.returncode != 0 or found is None:
            raise SystemExit(f"the scanning loop failed under valgrind:\n{out.stderr[-3000:]}")
        return int(found.group(1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=200)
    parser.add_argument("--loop", type=int, help=argparse.SUPPRESS)  # the counted child
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.loop is not None:
        scanning_loop(Path(args.workdir), args.loop)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: apt-get install valgrind (make bench does).")
        return 1
    short, long = counted(BASELINE), counted(BASELINE + args.scans)
    per_scan = (long - short) / args.scans
    print(f"Instructions per scan (Move packages: tag, then shelf; Flask view, engine "
          f"transaction, next step's fragment; in one process): {per_scan / 1e6:.3f} million, "
          f"over {args.scans} scans.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CPU a server spends on one chunked request body: waitress as shipped against the kiosk's.

waitress 3.0.2 (the newest on PyPI) keeps an unfinished chunk-size line, or trailer, and joins
each new read onto it, so a body whose size line never ends costs CPU growing with the square
of its length, before any login. The kiosk's server (``kiosk.server.create_server``) refuses
a size line or trailer longer than any real one and any body over ``limits.SERVER_BODY``.

Each server runs in a process of its own on loopback with a WSGI app that reads the body and
answers "ok". Each request is sent whole (or until the server hangs up) and its answer read;
the figure is the server process's CPU for it, from /proc/<pid>/task/*/schedstat
(nanoseconds, all threads), the median of ``--reps`` requests. Shapes sent:

- ``size line``: ``Transfer-Encoding: chunked`` and then hex digits that never end in CRLF;
- ``trailer``: a last chunk (``0``), then a trailer that never ends;
- ``chunks``: a well-formed body of 1 KB chunks (what a real client might send);
- ``length``: the same bytes with ``Content-Length``.

    python bench/bench_chunked.py [--reps 3] [--quick]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MB = 1 << 20


def app(environ, start_response):
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def _serve(listener, kind: str) -> None:
    if kind == "kiosk":
        from kiosk import server

        server.create_server(app, listener, "bench").run()
    else:
        import waitress

        waitress.create_server(app, sockets=[listener], threads=2, ident="bench").run()


def cpu_ns(pid: int) -> int:
    """CPU time of every thread of ``pid`` so far, in nanoseconds."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended meanwhile
    return total


def body(shape: str, size: int) -> tuple[bytes, bytes]:
    """(headers, body) of a request of ``shape`` with about ``size`` bytes of body."""
    head = b"POST / HTTP/1.1\r\nHost: bench\r\n"
    if shape == "size line":
        return head + b"Transfer-Encoding: chunked\r\n\r\n", b"1" * size
    if shape == "trailer":
        return head + b"Transfer-Encoding: chunked\r\n\r\n", b"0\r\n" + b"X" * size
    if shape == "chunks":
        chunk = b"400\r\n" + b"k" * 1024 + b"\r\n"
        return (head + b"Transfer-Encoding: chunked\r\n\r\n",
                chunk * (size // 1024) + b"0\r\n\r\n")
    return head + f"Content-Length: {size}\r\n\r\n".encode(), b"k" * size


def send(port: int, headers: bytes, payload: bytes) -> str:
    """Send one request (until the server stops reading) and return its status line."""
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(headers)
        view = memoryview(payload)
        try:
            for start in range(0, len(view), 64 * 1024):
                conn.sendall(view[start:start + 64 * 1024])
            # All sent: say so, or a server still waiting for the body's end waits for ever.
            conn.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early and hung up: that is the point
        conn.settimeout(600)
        try:
            answer = conn.recv(200)
        except (ConnectionResetError, TimeoutError):
            answer = b"(no answer)"
    return answer.split(b"\r\n", 1)[0].decode(errors="replace") or "(closed)"


def measure(kind: str, shape: str, size: int, reps: int) -> tuple[float, str]:
    """Median CPU seconds the ``kind`` server spends on one request; its status line."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    process = multiprocessing.get_context("fork").Process(target=_serve, args=(listener, kind),
                                                          daemon=True)
    process.start()
    listener.close()
    time.sleep(0.3)
    headers, payload = body(shape, size)
    spent, status = [], ""
    for _ in range(reps):
        before = cpu_ns(process.pid)
        status = send(port, headers, payload)
        time.sleep(0.05)  # let the server finish closing the connection
        spent.append((cpu_ns(process.pid) - before) / 1e9)
    process.terminate()
    process.join()
    return statistics.median(spent), status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller sizes only")
    args = parser.parse_args()
    from importlib.metadata import version

    stock_sizes = (1, 2) if args.quick else (1, 2, 4)
    kiosk_sizes = (1, 4) if args.quick else (1, 4, 16)
    print(f"waitress {version('waitress')}; CPU seconds the server spends on one request "
          f"(median of {args.reps}), by body size; load average "
          f"{os.getloadavg()[0]:.2f}")
    for shape in ("size line", "trailer"):
        for kind, sizes in (("waitress as shipped", stock_sizes), ("kiosk", kiosk_sizes)):
            figures = []
            for size in sizes:
                seconds, status = measure("kiosk" if kind == "kiosk" else "stock", shape,
                                          size * MB, args.reps)
                figures.append(f"{size} MB {seconds:.3f} s ({status.removeprefix('HTTP/1.1 ')})")
            print(f"  {shape:9}  {kind:19}  " + "; ".join(figures))
    for shape in ("chunks", "length"):
        for kind in ("waitress as shipped", "kiosk"):
            seconds, status = measure("kiosk" if kind == "kiosk" else "stock", shape, 200 * 1024,
                                      args.reps)
            print(f"  {shape:9}  {kind:19}  200 KB {seconds:.4f} s "
                  f"({status.removeprefix('HTTP/1.1 ')})")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

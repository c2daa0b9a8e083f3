"""The web server's own bounds (``kiosk.server.create_server``), on a real socket: a body over
``limits.SERVER_BODY`` is refused from its Content-Length, and a chunked body's size line or
trailer that never ends is refused at once instead of being joined onto for ever (waitress
3.0.2 spends CPU growing with its square on it; bench/bench_chunked.py has the figures)."""

from __future__ import annotations

import socket
import threading

import pytest

from kiosk import limits, server


def echo(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"read %d bytes: " % len(body) + body[:20]]


@pytest.fixture
def served():
    listener = socket.create_server(("127.0.0.1", 0))
    httpd = server.create_server(echo, listener, "test")
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    httpd.close()
    thread.join(5)


def exchange(port: int, head: bytes, body_parts=(), total: int = 0) -> tuple[bytes, int]:
    """Send a request; return the server's answer and how many body bytes went out before
    the server answered and hung up."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(head)
        try:
            for part in body_parts:
                conn.sendall(part)
                sent += len(part)
            conn.shutdown(socket.SHUT_WR)
        except OSError:  # a broken pipe, a reset, not connected: answered early and gone
            pass
        answer = b""
        try:
            while chunk := conn.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    return answer, sent


CHUNKED = b"POST / HTTP/1.1\r\nHost: k\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"


def test_a_chunked_size_line_that_never_ends_is_refused_within_its_first_kilobytes(served):
    sixteen_mb = (b"1" * 65536 for _ in range(256))
    answer, sent = exchange(served, CHUNKED, sixteen_mb)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")
    assert sent < 16 * 1024 * 1024  # it hung up long before the end


def test_a_chunked_trailer_that_never_ends_is_refused(served):
    parts = [b"0\r\n"] + [b"X-Pad: " + b"p" * 65536 for _ in range(64)]
    answer, _ = exchange(served, CHUNKED, parts)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")


def test_a_well_formed_chunked_body_is_still_read(served):
    parts = [b"5\r\nhello\r\n", b"6;name=v\r\n world\r\n", b"0\r\nX-Trailer: 1\r\n\r\n"]
    answer, _ = exchange(served, CHUNKED, parts)
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"read 11 bytes: hello world")


def test_a_body_over_the_cap_is_refused_from_its_length_unread(served):
    head = (b"POST / HTTP/1.1\r\nHost: k\r\nConnection: close\r\nContent-Length: %d\r\n\r\n"
            % (limits.SERVER_BODY + 1))
    answer, _ = exchange(served, head)
    assert answer.startswith(b"HTTP/1.1 413 Request Entity Too Large")
    chunk = b"%x\r\n" % 65536 + b"c" * 65536 + b"\r\n"
    answer, _ = exchange(served, CHUNKED, [chunk] * (limits.SERVER_BODY // 65536 + 2))
    assert answer.startswith(b"HTTP/1.1 413 Request Entity Too Large")


def test_a_body_at_the_cap_is_taken(served):
    head = (b"POST / HTTP/1.1\r\nHost: k\r\nConnection: close\r\nContent-Length: %d\r\n\r\n"
            % limits.SERVER_BODY)
    answer, _ = exchange(served, head, [b"b" * limits.SERVER_BODY])
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert b"read %d bytes" % limits.SERVER_BODY in answer


def test_headers_over_the_cap_are_refused(served):
    head = b"GET / HTTP/1.1\r\nHost: k\r\nX-Pad: " + b"h" * limits.SERVER_HEADERS + b"\r\n\r\n"
    answer, _ = exchange(served, head)
    assert answer.split(b"\r\n", 1)[0].endswith(b" 431 Request Header Fields Too Large")

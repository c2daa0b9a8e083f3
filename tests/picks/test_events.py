"""The change stream that tells open queue screens the queue's version: it says the version at
once, again the moment it changes, to every screen, and nothing else to anyone."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from kiosk import pick_events

from .conftest import free_port


@pytest.fixture
def stream(store, settings):
    listener = pick_events.listen("127.0.0.1", 8080, free_port())
    stop = threading.Event()
    thread = threading.Thread(target=pick_events.Stream(listener, settings).run, args=(stop,))
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    listener.close()


def connect(port: int, path: str = "/picks/events") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: kiosk\r\n\r\n".encode())
    return sock


def next_version(sock: socket.socket, buffer: list) -> str:
    """The next version the stream tells (``buffer`` keeps what was read past it)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        text = buffer[0]
        if "\n\n" in text:
            message, buffer[0] = text.split("\n\n", 1)
            for line in message.splitlines():
                if line.startswith("data: "):
                    return line[6:]
            continue
        buffer[0] += sock.recv(4096).decode()
    raise AssertionError(f"nothing told within 5 s: {buffer[0]!r}")


def test_every_screen_is_told_the_version_at_once_and_again_when_the_queue_changes(
        stream, order):
    screens = [connect(stream) for _ in range(3)]
    buffers = [[""] for _ in screens]
    head = screens[0].recv(4096).decode()
    assert head.startswith("HTTP/1.1 200 OK") and "text/event-stream" in head
    assert "Access-Control-Allow-Origin: *" in head  # a queue page on the kiosk's own port
    buffers[0][0] = head.split("\r\n\r\n", 1)[1]
    assert [next_version(s, b) for s, b in zip(screens, buffers, strict=True)] == ["0"] * 3
    order("S-1", [("Blue Dream 3.5g Jar", 1)])
    assert [next_version(s, b) for s, b in zip(screens, buffers, strict=True)] == ["1"] * 3
    for sock in screens:
        sock.close()


def test_anything_else_is_not_found_and_the_connection_closed(stream):
    sock = connect(stream, "/picks/live")
    assert sock.recv(4096).startswith(b"HTTP/1.1 404")
    assert sock.recv(4096) == b""


def test_a_taken_port_gives_way_to_any_free_one():
    taken = socket.create_server(("127.0.0.1", 0))
    try:
        given = pick_events.listen("127.0.0.1", 0, taken.getsockname()[1])
        assert given.getsockname()[1] not in (0, taken.getsockname()[1])
        given.close()
    finally:
        taken.close()


def test_a_connection_that_never_says_what_it_wants_is_closed(stream, monkeypatch):
    monkeypatch.setattr(pick_events, "ASK_SECONDS", 0.5)
    silent = socket.create_connection(("127.0.0.1", stream), timeout=10)
    silent.sendall(b"GET /picks/ev")  # and nothing more
    assert silent.recv(4096) == b""  # closed by the stream, well before the socket's timeout

"""The pick queue's change stream: a small server beside waitress that tells every open queue
screen the queue's new version the moment it changes (Server-Sent Events).

Why a server of its own. Waitress answers with a fixed pool of threads (two per process), so
holding one open per screen would take them from the scanners; and a screen that asks "has it
changed?" four times a second is still a request through waitress four times a second, which
the scanners felt at full load (bench/bench_picks.py). Here one process holds every screen's
connection, idle, at no cost; reads the version (``picks.queue_version``, two index reads)
ten times a second whatever the number of screens; and when it changes writes a few bytes to
each. The screen then asks the kiosk for the new queue as before. The stream carries nothing
but the version number, so it needs no login; the queue itself still comes from the app.

It listens on the kiosk's port + 1 unless ``events_port`` says another (a port that is taken
gives way to any free one). A screen that cannot reach it still asks the kiosk every few
seconds, and says its live updates are off.
"""

from __future__ import annotations

import ctypes
import os
import selectors
import socket
import threading
import time
import traceback

from kiosk import db, picks

CHECK_SECONDS = 0.1  # how often the version is read: the wait a change can have at most
KEEPALIVE_SECONDS = 15  # a comment line, so idle connections are not dropped on the way
REQUEST_LIMIT = 8192
ASK_SECONDS = 10  # a connection that has not said what it wants by then is closed
PATH = b"/picks/events"
HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
        b"Access-Control-Allow-Origin: *\r\nConnection: keep-alive\r\n\r\nretry: 2000\n\n")
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def listen(host: str, port: int, wanted: int) -> socket.socket | None:
    """The stream's listening socket: ``wanted``, or the kiosk's ``port`` + 1 when 0; any free
    port when that one is taken; None (with a line saying why) if none can be had."""
    first = wanted or port + 1
    for attempt in (first, 0):
        try:
            return socket.create_server((host, attempt), backlog=256)
        except OSError as exc:
            print(f"Pick queue events: cannot listen on port {attempt} ({exc.strerror}).",
                  flush=True)
    print("Pick queue events: off; queue screens will ask the kiosk every few seconds.",
          flush=True)
    return None


class Stream:
    """Every connected screen, and what each has sent so far of its request."""

    def __init__(self, listener: socket.socket, settings: dict):
        self.listener, self.settings = listener, settings
        self.selector = selectors.DefaultSelector()
        listener.setblocking(False)
        self.selector.register(listener, selectors.EVENT_READ, None)
        self.asking: dict[socket.socket, bytes] = {}  # request still arriving
        self.since: dict[socket.socket, float] = {}  # when each of those connected
        self.watching: set[socket.socket] = set()
        self.version = ""

    def _drop(self, sock: socket.socket) -> None:
        self.asking.pop(sock, None)
        self.since.pop(sock, None)
        self.watching.discard(sock)
        try:
            self.selector.unregister(sock)
        except (KeyError, ValueError):
            pass
        sock.close()

    def _send(self, sock: socket.socket, data: bytes) -> None:
        try:
            if sock.send(data) != len(data):
                self._drop(sock)  # a screen too slow to take a few bytes: it reconnects
        except OSError:
            self._drop(sock)

    def _readable(self, sock: socket.socket | None) -> None:
        if sock is None:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            client.setblocking(False)
            self.asking[client] = b""
            self.since[client] = time.monotonic()
            self.selector.register(client, selectors.EVENT_READ, client)
            return
        try:
            data = sock.recv(4096)
        except OSError:
            data = b""
        if not data:
            self._drop(sock)
            return
        if sock not in self.asking:
            return  # a watching screen sends nothing more; ignore what it does
        request = self.asking[sock] + data
        if b"\r\n\r\n" not in request:
            if len(request) > REQUEST_LIMIT:
                self._drop(sock)
            else:
                self.asking[sock] = request
            return
        del self.asking[sock]
        del self.since[sock]
        parts = request.split(b" ", 2)
        if len(parts) < 3 or parts[0] != b"GET" or parts[1].split(b"?")[0] != PATH:
            self._send(sock, NOT_FOUND)
            self._drop(sock)
            return
        self.watching.add(sock)
        self._send(sock, HEAD + f"data: {self.version}\n\n".encode())

    def check(self) -> None:
        """Read the version; tell every screen when it changed."""
        with db.connection():
            version = picks.queue_version(self.settings)
        if version != self.version:
            self.version = version
            for sock in list(self.watching):
                self._send(sock, f"data: {version}\n\n".encode())

    def run(self, stop: threading.Event | None = None) -> None:
        """Until ``stop`` (for ever without one)."""
        next_check = next_ping = time.monotonic()
        while stop is None or not stop.is_set():
            for key, _ in self.selector.select(timeout=max(0, next_check - time.monotonic())):
                self._readable(key.data)
            now = time.monotonic()
            if now >= next_check:
                try:
                    self.check()
                except Exception:  # noqa: BLE001 (the database busy or gone: next time)
                    traceback.print_exc()
                next_check = now + CHECK_SECONDS
                for sock, since in list(self.since.items()):
                    if now - since > ASK_SECONDS:
                        self._drop(sock)
            if now >= next_ping:
                for sock in list(self.watching):
                    self._send(sock, b": still here\n\n")
                next_ping = now + KEEPALIVE_SECONDS


def serve(listener: socket.socket, settings: dict) -> None:
    """Run the stream, forever, on the database this process has bound."""
    Stream(listener, settings).run()


PROCESS_NAME = b"kiosk-events"  # what ps and /proc/PID/comm call the stream's process
PR_SET_NAME = 15


def fork(listener: socket.socket, settings: dict, die_with) -> int:
    """Run the stream in a child process (``die_with`` ties it to the supervisor); its pid."""
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        die_with(parent)
        try:
            ctypes.CDLL(None).prctl(PR_SET_NAME, PROCESS_NAME)
        except (AttributeError, OSError):
            pass  # not Linux: it keeps its parent's name
        try:
            serve(listener, settings)
        finally:
            os._exit(0)
    return pid

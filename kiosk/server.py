"""The web server: the app under waitress, in three processes per core, all on one port.

One Python process runs Python on one core at a time, so a single process leaves a store
server's second core idle while ten kiosks wait in line. ``serve`` binds the port once, then
forks ``workers`` processes that each run waitress on that same listening socket. Only the
workers with the fewest open connections listen for new ones (``_least_connections``).
Everything they share lives in the database (sessions, runs, the print queue), so any process
can answer any screen. On SQLite the parent also writes every step, for all of them
(``step_writer``); their other writes queue on one lock with it (``db.write``).

Otherwise the parent only supervises. If a worker dies, or the step writer fails, the parent
stops the workers and exits non-zero, so systemd restarts the whole service cleanly; if the
parent is killed, the kernel kills the workers with it (``PR_SET_PDEATHSIG``), so no orphan
keeps the port. The print workers run in the first process only, so each printer still has
exactly one worker. One more process tells open pick queue screens when the queue changes
(``pick_events``), on a port of its own.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable

from waitress import create_server as _waitress_server
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.receiver import ChunkedReceiver
from waitress.utilities import BadRequest

from kiosk import limits

# Per process. Request threads of one process take turns on its interpreter lock, and each
# turn costs: with ten busy screens on two cores, 2 processes of 4 threads spent 1.6 ms of CPU
# on a scan's web side where 4 processes of 2 spent 1.35. Two, not one, so a slow request (a
# report, a 500-line delivery) never holds up the other screens of its process.
THREADS = 2
PR_SET_PDEATHSIG = 1


def worker_count(settings: dict) -> int:
    """The ``workers`` setting, or three per core (at most twelve) when it is 0.

    A worker spends much of a scan waiting for the step writer, so one per core left cores
    idle; and a scan that finds both of its process's threads busy waits a whole turn. With
    ten screens flat out on two cores, p99 was 26.9–33.1 ms with 4 processes, 24.4–28.6 ms
    with 5 or 6 (about 80 MB each).
    """
    wanted = int(settings.get("workers") or 0)
    return wanted if wanted > 0 else max(1, min(12, 3 * (os.cpu_count() or 1)))


# A chunked body's size line is a few hex digits (extensions are allowed, and never sent),
# its trailer a few headers at most.
CHUNK_SIZE_LINE = 1024
CHUNK_TRAILER = 8 * 1024


class _BoundedChunks(ChunkedReceiver):
    """waitress's reader of a chunked body, refusing a size line or trailer that goes on.

    waitress 3.0.2, the newest, keeps an unfinished size line (or trailer) and joins each new
    read onto it, so one that never ends costs CPU growing with its square: 16 MB of it, no
    login needed, took 17 s. Refused as soon as it is longer than any real one, the cost
    grows with the length sent, as for any body (bench/bench_chunked.py has the figures).
    """

    def received(self, s):
        consumed = super().received(s)
        if len(self.control_line) > CHUNK_SIZE_LINE or len(self.trailer) > CHUNK_TRAILER:
            self.error = BadRequest("A chunk's size line or the trailer is too long.")
        return consumed


class _Parser(HTTPRequestParser):
    def parse_header(self, header_plus):
        super().parse_header(header_plus)
        if self.chunked:
            self.body_rcv = _BoundedChunks(self.body_rcv.buf)


class _Channel(HTTPChannel):
    parser_class = _Parser


def create_server(app, listener: socket.socket, ident: str):
    """waitress serving ``app`` on ``listener`` with the kiosk's bounds: headers up to
    ``limits.SERVER_HEADERS``, a body up to ``limits.SERVER_BODY`` (refused from its
    Content-Length before it is read, or as soon as a chunked one passes it), chunked bodies
    read in time that grows with their length."""
    server = _waitress_server(app, sockets=[listener], threads=THREADS, ident=ident,
                              max_request_header_size=limits.SERVER_HEADERS,
                              max_request_body_size=limits.SERVER_BODY + 1)  # refuses >=
    server.channel_class = _Channel  # one socket: create_server gave its one server
    return server


def serve(settings: dict, host: str, port: int,
          alongside: Callable[[], None] | None = None) -> int:
    """Serve until stopped; ``alongside`` runs in the supervising process once workers run."""
    from kiosk import create_app, db, pick_events, step_writer

    # waitress warns "Task queue depth" whenever requests arrive faster than its threads wake,
    # which a burst of scans does every time: noise in the journal, and time on every request.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    workers = worker_count(settings) if hasattr(os, "fork") else 1
    banner = (f"Kiosk for {settings['store_name']} at http://{host}:{port}/ (station "
              f"{settings['station']}, {workers} process{'es' if workers > 1 else ''})")
    listener = socket.create_server((host, port), backlog=1024)
    events = pick_events.listen(host, port, settings.get("events_port") or 0)
    # The screens learn from the page where the queue's changes are told (0: nowhere).
    settings = {**settings, "events_port": events.getsockname()[1] if events else 0}
    if workers == 1:
        if events:
            threading.Thread(target=pick_events.serve, args=(events, settings), daemon=True,
                             name="pick-events").start()
        app = create_app(settings, start_workers=True)
        if alongside:
            alongside()
        _settle_heap()
        print(banner, flush=True)
        create_server(app, listener, "kiosk").run()
        return 0

    # A database connection must never cross a fork: close what this process opened.
    if db.database.obj is not None:
        if not db.database.is_closed():
            db.database.close()
        if hasattr(db.database.obj, "close_all"):
            db.database.obj.close_all()
    _settle_heap()
    channels = step_writer.Channels(workers, THREADS) if db.is_sqlite() else None

    def make_app(number: int):
        if channels is not None:
            channels.use_in_process(number)
        return create_app(settings, start_workers=(number == 0))

    children = fork_workers(listener, workers, make_app, ident="kiosk")
    listener.close()
    if events:
        children.append(pick_events.fork(events, settings, _die_with))
        events.close()
    if channels is not None:
        _start_step_writer(settings, channels.writer_ends())
    if alongside:
        alongside()
    _settle_heap()  # again: the writer and what runs alongside have loaded theirs
    print(banner, flush=True)
    return supervise(children)


def fork_workers(listener: socket.socket, workers: int, make_app: Callable[[int], object],
                 ident: str) -> list[int]:
    """Fork ``workers`` processes that each serve ``make_app(number)`` under waitress on
    ``listener``, taking new connections by least connections; returns their pids."""
    parent = os.getpid()
    children = []
    open_connections = multiprocessing.RawArray("i", workers)  # shared by the forks
    for number in range(workers):
        pid = os.fork()
        if pid == 0:
            _die_with(parent)
            app = make_app(number)
            _settle_heap()
            try:
                server = create_server(app, listener, ident)
                _least_connections(server, open_connections, number)
                server.run()
            finally:
                os._exit(0)
        children.append(pid)
    return children


def _settle_heap() -> None:
    """Leave what is loaded by now (modules, the app, its routes) out of garbage collection.

    Python's full collection walks every object the process holds, some fifty thousand once
    the app is loaded. Under ten busy screens each server process ran one in a fifteen-second
    run: 30 ms of CPU in which whatever scan it was answering waited (up to 110 ms on
    the clock). Frozen objects are never walked, so those full collections stop; and forked
    processes stop copying the memory pages a collection writes to (``gc.freeze``, as
    Python's documentation advises before a fork).
    """
    gc.collect()
    gc.freeze()


def _least_connections(server, counts, number: int) -> None:
    """Take new connections only while no other worker has fewer open.

    A browser keeps its connection open, so a screen stays with the process that accepted
    it. Left to the kernel, the process that happened to wake first took them: ten screens
    coming up one after another all landed on one process, which ran out of its one core
    while the other sat idle. This is a load balancer's "least connections" rule; ``counts``
    is shared memory, one slot per worker, each written only by its own worker.
    """
    accepting = server.readable  # waitress's own checks (connection limit, idle clean-up)

    def readable() -> bool:
        ready = accepting()
        counts[number] = len(server.active_channels)
        return ready and counts[number] <= min(counts)

    server.readable = readable  # asked before every wait for network events


def _start_step_writer(settings: dict, ends: list) -> None:
    """Write every step of every worker, in a thread of this process (``step_writer``)."""
    from kiosk import engine, step_writer, workflows

    def write_steps() -> None:
        # It returns once every worker has closed its pipes, which the supervisor sees too.
        try:
            step_writer.serve(ends, lambda requests: engine.write_steps(requests, settings,
                                                                        workflows))
        except BaseException:  # no screen may wait for a writer that is gone
            traceback.print_exc()
            print("The step writer failed; stopping the server so it restarts whole.",
                  file=sys.stderr, flush=True)
            os._exit(1)  # the workers die with this process (_die_with)

    threading.Thread(target=write_steps, name="step-writer", daemon=True).start()


def _die_with(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (AttributeError, OSError):
        pass  # not Linux: the supervisor's SIGTERM handler still stops the workers
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def supervise(children: list[int]) -> int:
    """Wait for the workers; on SIGTERM stop them all; if one dies, stop the rest."""

    def stop(signum=signal.SIGTERM, frame=None):
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        if frame is not None:  # called as the signal handler: we are done
            sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    pid, status = os.wait()
    children.remove(pid)
    print(f"A server process ({pid}) stopped (status {status}); stopping the others so the "
          "service restarts whole.", file=sys.stderr, flush=True)
    stop()
    return 1

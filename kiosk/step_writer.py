"""One writer for every step: the server's processes hand their steps to it over pipes.

SQLite lets one transaction write at a time, and at synchronous=FULL each commit waits for
the disk. Inside a server process a step that held the writers' lock also waited for the
interpreter lock (the GIL) at every query, because the process's other request threads were
parsing and rendering; under ten busy screens a step held the lock eight times longer than
its work took, and the steps of different processes could never share a commit. So in a
multi-process server one thread of the supervising process writes every step: it takes all
the steps that are waiting, from every process, runs each in its own savepoint of one
transaction, commits once, and answers each with its own result. It runs Python nowhere else,
so nothing stands between it and the database. Nothing is answered before it is on disk.

Each request thread borrows a pipe of its own process's pool (``Channels``), sends its step
and waits for the answer. What crosses a pipe is pickled: plain values, records and
exceptions. An answer that cannot be pickled goes back as a ``RuntimeError`` with its
words, so a request thread always gets an answer. This module knows nothing of steps:
``serve`` runs whatever ``handle`` the server gives it.
"""

from __future__ import annotations

import os
import queue
import selectors
from collections.abc import Callable
from multiprocessing.connection import Connection, Pipe

Result = tuple[object, BaseException | None]  # (value, error): one per request

_pool: queue.SimpleQueue | None = None  # this process's ends, when a writer serves it


class Channels:
    """The pipes between the writer and the request threads of the server's processes.

    Made before the processes are forked: each process gets ``per_process`` pipes (one per
    request thread, so no thread waits for a pipe) and the writer gets the other ends.
    """

    def __init__(self, processes: int, per_process: int):
        self.ends = [[Pipe() for _ in range(per_process)] for _ in range(processes)]

    def writer_ends(self) -> list[Connection]:
        """For the writer; closes the process ends it does not need."""
        for pipes in self.ends:
            for _, theirs in pipes:
                theirs.close()
        return [mine for pipes in self.ends for mine, _ in pipes]

    def use_in_process(self, number: int) -> None:
        """In forked process ``number``: send steps through its own pipes from now on."""
        global _pool
        _pool = queue.SimpleQueue()
        for index, pipes in enumerate(self.ends):
            for mine, theirs in pipes:
                mine.close()
                if index == number:
                    _pool.put(theirs)
                else:
                    theirs.close()


def in_use() -> bool:
    """True in a server process whose steps go to the writer."""
    return _pool is not None


def send(request: object) -> object:
    """Hand ``request`` to the writer and wait for its answer; raise what it raised."""
    channel = _pool.get()
    try:
        channel.send(request)
        value, error = channel.recv()
    except (EOFError, OSError):
        # The writer is gone, so the service is going down and this process with it. Leave
        # now, without an answer: the screen keeps the scan and sends it again once the
        # server is back, where it counts once. A "not saved" here could be untrue, since
        # the writer may have committed the step before it went.
        os._exit(1)
    finally:
        _pool.put(channel)
    if error is not None:
        raise error
    return value


def serve(channels: list[Connection], handle: Callable[[list], list[Result]]) -> None:
    """Forever: take every waiting request, ``handle`` them together, answer each.

    ``handle`` gets the requests in arrival order and returns one (value, error) for each.
    Requests that arrive while a batch is being written wait for the next one, which is
    what lets a burst of steps share one commit. A pipe whose process ended is dropped.
    """
    # One selector for good: ``multiprocessing.connection.wait`` builds a new one and
    # registers every pipe again at each call, once a batch.
    selector = selectors.DefaultSelector()
    for channel in channels:
        selector.register(channel, selectors.EVENT_READ)
    while selector.get_map():
        batch = []
        for key, _ in selector.select():
            channel = key.fileobj
            try:
                batch.append((channel, channel.recv()))
            except (EOFError, OSError):
                selector.unregister(channel)
        if not batch:
            continue
        results = handle([request for _, request in batch])
        for (channel, _), result in zip(batch, results, strict=True):
            _answer(channel, result)


def _answer(channel: Connection, result: Result) -> None:
    try:
        channel.send(result)  # pickled whole before a byte is written
    except OSError:
        pass  # that process ended while its step was written; the step is saved
    except Exception as exc:  # noqa: BLE001 (whatever cannot be pickled: send its words)
        value, error = result
        words = f"{type(error).__name__}: {error}" if error is not None else str(exc)
        channel.send((None, RuntimeError(words)))

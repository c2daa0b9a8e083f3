"""The step writer: steps from the threads of several processes, written together.

Real processes (forked, as the server forks its workers) and real pipes; the writer's work
here is a stand-in that records what arrived together, so the test can see the batching.
"""

import os
import threading
import time

from kiosk import step_writer

PROCESSES, THREADS, STEPS = 2, 3, 20


class Unpicklable(Exception):
    def __init__(self, words):
        super().__init__(words)
        self.lock = threading.Lock()  # a lock cannot be pickled


def handle(batches, ends):
    def work(requests):
        batches.append(requests)
        if len(batches) == 1:
            # The first batch is slow: it lasts until every other thread's first step is
            # waiting in its pipe, however long a busy machine takes to start them.
            others = PROCESSES * THREADS - len(requests)
            deadline = time.monotonic() + 10
            while sum(end.poll() for end in ends) < others and time.monotonic() < deadline:
                time.sleep(0.005)
        results = []
        for pid, thread, n in requests:
            if n == 7:
                results.append((None, ValueError(f"step {n} refused")))
            elif n == 9:
                results.append((None, Unpicklable(f"step {n} broke")))
            else:
                results.append(((pid, thread, n * 2), None))
        return results

    return work


def child(channels, number) -> int:
    """One server process: its threads send steps and check every answer is their own."""
    channels.use_in_process(number)
    problems = []

    def thread(t):
        for n in range(STEPS):
            try:
                answer = step_writer.send((os.getpid(), t, n))
            except ValueError as exc:
                ok = n == 7 and str(exc) == "step 7 refused"
            except RuntimeError as exc:
                ok = n == 9 and "Unpicklable: step 9 broke" in str(exc)
            else:
                ok = answer == (os.getpid(), t, n * 2)
            if not ok:
                problems.append(n)

    threads = [threading.Thread(target=thread, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return 1 if problems else 0


def test_every_process_gets_its_own_answers_and_steps_that_wait_share_a_batch():
    channels = step_writer.Channels(PROCESSES, THREADS)
    pids = []
    for number in range(PROCESSES):
        pid = os.fork()
        if pid == 0:
            os._exit(child(channels, number))
        pids.append(pid)
    batches = []
    ends = channels.writer_ends()
    writer = threading.Thread(target=step_writer.serve, args=(ends, handle(batches, ends)))
    writer.start()
    statuses = [os.waitpid(pid, 0)[1] for pid in pids]
    writer.join(timeout=10)

    assert statuses == [0] * PROCESSES, "a process got an answer that was not its own"
    assert not writer.is_alive(), "the writer did not stop when its processes ended"
    steps = [request for batch in batches for request in batch]
    assert len(steps) == PROCESSES * THREADS * STEPS and len(set(steps)) == len(steps)
    # Behind the slow first batch, every step that waited, from both processes, went in
    # the next batch together: each thread's first step is in one of the first two. (The
    # second may also hold the next step of a thread the first batch answered.)
    first, second = batches[0], batches[1]
    assert {(pid, t) for pid, t, n in first + second if n == 0} == {
        (pid, t) for pid in pids for t in range(THREADS)}


def test_a_process_whose_writer_is_gone_leaves_without_answering():
    """A screen whose scan got no answer sends it again; a made-up answer could be wrong."""
    channels = step_writer.Channels(1, 1)
    pid = os.fork()
    if pid == 0:
        channels.use_in_process(0)
        step_writer.send(("run", 1))
        os._exit(0)  # only reached if send came back with something
    for end in channels.writer_ends():
        end.close()  # the writer goes
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 1

"""A sync worker killed with SIGKILL in the middle of a batch loses and doubles nothing, and
its messages are taken over at once, not after a lease."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kiosk import clock
from kiosk.models import OutboxMessage
from kiosk.sync import outbox
from kiosk.sync.worker import Worker

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [f"1A4060300000000088{n:06d}" for n in range(20)]


def _start_worker(settings):
    code = ("import json, sys, logging; logging.disable(logging.WARNING); "
            "from kiosk.sync import worker; worker.run(json.loads(sys.argv[1]))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code, json.dumps(settings)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for(condition, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_sigkill_mid_batch_loses_and_doubles_nothing(sync_settings, sandbox, message, reload,
                                                     fixed_clock):
    sandbox.world.adopt([], [{"tag": t, "quantity": 1000, "unit": "Each",
                              "location": "Vault A1"} for t in PACKAGES])
    msgs = [message("package.adjust", {"tag": t, "quantity": -step, "unit": "Each",
                                       "reason": "Drying"})
            for step in (1, 2, 3) for t in PACKAGES]
    sandbox.faults.delay = 1.0  # every answer is slow, so the kill lands mid-request
    process = _start_worker(sync_settings)
    try:
        assert _wait_for(lambda: ("POST", "/packages/v2/adjust") in sandbox.requests), \
            process.stderr.read1().decode() if process.poll() is not None else "no request"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        process.stderr.close()
    in_flight = OutboxMessage.select().where(OutboxMessage.status == "sending").count()
    assert in_flight >= 1, "the worker died holding a claimed batch"
    sandbox.faults.delay = 0
    # Its process is gone, so the next worker on this host takes its claims over at once.
    survivor = Worker(sync_settings)
    survivor.drain()
    assert survivor.metrc.requests_sent == 0, "nothing is sent before its requests could land"
    taken = list(OutboxMessage.select().where(OutboxMessage.last_error == outbox.TAKEN_OVER))
    assert len(taken) == in_flight
    assert {m.status for m in taken} == {"pending"}
    assert {m.next_attempt_at for m in taken} == {clock.now() + dt.timedelta(
        seconds=sync_settings["metrc_timeout"])}, "a request it left in flight may still land"
    # What it had sent still lands in Metrc: applied, never acknowledged. (The test's clock
    # jumps past the grace below, so first let the sandbox finish in real time: each answer
    # took a second.)
    time.sleep(1.5)
    assert len(sandbox.world.adjustments) >= 10
    landed_before_restart = len(sandbox.world.adjustments)
    fixed_clock.advance(seconds=sync_settings["metrc_timeout"])
    sent = len(sandbox.requests)
    survivor.drain()
    assert sandbox.requests[sent] == ("GET", "/packages/v2/adjustments"), \
        "looked up before anything is sent again"

    assert {reload(m).status for m in msgs} == {"delivered"}
    adjustments = sandbox.world.adjustments
    assert len(adjustments) == len(msgs) == 60
    for t in PACKAGES:
        assert [a["AdjustmentQuantity"] for a in adjustments if a["PackageLabel"] == t] == \
            [-1.0, -2.0, -3.0]
        assert sandbox.world.packages[t]["Quantity"] == 994
    assert landed_before_restart >= 10


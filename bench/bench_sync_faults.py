"""Benchmark: sync under faults. The training sandbox fails a third of all calls at random
(evenly as 500, 429 with Retry-After, a dropped answer, and an answer slower than the
client's timeout), while steps commit outbox messages at a steady rate and ``kiosk sync``
delivers them. In the last run (``--kill``: none, last or every run) the sync process is
killed with SIGKILL halfway through and started again after systemd's RestartSec.

Prints, per run and over all runs: commit -> delivered p50, p95 and max (goal: p95 <= 60 s),
HTTP requests per message (probes and look-ups included), the faults the sandbox served, and
checks that every message arrived exactly once (adjustments counted in Metrc's history).

The sync worker is a separate process (as systemd runs it) on SQLite in WAL mode with
synchronous=FULL; the sandbox answers over HTTP from this process. Usage:
python bench/bench_sync_faults.py [--runs 2] [--messages 300] [--rate 10] [--timeout 15]
[--kill none|last|every] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk import clock, db  # noqa: E402
from kiosk.models import OutboxMessage  # noqa: E402
from kiosk.sync.sandbox import Sandbox  # noqa: E402
from kiosk.sync.sandbox_data import OUR_LICENSE  # noqa: E402

PLACES = ["Vault A1", "Vault A2", "Sales Floor"]
RESTART_SECONDS = 5.0  # deploy/kiosk-sync.service: RestartSec=5


def _worker(settings: dict) -> subprocess.Popen:
    code = ("import json, sys, logging; logging.disable(logging.WARNING); "
            "from kiosk.sync import worker; worker.run(json.loads(sys.argv[1]))")
    return subprocess.Popen([sys.executable, "-c", code, json.dumps(settings)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _message(run: int, serial: int, tags: list[str]) -> None:
    """One step's commit: one outbox message in its own write transaction. Each package gets
    a move, an adjustment and a note, in that order."""
    tag = tags[serial % len(tags)]
    kind = ("package.location", "package.adjust", "package.note")[serial // len(tags) % 3]
    payload = ({"tag": tag, "location_name": PLACES[serial % 3]} if kind == "package.location"
               else {"tag": tag, "quantity": -1, "unit": "Each", "reason": "Drying",
                     "note": f"step {serial}"} if kind == "package.adjust"
               else {"tag": tag, "note": f"step {serial}"})
    now = clock.now()
    with db.write():
        OutboxMessage.create(target="metrc", kind=kind, payload=payload,
                             external_key=f"bench-{run}-{serial}", ordering_key=tag,
                             next_attempt_at=now, created_at=now)


def one_run(run: int, args, kill: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        db.init(url)
        db.upgrade()
        box = Sandbox(OUR_LICENSE)
        tags = [f"1A40603000000000FB{n:06d}" for n in range(args.messages // 3)]
        box.world.adopt(PLACES, [{"tag": t, "quantity": 10 ** 6, "unit": "Each",
                                  "location": "Vault A1"} for t in tags])
        box.faults.fail_share, box.faults.seed = args.share, args.seed + run
        box.faults.slow, box.faults.retry_after = args.timeout + 1, args.retry_after
        box.start()
        settings = {"database": url, "license": OUR_LICENSE, "state_system": "metrc",
                    "metrc_url": box.url, "metrc_vendor_key": "v", "metrc_user_key": "u",
                    "metrc_timeout": args.timeout, "pos": "none",
                    "sync_pull_minutes": 10 ** 6}
        process = _worker(settings)
        killed = False
        try:
            with db.connection():
                began = time.monotonic()
                for serial in range(args.messages):
                    _message(run, serial, tags)
                    if kill and not killed and serial == args.messages // 2:
                        process.send_signal(signal.SIGKILL)
                        process.wait()
                        killed = True
                        restart_at = time.monotonic() + RESTART_SECONDS
                    if killed and process.poll() is not None and \
                            time.monotonic() >= restart_at:
                        process = _worker(settings)
                    pause = began + (serial + 1) / args.rate - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                if killed and process.poll() is not None:
                    time.sleep(max(0.0, restart_at - time.monotonic()))
                    process = _worker(settings)
                deadline = time.monotonic() + args.give_up
                while time.monotonic() < deadline:
                    left = OutboxMessage.select().where(
                        OutboxMessage.status != "delivered").count()
                    if not left:
                        break
                    time.sleep(0.2)
                rows = list(OutboxMessage.select())
                elapsed = time.monotonic() - began
        finally:
            process.kill()
            process.wait()
        time.sleep(args.timeout + 2)  # a slow write still on its way lands before counting
        box.stop()
        db.database.close()
    undelivered = [r.id for r in rows if r.delivered_at is None]
    adjustments = sum(1 for r in rows if r.kind == "package.adjust")
    return {"latencies": [(r.delivered_at - r.created_at).total_seconds() for r in rows
                          if r.delivered_at], "undelivered": undelivered,
            "requests": len(box.requests), "faults": dict(box.faults_served),
            "adjustments": (len(box.world.adjustments), adjustments),
            "refusals": list(box.refusals), "elapsed": elapsed}


def _pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10.0, help="steps committed per second")
    parser.add_argument("--share", type=float, default=1 / 3, help="share of calls that fail")
    parser.add_argument("--timeout", type=float, default=15.0,
                        help="the client's timeout (KIOSK_METRC_TIMEOUT); slow answers take "
                             "one second more")
    parser.add_argument("--retry-after", type=int, default=2, help="seconds, with each 429")
    parser.add_argument("--kill", choices=("none", "last", "every"), default="last",
                        help="in which runs to SIGKILL the sync process halfway and restart "
                             "it after 5 s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--give-up", type=float, default=600.0)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    everything, per_message, ok = [], [], True
    for run in range(args.runs):
        kill = args.kill == "every" or (args.kill == "last" and run == args.runs - 1)
        result = one_run(run, args, kill)
        values = result["latencies"]
        everything += values
        per_message.append(result["requests"] / args.messages)
        landed, ours = result["adjustments"]
        exact = not result["undelivered"] and landed == ours and not result["refusals"]
        ok = ok and exact
        print(f"run {run + 1}: {args.messages} messages at {args.rate:g}/s, "
              f"{'killed and restarted, ' if kill else ''}"
              f"all delivered in {result['elapsed']:.0f} s: p50 {_pct(values, 50):.1f} s, "
              f"p95 {_pct(values, 95):.1f} s, max {max(values):.1f} s; "
              f"{per_message[-1]:.2f} requests/message; faults served {result['faults']}; "
              f"adjustments in Metrc {landed} of {ours}"
              f"{'' if exact else ' -- NOT EXACTLY ONCE: ' + str(result)[:300]}")
    p95 = _pct(everything, 95)
    print(f"commit -> delivered over {len(everything)} messages: p50 "
          f"{_pct(everything, 50):.1f} s, p95 {p95:.1f} s, max {max(everything):.1f} s "
          f"(goal p95 <= 60 s: {'met' if p95 <= 60 else 'NOT met'}); "
          f"{statistics.median(per_message):.2f} requests/message (median of runs); "
          f"exactly once: {'yes' if ok else 'NO'}")
    return 0 if ok and p95 <= 60 else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: outbox delivery to the training sandbox on loopback.

Prints, over several runs:
- drain throughput: messages delivered per second from a queued backlog, and HTTP requests
  per message (batches of at most ten objects);
- commit-to-delivery latency while Metrc is up: a producer commits steps at a steady rate
  while ``kiosk sync`` runs; p50/p95/p99 of delivered_at - created_at (target p95 <= 2 s).

SQLite in WAL mode with synchronous=FULL (the production setting), the sandbox in a thread of
this process. Usage: python bench/bench_sync.py [--runs 3] [--backlog 2000]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk import clock, db  # noqa: E402
from kiosk.models import OutboxMessage  # noqa: E402
from kiosk.sync import worker as sync_worker  # noqa: E402
from kiosk.sync.sandbox import Sandbox  # noqa: E402
from kiosk.sync.sandbox_data import OUR_LICENSE  # noqa: E402

PLACES = ["Vault A1", "Vault A2", "Sales Floor"]


def _setup(folder: Path, packages: int):
    url = f"sqlite:///{folder / 'bench.db'}"
    db.init(url)
    db.upgrade()
    box = Sandbox(OUR_LICENSE)
    tags = [f"1A40603000000000BE{n:06d}" for n in range(packages)]
    box.world.adopt(PLACES, [{"tag": t, "quantity": 10**7, "unit": "Each",
                              "location": "Vault A1"} for t in tags])
    box.start()
    settings = {"database": url, "license": OUR_LICENSE, "state_system": "metrc",
                "metrc_url": box.url, "metrc_vendor_key": "v", "metrc_user_key": "u",
                "metrc_timeout": 10, "pos": "none", "sync_pull_minutes": 10**6}
    return box, tags, settings


def _write(n: int, tags, serial: int) -> None:
    """One step's commit: one outbox message in its own write transaction."""
    tag = tags[serial % len(tags)]
    kind = ("package.location", "package.adjust", "package.note")[serial % 3]
    payload = {"tag": tag, "location_name": PLACES[serial % 3]} if kind == "package.location" \
        else {"tag": tag, "quantity": -1, "unit": "Each", "reason": "Drying"} \
        if kind == "package.adjust" else {"tag": tag, "note": f"n{serial}"}
    now = clock.now()
    with db.write():
        OutboxMessage.create(target="metrc", kind=kind, payload=payload,
                             external_key=f"bench-{n}-{serial}", ordering_key=tag,
                             next_attempt_at=now, created_at=now)


def drain_run(run: int, backlog: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        box, tags, settings = _setup(Path(tmp), packages=200)
        with db.connection():
            for serial in range(backlog):
                _write(run, tags, serial)
            worker = sync_worker.Worker(settings)
            start = time.perf_counter()
            worker.drain()
            elapsed = time.perf_counter() - start
            delivered = OutboxMessage.select().where(OutboxMessage.status == "delivered").count()
        box.stop()
        db.database.close()
        assert delivered == backlog, f"only {delivered} of {backlog} delivered"
        return backlog / elapsed, len(box.requests) / backlog


def latency_run(run: int, rate: float, seconds: float) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        box, tags, settings = _setup(Path(tmp), packages=200)
        stop = threading.Event()
        thread = threading.Thread(target=sync_worker.run, args=(settings,),
                                  kwargs={"stop": stop}, daemon=True)
        thread.start()
        total = int(rate * seconds)
        with db.connection():
            began = time.perf_counter()
            for serial in range(total):
                _write(1000 + run, tags, serial)
                pause = began + (serial + 1) / rate - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
            deadline = time.perf_counter() + 30
            while time.perf_counter() < deadline:
                if not OutboxMessage.select().where(OutboxMessage.status != "delivered").count():
                    break
                time.sleep(0.05)
            rows = list(OutboxMessage.select(OutboxMessage.created_at,
                                             OutboxMessage.delivered_at))
        stop.set()
        thread.join(timeout=10)
        box.stop()
        db.database.close()
        missing = sum(1 for r in rows if r.delivered_at is None)
        assert not missing, f"{missing} messages not delivered"
        return [(r.delivered_at - r.created_at).total_seconds() for r in rows]


def _pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backlog", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=20.0, help="steps committed per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    rates, per_message = [], []
    for run in range(args.runs):
        speed, requests = drain_run(run, args.backlog)
        rates.append(speed)
        per_message.append(requests)
        print(f"drain run {run + 1}: {args.backlog} messages, {speed:.0f} msgs/s, "
              f"{requests:.3f} requests/message")
    print(f"drain: median {statistics.median(rates):.0f} msgs/s "
          f"(min {min(rates):.0f}, max {max(rates):.0f}); "
          f"{statistics.median(per_message):.3f} requests/message")
    latencies = []
    for run in range(args.runs):
        values = latency_run(run, args.rate, args.seconds)
        latencies += values
        print(f"latency run {run + 1}: {len(values)} steps at {args.rate:g}/s: "
              f"p50 {_pct(values, 50):.3f} s, p95 {_pct(values, 95):.3f} s, "
              f"p99 {_pct(values, 99):.3f} s")
    p95 = _pct(latencies, 95)
    print(f"commit-to-delivery over {len(latencies)} steps: p50 {_pct(latencies, 50):.3f} s, "
          f"p95 {p95:.3f} s, p99 {_pct(latencies, 99):.3f} s "
          f"(target p95 <= 2 s: {'met' if p95 <= 2 else 'NOT met'})")
    return 0 if p95 <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())

"""How fast labels are made and spooled.

1. Labels generated per second: lay out a package label and write its ZPL (the work the
   print worker does per label), for each stock and density. Target: 1,000 labels/s or more.
2. Spooling a 500-label job: 500 print-job rows written in one transaction (as a receiving
   step would), then the print worker sends every one to a ``file://`` spool folder on a
   fresh SQLite database (WAL, synchronous=FULL, as in production). Target: under 1 s.
   The worker claims and marks jobs 25 at a time and makes a batch's files durable with
   one flush of the file system, so what is left is making the labels and writing them.

Run: .venv/bin/python bench/bench_labels.py [--runs 7] [--labels 3000] [--spool 500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk import clock, db  # noqa: E402
from kiosk.hardware import labels, queue, samples  # noqa: E402
from kiosk.hardware.zpl import to_zpl  # noqa: E402
from kiosk.models import PrintJob  # noqa: E402

SPOOL_TARGET_S = 1.0


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def tag(n: int) -> str:
    return f"1A4FF01000000220{n:08d}"


def generation_rate(count: int, stock: str, dpi: int) -> float:
    """Labels per second for ``count`` package labels with distinct tags."""
    base = dict(samples.LABELS["package_label"])
    start = time.perf_counter()
    for n in range(count):
        to_zpl(labels.build("package_label", {**base, "tag": tag(n)}, stock, True), dpi)
    return count / (time.perf_counter() - start)


def spool_time(count: int) -> tuple[float, float]:
    """(seconds to write the job rows, seconds for the worker to spool them all)."""
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as home:
        db.init(f"sqlite:///{home}/kiosk.db")
        db.upgrade()
        settings = {"label_printer": f"file://{home}/spool", "receipt_printer": "none",
                    "label_stock": "2x1", "label_dpi": 203, "training": False}
        base = dict(samples.LABELS["package_label"])
        started = time.perf_counter()
        with db.connection(), db.write():
            now = clock.now()
            PrintJob.insert_many([
                {"device": "label", "layout": "package_label", "data": {**base, "tag": tag(n)},
                 "created_at": now, "station": "bench"} for n in range(count)]).execute()
        queued = time.perf_counter() - started
        started = time.perf_counter()
        handled = queue.run_worker(settings, once=True)
        spooled = time.perf_counter() - started
        assert handled == count, handled
        assert len(os.listdir(f"{home}/spool")) == count
        db.database.close()
        return queued, spooled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--labels", type=int, default=3000)
    parser.add_argument("--spool", type=int, default=500)
    args = parser.parse_args()

    print(f"Label generation ({args.labels} package labels per run, {args.runs} runs, "
          "labels/s):")
    for stock in ("2x1", "4x6"):
        for dpi in (203, 300):
            generation_rate(200, stock, dpi)  # warm-up
            rates = [generation_rate(args.labels, stock, dpi) for _ in range(args.runs)]
            print(f"  {stock} {dpi} dpi: median {statistics.median(rates):,.0f}  "
                  f"p10 {percentile(rates, 10):,.0f}  min {min(rates):,.0f}  "
                  f"max {max(rates):,.0f}")

    print(f"\nSpooling a {args.spool}-label job to file:// ({args.runs} runs, seconds):")
    results = [spool_time(args.spool) for _ in range(args.runs)]
    rows = [r[0] for r in results]
    spools = [r[1] for r in results]
    print(f"  write {args.spool} job rows (one transaction): median "
          f"{statistics.median(rows):.3f}  p90 {percentile(rows, 90):.3f}")
    print(f"  worker sends all {args.spool}: median {statistics.median(spools):.2f}  "
          f"p10 {percentile(spools, 10):.2f}  p90 {percentile(spools, 90):.2f}  "
          f"max {max(spools):.2f}  ({args.spool / statistics.median(spools):,.0f} labels/s)")
    verdict = "met" if max(spools) < SPOOL_TARGET_S else "MISSED"
    print(f"  target: a {args.spool}-label job spooled in under {SPOOL_TARGET_S:.0f} s in every "
          f"run: {verdict} (slowest {max(spools):.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

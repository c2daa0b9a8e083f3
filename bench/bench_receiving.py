"""Receive a 500-package manifest over HTTP against the real server (waitress, SQLite file).

Per package the screen sends what the touchscreen sends: the tag scan, the condition, the
count and the decision; then every package is put away (tag, shelf). Each answer is timed
twice: its round trip on loopback (wall clock, which includes waiting for a busy CPU and
for the disk's fsync at each commit) and the server's own CPU time for it (the sum of its
threads' on-CPU time from /proc, which a busy machine does not inflate). Prints
p50/p95/p99 per step for both, the totals, and the first packages against the last ones,
so a cost that grows with the size of the delivery shows.

Target: p99 per step <= 25 ms, and the 500th package as fast as the first.

    .venv/bin/python bench/bench_receiving.py [--packages 500]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e"), str(ROOT / "tests" / "receiving")]

from kiosk_http import KioskHTTP  # noqa: E402
from liveserver import LiveServer, build_demo_database  # noqa: E402

from kiosk import clock, db, manifests  # noqa: E402

ITEMS = ("Blue Dream 3.5g Jar", "OG Kush 3.5g Jar", "Pineapple Express Cart 0.5g",
         "Watermelon Gummies 100mg", "Live Rosin 1g")
SHELVES = [f"LOC-V-{row}{n}" for row in "AB" for n in range(1, 5)]


def big_manifest(packages: int) -> dict:
    """One delivery of ``packages`` packages in five batches, all with passing COAs."""
    lines, labs = [], []
    for index in range(len(ITEMS)):
        batch = f"BENCH-{index}"
        labs += [{"batch": batch, "test_type": "THC", "passed": True, "thc_pct": 22.0},
                 {"batch": batch, "test_type": "Microbials", "passed": True}]
    for n in range(packages):
        lines.append({"tag": f"1A4050700{n + 1:015d}", "item": ITEMS[n % len(ITEMS)],
                      "batch": f"BENCH-{n % len(ITEMS)}", "quantity": 24, "unit": "Each",
                      "thc_pct": 22.0, "cbd_pct": 0.1})
    per_item = packages // len(ITEMS)
    return {"manifest_number": "0000999001", "shipper_name": "Golden Coast Distribution",
            "shipper_license": "C11-0000222-LIC", "receiver_license": "C10-0000001-LIC",
            "driver_name": "Dana Reyes", "vehicle": "Ford Transit 8ABC123",
            "case_count": 20, "est_arrival": clock.now(), "packages": lines,
            "lab_results": labs,
            "purchase_order": {"number": "PO-BENCH", "vendor_name": "Golden Coast Distribution",
                               "vendor_license": "C11-0000222-LIC",
                               "lines": [{"item": item, "quantity": per_item * 24 +
                                          (24 if i < packages % len(ITEMS) else 0)}
                                         for i, item in enumerate(ITEMS)]}}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = build_demo_database(Path(tmp) / "kiosk.db")
        db.init(url)
        with db.connection(), db.write():
            manifests.load_transfer(big_manifest(args.packages))
        server = LiveServer(url, Path(tmp), station="receiving-1")
        server.start()
        try:
            return run(server, args.packages)
        finally:
            server.stop()


def run(server, packages: int) -> int:
    screen = KioskHTTP(server.url)
    screen.login("1001", "1234")
    run_id = screen.start("receiving")
    screen.show(run_id)
    times: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    per_package: list[float] = []
    def answer(step: str, **form) -> float:
        before = server.cpu_ns()
        feedback, elapsed = screen.step(run_id, step, **form)
        cpu[step].append((server.cpu_ns() - before) / 1e9)
        if feedback.get("tone") != "ok":
            raise SystemExit(f"{step} was refused: {feedback}")
        times[step].append(elapsed)
        return elapsed

    answer("delivery", value="MAN-0000999001")
    answer("transport", value="pass")
    answer("order")
    answer("cases", value="20")
    began = time.perf_counter()
    for n in range(packages):
        tag = f"1A4050700{n + 1:015d}"
        per_package.append(answer("package", value=tag) + answer("condition", value="intact")
                           + answer("units", value="24") + answer("decide", value="accept"))
    checking = time.perf_counter() - began
    put_times: list[float] = []
    for n in range(packages):
        tag = f"1A4050700{n + 1:015d}"
        put_times.append(answer("putaway", value=tag)
                         + answer("shelf", value=SHELVES[n % len(SHELVES)]))
    answer("review", value="__finish__")
    answer("sign", badge="1001", pin="1234")
    answer("slip", value="print")
    answer("labels", value="print")
    answer("metrc", value="pass")
    screen.close()

    print(f"Received {packages} packages over HTTP ({server.url}, waitress, SQLite).")
    for title, table in (("Round trip (wall clock)", times), ("Server CPU time", cpu)):
        print(f"{title}:")
        print(f"  {'step':<10} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        every = []
        for step, values in table.items():
            every += values
            print(f"  {step:<10} {len(values):>5} {ms(pct(values, 50))} {ms(pct(values, 95))} "
                  f"{ms(pct(values, 99))} {ms(max(values))}")
        print(f"  {'all':<10} {len(every):>5} {ms(pct(every, 50))} {ms(pct(every, 95))} "
              f"{ms(pct(every, 99))} {ms(max(every))}")
    every = [v for values in times.values() for v in values]
    cpu_total = sum(v for values in cpu.values() for v in values)
    tenth = max(1, packages // 10)
    first, last = statistics.median(per_package[:tenth]), statistics.median(per_package[-tenth:])
    put_first = statistics.median(put_times[:tenth])
    put_last = statistics.median(put_times[-tenth:])
    print(f"Checking (scan+condition+count+decision) per package, median: first {tenth} "
          f"{ms(first)} ms, last {tenth} {ms(last)} ms")
    print(f"Putaway (tag+shelf) per package, median: first {tenth} {ms(put_first)} ms, "
          f"last {tenth} {ms(put_last)} ms")
    cpu_first = statistics.mean(sum(cpu[s][i] for s in ("package", "condition", "units",
                                                         "decide")) for i in range(tenth))
    cpu_last = statistics.mean(sum(cpu[s][i] for s in ("package", "condition", "units",
                                                        "decide"))
                               for i in range(packages - tenth, packages))
    print(f"Checking, server CPU per package: first {tenth} {ms(cpu_first)} ms, last {tenth} "
          f"{ms(cpu_last)} ms")
    put_cpu = [a + b for a, b in zip(cpu["putaway"], cpu["shelf"], strict=True)]
    print(f"Putaway, server CPU per package: first {tenth} "
          f"{ms(statistics.mean(put_cpu[:tenth]))} ms, last {tenth} "
          f"{ms(statistics.mean(put_cpu[-tenth:]))} ms")
    check_cpu = [sum(cpu[s][i] for s in ("package", "condition", "units", "decide"))
                 for i in range(packages)]
    print("Checking, server CPU per package by tenth of the delivery (median ms): "
          + " ".join(f"{statistics.median(check_cpu[i:i + tenth]) * 1000:.1f}"
                     for i in range(0, packages - tenth + 1, tenth)))
    print("For reference, the condition step alone (no per-delivery work) by tenth (median "
          "ms): " + " ".join(f"{statistics.median(cpu['condition'][i:i + tenth]) * 1000:.1f}"
                             for i in range(0, packages - tenth + 1, tenth)))
    ref_first = statistics.median(cpu["condition"][:tenth])
    ref_last = statistics.median(cpu["condition"][-tenth:])
    print(f"Checking per package in units of that reference step (machine speed cancels "
          f"out): first tenth {statistics.median(check_cpu[:tenth]) / ref_first:.2f}, "
          f"last tenth {statistics.median(check_cpu[-tenth:]) / ref_last:.2f}")
    print("Putaway, server CPU per package by tenth of the delivery (median ms): "
          + " ".join(f"{statistics.median(put_cpu[i:i + tenth]) * 1000:.1f}"
                     for i in range(0, packages - tenth + 1, tenth)))
    print(f"Total: {sum(every):.2f} s of round trips (checking {checking:.2f} s), "
          f"{cpu_total:.2f} s of server CPU")
    print("Once per delivery (round trip, ms): " + ", ".join(
        f"{step} {ms(times[step][0]).strip()}" for step in ("sign", "slip", "labels", "metrc")))
    print(f"Machine load average while measuring: {Path('/proc/loadavg').read_text().split()[0]}")
    worst = max(pct(v, 99) for v in times.values() if len(v) >= packages)
    ok = worst <= 0.025 and last <= first * 1.25 and put_last <= put_first * 1.25
    print("Target p99 <= 25 ms per step, last packages as fast as the first: "
          + ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

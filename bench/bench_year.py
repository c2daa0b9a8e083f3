"""A year of records against a fresh store, and SQLite against PostgreSQL, in one run.

    python bench/bench_year.py [--movements 1000000] [--open-scans 60] [--reps 3]
                               [--flat-scans 100] [--views 15] [--keep DIR] [--check]

Each store is served by `kiosk serve` as systemd starts it: on SQLite (files in WAL mode,
synchronous=FULL) and on PostgreSQL (a throwaway cluster this script starts with Debian's
`initdb`, fsync on), a fresh demo store and a store with a year of a busy store's history
(`kiosk generate-year`: by default 1,000,000 movements, 2,050,000 audit entries, 50,000 runs).

What it prints for each database, and the goals:

1. Scan p99, year over fresh (goal ≤ 1.2): ten kiosks, each scanning on its own Poisson
   process of one scan a second (bench_scan's open loop), rounds taken in turn on the two
   stores so the host's other work falls on both alike.
2. The home screen and the manager's lists, year over fresh (goal ≤ 1.2 for each): a
   logged-in manager opens each screen ``--views`` times on each store, in turn; medians.
3. `kiosk verify` on the year (goal ≤ 30 s), and on the fresh store beside it.
Then, once: ten kiosks flat out (each sends its next scan the moment the last is
answered) on the fresh SQLite and PostgreSQL stores, in turn: p50, p99, scans/s and the
CPU per scan (the server's, and on PostgreSQL its database's too).

``--keep DIR`` keeps the SQLite year store in DIR and reuses it on the next run (building it
takes a minute or two). The load average is printed before and after: other work on the machine
shows in every figure.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT))

import bench_scan  # noqa: E402
from liveserver import HttpKiosk, LiveServer, build_demo_database, free_port  # noqa: E402

KIOSKS = 10
RATIO_GOAL, VERIFY_GOAL = 1.2, 30.0
SCREENS = ("/", "/manager", "/manager/runs", "/manager/sync", "/manager/printing",
           "/manager/vault-log", "/manager/counts", "/manager/figures", "/manager/staff")
MANAGER = ("1006", "6789")  # Femi Adeyemi in the demo store


def kiosk_command(url: str, *args: str, timeout: float = 3600) -> tuple[float, str]:
    """Run ``kiosk --database url args`` as its own process; its wall time and output."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "--database", url, *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"kiosk {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return time.perf_counter() - began, done.stdout


def demo_store(url: str) -> str:
    """The demo store, as `kiosk demo` builds it, at ``url`` (any database)."""
    code = ("import sys\nfrom kiosk import db, demo, demo_counts\n"
            "db.init(sys.argv[1])\ndb.upgrade()\n"
            "with db.connection():\n    demo.build()\n    demo_counts.seed()\n")
    subprocess.run([sys.executable, "-c", code, url], check=True, cwd=ROOT,
                   capture_output=True, timeout=300)
    return url


class Postgres:
    """A throwaway PostgreSQL cluster on loopback (Debian's binaries), fsync on."""

    def __init__(self):
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins:
            raise SystemExit("PostgreSQL is not installed (Debian's postgresql package).")
        self.bin = bins[-1]
        self.home = Path(tempfile.mkdtemp(prefix="kiosk-bench-pg-"))
        self.port = free_port()
        self.as_postgres = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres")

    def start(self) -> Postgres:
        data = self.home / "data"
        subprocess.run([*self.as_postgres, str(self.bin / "initdb"), "-D", str(data), "-A",
                        "trust", "-U", "kiosk"], check=True, capture_output=True)
        subprocess.run([*self.as_postgres, str(self.bin / "pg_ctl"), "-D", str(data), "-l",
                        str(self.home / "pg.log"), "-o",
                        f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 "
                        "-c max_connections=200", "-w", "start"],
                       check=True, capture_output=True)
        return self

    def database(self, name: str) -> str:
        import psycopg2

        conn = psycopg2.connect(f"postgresql://kiosk@127.0.0.1:{self.port}/postgres")
        conn.autocommit = True
        conn.cursor().execute(f"CREATE DATABASE {name}")
        conn.close()
        return f"postgresql://kiosk@127.0.0.1:{self.port}/{name}"

    def cpu_ns(self) -> int:
        """CPU time of the whole cluster so far (the postmaster and every backend)."""
        from liveserver import _tree_cpu_ns

        pid = int((self.home / "data" / "postmaster.pid").read_text().split()[0])
        return _tree_cpu_ns(pid)

    def stop(self) -> None:
        subprocess.run([*self.as_postgres, str(self.bin / "pg_ctl"), "-D",
                        str(self.home / "data"), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(self.home, ignore_errors=True)


def year_store(keep: Path | None, workdir: Path, movements: int) -> str:
    folder = keep or workdir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"year-{movements}.db"
    url = f"sqlite:///{path}"
    marker = folder / f"year-{movements}.built"
    if keep is None or not marker.exists():
        for stale in folder.glob(f"year-{movements}.db*"):
            stale.unlink()
        took, out = kiosk_command(url, "generate-year", "--movements", str(movements))
        print(f"Built the year store in {took:.0f} s: {out.strip()}", flush=True)
        marker.write_text(url)
    else:
        print(f"Reusing the year store at {path}.", flush=True)
    return url


class Store:
    """One store under `kiosk serve`, with its benchmark kiosks and a manager's screen."""

    def __init__(self, name: str, url: str, workdir: Path, database_cpu=None):
        self.name, self.url, self.database_cpu = name, url, database_cpu
        self.where = bench_scan.add_kiosks(url, KIOSKS)
        folder = workdir / name
        folder.mkdir(parents=True, exist_ok=True)
        self.server = LiveServer(url, folder).start(timeout=120)
        self.manager = HttpKiosk(self.server.url, "vault-1", timeout=60)
        self.manager.login(*MANAGER)
        self.first_tag = 1

    def tags(self) -> int:
        """The first package of the next round (each round moves packages of its own)."""
        if self.first_tag + 12 * KIOSKS > bench_scan.PACKAGES + 1:
            self.first_tag = 1
        first = self.first_tag
        self.first_tag += 12 * KIOSKS
        return first

    def open_round(self, scans: int) -> dict:
        return bench_scan.one_round(self.measured(), KIOSKS, scans, self.where, self.tags(),
                                    rate=1.0)

    def flat_round(self, scans: int) -> dict:
        return bench_scan.one_round(self.measured(), KIOSKS, scans, self.where, self.tags())

    def measured(self):
        """The server as bench_scan's rounds see it: its address, and the CPU time of it
        and of its database (on PostgreSQL the queries run in the database's processes)."""
        return SimpleNamespace(url=self.server.url, cpu_ns=self.cpu_ns)

    def cpu_ns(self) -> int:
        """CPU time the store's server has used so far, and its database's on PostgreSQL."""
        return self.server.cpu_ns() + (self.database_cpu() if self.database_cpu else 0)

    def view(self, path: str) -> tuple[float, float]:
        """Open ``path`` as the manager: the wall time and the CPU time it took, in ms."""
        cpu = self.cpu_ns()
        began = time.perf_counter()
        response = self.manager.http.get(self.server.url + path, timeout=60)
        took = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{self.name}: {path} answered {response.status_code}")
        return took, (self.cpu_ns() - cpu) / 1e6

    def stop(self) -> None:
        self.server.stop()


def p(values: list[float], q: float) -> float:
    return bench_scan.percentile(values, q)


def scans_year_over_fresh(fresh: Store, year: Store, scans: int, reps: int) -> float:
    print(f"\n1. Scans: {KIOSKS} kiosks, one scan a second each at random (open loop), "
          f"{scans} timed scans per kiosk, {reps} rounds per store, in turn.")
    print(f"{'store':>6} {'round':>5} {'scans':>6} {'p50 ms':>7} {'p99 ms':>7} {'cpu ms':>7}")
    pooled = {fresh.name: [], year.name: []}
    for rep in range(1, reps + 1):
        for store in (fresh, year) if rep % 2 else (year, fresh):
            r = store.open_round(scans)
            pooled[store.name] += r["times"]
            print(f"{store.name:>6} {rep:>5} {len(r['times']):>6} {p(r['times'], 50):>7.1f} "
                  f"{p(r['times'], 99):>7.1f} {r['cpu_ms']:>7.2f}", flush=True)
    f99, y99 = p(pooled[fresh.name], 99), p(pooled[year.name], 99)
    ratio = y99 / f99
    print(f"{'':>6} p99 fresh {f99:.1f} ms, year {y99:.1f} ms: year over fresh {ratio:.2f} "
          f"(goal ≤ {RATIO_GOAL}); p50 {p(pooled[fresh.name], 50):.1f} and "
          f"{p(pooled[year.name], 50):.1f} ms.")
    return ratio


def screens_year_over_fresh(fresh: Store, year: Store, views: int) -> float:
    print(f"\n2. Screens a manager opens, each {views} times per store in turn (after one "
          "unmeasured opening): medians of the wall time and of the CPU time it cost the "
          "server and its database (the steadier of the two on a shared host).")
    print(f"{'screen':<22} {'fresh ms':>9} {'year ms':>8} {'ratio':>6} {'fresh cpu':>10} "
          f"{'year cpu':>9} {'ratio':>6}")
    worst = 0.0
    for path in SCREENS:
        times = {fresh.name: [], year.name: []}
        fresh.view(path)
        year.view(path)
        for i in range(views):
            for store in (fresh, year) if i % 2 else (year, fresh):
                times[store.name].append(store.view(path))
        f = statistics.median(t for t, _ in times[fresh.name])
        y = statistics.median(t for t, _ in times[year.name])
        fc = statistics.median(c for _, c in times[fresh.name])
        yc = statistics.median(c for _, c in times[year.name])
        worst = max(worst, min(y / f, yc / fc))
        print(f"{path:<22} {f:>9.1f} {y:>8.1f} {y / f:>6.2f} {fc:>10.1f} {yc:>9.1f} "
              f"{yc / fc:>6.2f}", flush=True)
    print(f"{'':<22} worst ratio {worst:.2f} (goal ≤ {RATIO_GOAL} for each screen, by wall "
          "time or, where other work on the host moved it, by CPU time).")
    return worst


def sqlite_and_postgres(lite: Store, pg: Store, scans: int, reps: int) -> None:
    print(f"\n4. {KIOSKS} kiosks flat out (each scans the moment its last answer is in), "
          f"{scans} timed scans per kiosk, {reps} rounds per database, in turn.")
    print(f"{'store':>10} {'round':>5} {'scans':>6} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'scans/s':>8} {'cpu ms':>7}")
    figures = {lite.name: ([], [], []), pg.name: ([], [], [])}
    for rep in range(1, reps + 1):
        for store in (lite, pg) if rep % 2 else (pg, lite):
            r = store.flat_round(scans)
            times, rates, cpu = figures[store.name]
            times += r["times"]
            rates.append(r["rate"])
            cpu.append(r["cpu_ms"])
            print(f"{store.name:>10} {rep:>5} {len(r['times']):>6} {p(r['times'], 50):>7.1f} "
                  f"{p(r['times'], 99):>7.1f} {r['rate']:>8.0f} {r['cpu_ms']:>7.2f}",
                  flush=True)
    for name, (times, rates, cpu) in figures.items():
        print(f"{name:>10} {'all':>5} {len(times):>6} {p(times, 50):>7.1f} {p(times, 99):>7.1f} "
              f"{statistics.median(rates):>8.0f} {statistics.median(cpu):>7.2f}")


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def year_against_fresh(label: str, fresh_url: str, year_url: str, work: Path, args,
                       stores: list, database_cpu=None) -> tuple[Store, dict]:
    """Parts 1 to 3 on one database; returns the fresh store (still serving) and the
    figures against the goals."""
    print(f"\n== {label}: the year store against a fresh one ==", flush=True)
    fresh = Store("fresh", fresh_url, work / label, database_cpu)
    stores.append(fresh)
    year = Store("year", year_url, work / label, database_cpu)
    stores.append(year)
    figures = {"scan p99 ratio": scans_year_over_fresh(fresh, year, args.open_scans, args.reps),
               "screens ratio": screens_year_over_fresh(fresh, year, args.views)}
    print("\n3. kiosk verify (its own process, as a manager runs it):")
    fresh_verify, _ = kiosk_command(fresh_url, "verify")
    year_verify, out = kiosk_command(year_url, "verify")
    print(f"   fresh store {fresh_verify:.1f} s; year store {year_verify:.1f} s "
          f"(goal ≤ {VERIFY_GOAL:.0f} s): {out.strip()}", flush=True)
    figures["verify s"] = year_verify
    year.stop()
    stores.remove(year)
    return fresh, figures


GOALS = {"scan p99 ratio": RATIO_GOAL, "screens ratio": RATIO_GOAL, "verify s": VERIFY_GOAL}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--open-scans", type=int, default=60,
                        help="timed scans per kiosk and round on the open loop")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--flat-scans", type=int, default=100)
    parser.add_argument("--views", type=int, default=15)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the SQLite year store here")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 if a goal is missed")
    args = parser.parse_args(argv)
    print(f"A year of records against a fresh store; {os.cpu_count()} CPUs, {load()}.",
          flush=True)
    stores: list[Store] = []
    results: dict[str, dict] = {}
    postgres = None
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-year-") as tmp:
        work = Path(tmp)
        for label in ("SQLite", "PostgreSQL"):
            (work / label).mkdir()
        try:
            fresh_url = build_demo_database(work / "fresh.db")
            year_url = year_store(args.keep, work, args.movements)
            gc.collect()
            gc.freeze()  # the load generator's own collections would be timed as waits
            lite, results["SQLite"] = year_against_fresh("SQLite", fresh_url, year_url, work,
                                                         args, stores)
            if not args.no_postgres:
                postgres = Postgres().start()
                pg_fresh = demo_store(postgres.database("fresh"))
                pg_year = postgres.database("year")
                took, out = kiosk_command(pg_year, "generate-year", "--movements",
                                          str(args.movements))
                print(f"\nBuilt the PostgreSQL year store in {took:.0f} s: {out.strip()}",
                      flush=True)
                pg, results["PostgreSQL"] = year_against_fresh(
                    "PostgreSQL", pg_fresh, pg_year, work, args, stores, postgres.cpu_ns)
                lite.name, pg.name = "sqlite", "postgresql"
                sqlite_and_postgres(lite, pg, args.flat_scans, args.reps)
        finally:
            for store in stores:
                store.stop()
            if postgres is not None:
                postgres.stop()
    print(f"\nFinished at {load()}. Goals:")
    missed = False
    for label, figures in results.items():
        marks = []
        for name, value in figures.items():
            ok = value <= GOALS[name]
            missed = missed or not ok
            marks.append(f"{name} {value:.2f} (≤ {GOALS[name]:g}: {'met' if ok else 'MISSED'})")
        print(f"  {label}: " + "; ".join(marks))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``kiosk`` command: demo, serve, sync, db upgrade, users, verify, workflows show,
print-test, sandbox, backup, restore, evidence, purge, generate-year."""

from __future__ import annotations

import argparse
import secrets
import socket
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from kiosk import backups, clock, config, db


def _settings(args) -> dict:
    overrides = {}
    if getattr(args, "database", None):
        overrides["database"] = args.database
    settings = config.load(overrides)
    clock.use_zone(settings["timezone"])
    return settings


def _bind(settings: dict, make_key: bool = True) -> None:
    """Bind the store's database and its audit key (made at the first start; never by
    `kiosk verify`, to which a missing key is a finding)."""
    from kiosk import audit_key

    db.init(settings["database"])
    where = audit_key.use(settings.get("audit_key"))
    if make_key and audit_key.create(where):
        print(f"Made the audit chain's key: {where} (readable by this user only; keep a copy "
              "off this machine, apart from the database's backups).", file=sys.stderr)


def cmd_db_upgrade(args) -> int:
    settings = _settings(args)
    _bind(settings)
    if db.up_to_date_at_rest():
        print("The database is up to date.")
        return 0
    applied = db.upgrade()
    print("Applied: " + ", ".join(applied) if applied else "The database is up to date.")
    return 0


def _problems(given=()) -> list[str]:
    """What ``kiosk verify`` finds wrong in the bound database, in words."""
    from kiosk import ledger

    return ledger.verify_chain(given) + ledger.verify_quantities()


def cmd_verify(args) -> int:
    from kiosk import anchors

    try:
        given = [anchors.parse(text) for text in args.anchor or ()]
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    _bind(_settings(args), make_key=False)
    with db.connection():
        problems = _problems(given)
    if problems:
        print(f"{len(problems)} problem(s) found:")
        for problem in problems:
            print(f"- {problem}")
        return 1
    print("OK: the audit chain is intact and signed with the store's key, it passes through "
          "every anchor, every record it vouches for matches it, and every package's quantity "
          "equals the sum of its movements.")
    return 0


def cmd_workflows_show(args) -> int:
    from kiosk import engine, workflows

    workflow = workflows.get(args.name)
    if workflow is None:
        names = ", ".join(w.key for w in workflows.WORKFLOWS)
        print(f"No workflow called {args.name!r}. Known: {names}.", file=sys.stderr)
        return 2
    print(engine.describe(workflow))
    return 0


def cmd_users(args) -> int:
    from kiosk import auth, clock, staff
    from kiosk.models import ROLES, Employee

    _bind(_settings(args))
    with db.connection():
        if args.action == "list":
            for e in Employee.select().order_by(Employee.badge):
                state = "must choose a PIN" if e.must_set_pin and e.active else (
                    "active" if e.active else "inactive")
                print(f"{e.badge:>8}  {e.name:<24} {e.roles:<28} {e.language}  {state}")
            return 0
        if args.action == "add":
            roles = [r.strip() for r in args.roles.split(",") if r.strip()]
            unknown = [r for r in roles if r not in ROLES]
            if unknown or not roles:
                print(f"Roles must be from: {', '.join(ROLES)}.", file=sys.stderr)
                return 2
            if not (args.pin.isdigit() and 4 <= len(args.pin) <= 8):
                print("The PIN must be 4 to 8 digits.", file=sys.stderr)
                return 2
            with db.write():
                holder = staff.badge_holder(args.badge)
                if holder is not None:
                    print(f"Badge {args.badge} already belongs to {holder.name}; badge "
                          "numbers are unique among active people.", file=sys.stderr)
                    return 2
                Employee.create(name=args.name, badge=args.badge, pin_hash=auth.hash_pin(args.pin),
                                roles=",".join(roles), created_at=clock.now())
            print(f"Added {args.name} with badge {args.badge}.")
            return 0
        employee = Employee.holder(args.badge)
        if employee is None:
            print(f"No employee has badge {args.badge}.", file=sys.stderr)
            return 2
        with db.write():
            if args.action == "deactivate":
                employee.active = False
                employee.save()
                print(f"{employee.name} can no longer log in or sign.")
            elif args.action == "set-pin":
                employee.pin_hash = auth.hash_pin(args.pin)
                employee.must_set_pin = False
                employee.save()
                print(f"New PIN set for {employee.name}.")
    return 0


def cmd_stations(args) -> int:
    """The screens this store has; a screen opens /?station=NAME once to say which it is."""
    from kiosk.models import Station

    _bind(_settings(args))
    with db.connection():
        if args.action == "add":
            if not args.name:
                print("Give the screen a name, for example --name vault-1.", file=sys.stderr)
                return 2
            with db.write():
                Station.get_or_create(name=args.name, defaults={"kind": args.kind})
            print(f"Screen {args.name} ({args.kind}) is registered; open "
                  f"http://127.0.0.1:8080/?station={args.name} on it once.")
            return 0
        for station in Station.select().order_by(Station.name):
            print(f"{station.name:<20} {station.kind}")
    return 0


def _serve(settings: dict, host: str, port: int, alongside=None) -> int:
    from kiosk import server

    return server.serve(settings, host, port, alongside)


def cmd_serve(args) -> int:
    settings = _settings(args)
    _bind(settings)
    if db.pending():
        print("The database needs upgrading: run `kiosk db upgrade` first.", file=sys.stderr)
        return 2
    from kiosk import anchors

    with backups.in_use(settings):
        try:
            return _serve(settings, args.host, args.port)
        finally:
            with db.connection():
                anchors.write_quietly()  # the head as the kiosk stops


def cmd_demo(args) -> int:
    """Build the demo store (once), then serve it with the syncer and the training sandbox."""
    from kiosk import demo
    from kiosk.models import Employee

    settings = _settings(args)
    _bind(settings)
    db.upgrade()
    with db.connection():
        empty = Employee.select().count() == 0
    if empty:
        from kiosk import demo_counts

        counts = demo.build(license=settings["license"])
        counts.update(demo_counts.seed())  # a count due today, variances to investigate
        print(f"Built the demo store: {counts}")
    if settings["pos"] == "none":  # no POS to pull from: the demo's sales, as if sent
        with db.connection():
            demo.record_sales()
    if not settings["pos_secret"]:
        # The simulated POS signs its pick requests like a real one; with no secret set, this
        # demo run makes its own, known only to the kiosk and the simulator.
        settings["pos_secret"] = secrets.token_hex(16)
    with backups.in_use(settings):
        return _serve(settings, args.host, args.port,
                      alongside=lambda: _start_demo_services(settings, args.host, args.port))


def _start_demo_services(settings: dict, host: str, port: int) -> None:
    """The simulated POS, and the training sandbox and the syncer, in this process."""
    from kiosk.sync import pos_simulator

    here = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    pos_simulator.start(f"http://{here}:{port}", settings["pos_secret"])
    print("Simulated POS: a signed pick request about once a minute; open /picks to see the "
          "queue.", flush=True)
    try:
        from kiosk.sync import sandbox, worker
    except ImportError:
        return
    port = urlparse(settings["metrc_url"]).port or 8181
    threading.Thread(target=sandbox.serve, args=(port,), daemon=True, name="sandbox").start()
    # The syncer pulls at once; let the sandbox listen first so that pull finds it.
    _wait_for(port)
    pos_url = urlparse(str(settings["pos"]).partition("+")[2])
    if settings["pos"].startswith("dutchie+") and pos_url.hostname in ("127.0.0.1", "localhost"):
        from kiosk.sync import dutchie_sandbox

        threading.Thread(target=dutchie_sandbox.serve, args=(pos_url.port or 80,),
                         daemon=True, name="dutchie-sandbox").start()
        _wait_for(pos_url.port or 80)
    threading.Thread(target=worker.run, args=(settings,), daemon=True, name="sync").start()
    print(f"Training sandbox (Metrc) at http://127.0.0.1:{port}/; syncer running.", flush=True)


def _wait_for(port: int, seconds: float = 10) -> None:
    """Until something listens on ``port`` (a sandbox starting in its thread)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)


def cmd_generate_year(args) -> int:
    """A store with a year of a busy store's history, for the scale benchmark and tests."""
    import datetime as dt

    from kiosk import demo, demo_counts, history
    from kiosk.models import Employee

    settings = _settings(args)
    _bind(settings)
    db.upgrade()
    with db.connection():
        if Employee.select().exists():
            print("The database already holds a store; give an empty one.", file=sys.stderr)
            return 2
    now = clock.now()
    start = now - dt.timedelta(days=args.days)
    began = time.monotonic()
    # The demo store opened a day before the year began, so the chain reads in time order.
    real = clock.install(clock.FixedClock(start - dt.timedelta(days=1)))
    try:
        with db.connection():
            demo.build(license=settings["license"])
    finally:
        clock.install(real)

    def progress(done: int, total: int) -> None:
        print(f"  {done:,} of {total:,} movements ({time.monotonic() - began:.0f} s)",
              flush=True)

    counts = history.build(args.movements, start, now - dt.timedelta(hours=1),
                           progress=progress if args.progress else None)
    with db.connection():
        demo_counts.seed()  # today's counts and the outside figures, as `kiosk demo` has
    print(f"Built a store with {args.days} days of history in "
          f"{time.monotonic() - began:.0f} s: "
          + ", ".join(f"{n:,} {what}" for what, n in counts.items()) + ".")
    return 0


def cmd_sync(args) -> int:
    from kiosk.sync import worker

    settings = _settings(args)
    _bind(settings)
    with backups.in_use(settings):
        worker.run(settings, once=args.once)
    return 0


def cmd_sandbox(args) -> int:
    """The training Metrc, or with ``--pos dutchie`` the training Dutchie. Either serves the
    store's own stock and sales when its database can be opened, else its demo stock."""
    from kiosk.sync import dutchie_sandbox, sandbox

    settings = _settings(args)
    url = urlparse(settings["database"])
    if url.scheme != "sqlite" or Path(url.path.removeprefix("/")).exists():
        _bind(settings)  # a store to read (a new SQLite file is not made for nothing)
    if args.pos == "dutchie":
        dutchie_sandbox.serve(args.port or 8282, args.host)
    else:
        sandbox.serve(args.port or 8181, args.host)
    return 0


def cmd_print_test(args) -> int:
    from kiosk.hardware import queue

    settings = _settings(args)
    _bind(settings)
    lines = queue.print_test(settings)
    for line in lines:
        print(line)
    return 0 if not any(line.lower().startswith("not ") or "failed" in line.lower()
                        for line in lines) else 1


def cmd_backup(args) -> int:
    """An online backup that is safe while the kiosk runs (never a file copy)."""
    settings = _settings(args)
    _bind(settings)
    if not db.is_sqlite():
        print("Back up PostgreSQL with pg_dump (see 'Backup and restore' in the README).",
              file=sys.stderr)
        return 2
    try:
        written = backups.backup(Path(args.target), keep=args.keep)
    except backups.Refused as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Backup written to {written}: integrity ok.")
    return 0


def cmd_restore(args) -> int:
    """Put a backup in place of the database, once it is checked; the old one is kept."""
    settings = _settings(args)
    try:
        done = backups.restore(Path(args.backup), settings, verify=_problems)
    except backups.Refused as exc:
        print(exc, file=sys.stderr)
        return 1
    from kiosk import anchors

    _bind(settings, make_key=False)
    with db.connection():
        anchors.restored(str(Path(args.backup).absolute()))
    print("\n".join(done))
    return 0


def _date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: write it YYYY-MM-DD.") from None


def cmd_evidence(args) -> int:
    """An inspector's evidence packet of a package or a day, or the check of one (offline)."""
    if args.verify:
        from kiosk import evidence_check

        result = evidence_check.check(args.verify)
        print(evidence_check.report(result))
        return 0 if result.intact else 1
    if not args.out:
        print("Say where the packet goes: --out FILE.zip.", file=sys.stderr)
        return 2
    from kiosk import evidence

    settings = _settings(args)
    _bind(settings)
    try:
        if args.day:
            packet = evidence.day_packet(args.day, Path(args.out), station="command line",
                                         settings=settings)
        else:
            packet = evidence.package_packet(args.package, Path(args.out),
                                             station="command line", settings=settings)
    except LookupError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"Evidence packet for {packet.subject} written to {packet.path}: {packet.files} "
          f"files, {packet.records} records.\nFingerprint (SHA-256 of its manifest, also in "
          f"the audit chain): {packet.fingerprint}")
    return 0


def cmd_purge(args) -> int:
    """Remove derived files older than seven years; refuses anything younger."""
    from kiosk import retention

    settings = _settings(args)
    _bind(settings)
    try:
        done = retention.purge(args.before, station="command line", settings=settings,
                               dry_run=args.dry_run)
    except retention.Refused as exc:
        print(exc, file=sys.stderr)
        return 1
    verb = "Would remove" if args.dry_run else "Removed"
    print(f"{verb} {len(done.files)} file(s) from before {done.before.isoformat()}; no record "
          "or audit entry is ever deleted (see Retention in the README).")
    for name, digest in done.files:
        print(f"- {name} (SHA-256 {digest})")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk", description="Dispensary back-of-house kiosk.")
    p.add_argument("--database", help="overrides KIOSK_DATABASE")
    sub = p.add_subparsers(dest="command", required=True)
    for name, fn in (("demo", cmd_demo), ("serve", cmd_serve)):
        s = sub.add_parser(name)
        s.add_argument("--host", default="127.0.0.1")
        s.add_argument("--port", type=int, default=8080)
        s.set_defaults(fn=fn)
    s = sub.add_parser("db")
    s.add_argument("action", choices=["upgrade"])
    s.set_defaults(fn=cmd_db_upgrade)
    s = sub.add_parser("verify")
    s.add_argument("--anchor", action="append", metavar="ENTRY:HASH",
                   help="a chain head from a slip or a packet the chain must pass through")
    s.set_defaults(fn=cmd_verify)
    s = sub.add_parser("workflows")
    s.add_argument("action", choices=["show"])
    s.add_argument("name")
    s.set_defaults(fn=cmd_workflows_show)
    s = sub.add_parser("users")
    s.add_argument("action", choices=["list", "add", "deactivate", "set-pin"])
    s.add_argument("--name", default="")
    s.add_argument("--badge", default="")
    s.add_argument("--pin", default="")
    s.add_argument("--roles", default="")
    s.set_defaults(fn=cmd_users)
    s = sub.add_parser("stations")
    s.add_argument("action", choices=["list", "add"])
    s.add_argument("--name", default="")
    s.add_argument("--kind", default="receiving", choices=["receiving", "vault", "floor", "office"])
    s.set_defaults(fn=cmd_stations)
    s = sub.add_parser("sync")
    s.add_argument("--once", action="store_true")
    s.set_defaults(fn=cmd_sync)
    s = sub.add_parser("sandbox")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0, help="8181 for Metrc, 8282 for Dutchie")
    s.add_argument("--pos", choices=["dutchie"], help="the training POS instead of Metrc")
    s.set_defaults(fn=cmd_sandbox)
    s = sub.add_parser("generate-year", help="a store with a year of history (for scale)")
    s.add_argument("--movements", type=int, default=1_000_000,
                   help="movements (and audit entries) in the year; runs are one in twenty")
    s.add_argument("--days", type=int, default=365)
    s.add_argument("--progress", action="store_true")
    s.set_defaults(fn=cmd_generate_year)
    s = sub.add_parser("print-test")
    s.set_defaults(fn=cmd_print_test)
    s = sub.add_parser("backup")
    s.add_argument("target", help="a new file, or a folder to put a dated backup in")
    s.add_argument("--keep", type=int, default=0,
                   help="in a folder, keep only the newest N backups")
    s.set_defaults(fn=cmd_backup)
    s = sub.add_parser("restore")
    s.add_argument("backup", help="a file written by kiosk backup")
    s.set_defaults(fn=cmd_restore)
    s = sub.add_parser("evidence", help="an inspector's evidence packet, or check one")
    which = s.add_mutually_exclusive_group(required=True)
    which.add_argument("--package", metavar="TAG")
    which.add_argument("--day", type=_date, metavar="YYYY-MM-DD")
    which.add_argument("--verify", metavar="FILE.zip", help="check a packet (no database)")
    s.add_argument("--out", metavar="FILE.zip")
    s.set_defaults(fn=cmd_evidence)
    s = sub.add_parser("purge", help="remove derived files older than 7 years")
    s.add_argument("--before", type=_date, required=True, metavar="YYYY-MM-DD")
    s.add_argument("--dry-run", action="store_true", help="say what would go; remove nothing")
    s.set_defaults(fn=cmd_purge)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.fn(args) or 0
    except config.ConfigError as exc:
        print(f"Setting problem: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""A year of a busy store's history, written in bulk: the store the scale benchmark and
tests run on (``kiosk generate-year``).

A year of a busy store is about a million stock movements and as many audit entries, from
some fifty thousand runs. Made one step at a time through the engine that would take hours,
so the rows are written a chunk at a time (``executemany`` on SQLite, ``COPY`` on
PostgreSQL). Nothing is faked: every package's quantity is the sum of its movements, and
every audit entry is signed with the store's key and linked by the ledger's own function
(each movement and each delivery has its entry, as the ledger and the syncer write them),
so ``kiosk verify`` checks the year exactly as it checks a store that lived it.

The shape, per run (a *Move packages* walk at a screen): it starts, takes twenty scans, each
a step event, a movement and an audit entry, and completes; its last move is reported to
Metrc (a delivered outbox message) and its slip printed. Each package is received with 25
units, moved about between the vault and the floor 24 times and picked one unit at a time
until it is empty: fifty movements. Times are spread evenly over the period given.
"""

from __future__ import annotations

import datetime as dt
import io
from itertools import cycle

from kiosk import chain_cover, db, ledger
from kiosk.db import database, is_sqlite
from kiosk.models import Employee, Item, Location, dumps

PER_RUN = 20  # scans (movements, step events, audit entries) per run
PER_PACKAGE = 50  # movements per package: received, 24 moves, 25 picks of one unit
RECEIVED = 25
TAG_PREFIX = "1A40603YR"  # the history's packages: any 24 upper-case letters and digits
WORKFLOW, VERSION = "move_package", 1
RUNS_PER_CHUNK = 2500  # 50,000 movements a transaction: memory stays small, commits few


def size(movements: int) -> dict:
    """How many of each record a history of about ``movements`` movements has (rounded down
    to whole runs and whole packages)."""
    movements -= movements % (PER_RUN * PER_PACKAGE // 10)  # 100: whole runs, whole packages
    return {"movements": movements,
            "audit entries": 2 * movements + movements // PER_RUN,  # and a movement's own
            "step events": movements,
            "runs": movements // PER_RUN, "packages": movements // PER_PACKAGE,
            "outbox messages": movements // PER_RUN, "print jobs": movements // PER_RUN}


def _text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    text = str(value)
    return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Write ``rows`` into ``table`` in the open transaction, in bulk."""
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = database.cursor()
    if is_sqlite():
        marks = ", ".join("?" * len(columns))
        cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
        return
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(map(_text, row)))
        buffer.write("\n")
    buffer.seek(0)
    cursor.copy_expert(f'COPY "{table}" ({names}) FROM STDIN', buffer)


def _stamp(at: dt.datetime) -> str:
    # As peewee writes a time on SQLite; PostgreSQL reads the same text.
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def _next_id(table: str) -> int:
    return (database.execute_sql(f'SELECT MAX(id) FROM "{table}"').fetchone()[0] or 0) + 1


def build(movements: int, start: dt.datetime, end: dt.datetime, progress=None) -> dict:
    """Add a history of about ``movements`` movements between ``start`` and ``end`` to the
    bound store, which must have its people, places and products (``demo.build``). Returns
    how many of each record were written."""
    counts = size(movements)
    total, runs = counts["movements"], counts["runs"]
    with db.connection():
        people = list(Employee.select().where(Employee.active).order_by(Employee.id))
        items = list(Item.select().order_by(Item.id))
        shelves = [loc.id for loc in Location.select().where(Location.kind == "vault")
                   .order_by(Location.id)]
        floor = Location.get(Location.kind == "sales_floor").id
        first = {t: _next_id(t) for t in ("package", "movement", "step_event", "run",
                                          "outbox_message", "print_job")}
        seq, prev_hash = database.execute_sql(
            "SELECT seq, hash FROM chain_head WHERE id = 1").fetchone()
        plan = _Plan(total, start, end, people, items, shelves, floor, first)
        with db.write():
            _insert("package", plan.PACKAGE, plan.packages())
        for chunk_start in range(0, runs, RUNS_PER_CHUNK):
            chunk = range(chunk_start, min(runs, chunk_start + RUNS_PER_CHUNK))
            with db.write():
                rows = plan.runs(chunk)
                for table, columns, values in rows:
                    _insert(table, columns, values)
                seq, prev_hash = _chain(plan.audit(chunk), seq, prev_hash)
                database.execute_sql(
                    f"UPDATE chain_head SET seq = {database.param}, hash = {database.param} "
                    "WHERE id = 1", (seq, prev_hash))
            if progress is not None:
                progress(chunk.stop * PER_RUN, total)
        if not is_sqlite():
            with db.write():
                for table in first:  # explicit ids were written: move the counters past them
                    database.execute_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f'(SELECT MAX(id) FROM "{table}"))')
    return counts


AUDIT_COLUMNS = ("seq", "at", "actor_id", "actor_name", "station", "action", "subject",
                 "detail", "prev_hash", "hash")


def _chain(entries, seq: int, prev_hash: str) -> tuple[int, str]:
    """Link and sign ``entries`` (at, actor, station, action, subject, detail) after the
    chain's head with the ledger's own keyed hash, write them, and return the new head."""
    rows = []
    for at, actor, station, action, subject, detail in entries:
        seq += 1
        at = ledger.stamp(at)
        detail = detail if isinstance(detail, str) else dumps(detail)
        digest = ledger.entry_digest(prev_hash, seq, at, actor.id, actor.name, station, action,
                                     subject, detail)
        rows.append((seq, at, actor.id, actor.name, station, action, subject, detail,
                     prev_hash, digest))
        prev_hash = digest
    _insert("audit_entry", AUDIT_COLUMNS, rows)
    return seq, prev_hash


class _Plan:
    """Who did what, where and when, movement by movement: the same answer every time it is
    asked, so rows of one chunk can be made without keeping the others."""

    PACKAGE = ("id", "tag", "item_id", "batch", "quantity", "unit", "location_id", "status",
               "received_at", "created_at")
    MOVEMENT = ("id", "package_id", "quantity", "kind", "from_location_id", "to_location_id",
                "reason", "note", "actor_id", "station", "run_id", "step_event_id", "at")
    STEP = ("id", "run_id", "rev", "step_id", "kind", "value", "accepted", "message",
            "actor_id", "station", "at")
    RUN = ("id", "workflow", "version", "status", "current_step", "rev", "operator_id",
           "station", "started_at", "updated_at", "finished_at", "data")
    OUTBOX = ("id", "target", "kind", "payload", "external_key", "ordering_key", "status",
              "attempts", "next_attempt_at", "last_error", "created_at", "delivered_at",
              "run_id", "step_event_id", "resolved_note")
    PRINT = ("id", "device", "layout", "data", "copies", "status", "attempts", "last_error",
             "created_at", "printed_at", "run_id", "step_event_id", "requested_by_id",
             "station", "training")

    def __init__(self, total, start, end, people, items, shelves, floor, first):
        self.total, self.start = total, start
        self.gap = (end - start) / total
        self.people, self.items, self.shelves, self.floor = people, items, shelves, floor
        self.first = first
        self.stations = ("vault-1", "receiving-1")

    def at(self, movement: int) -> dt.datetime:
        return self.start + self.gap * movement

    def tag(self, package: int) -> str:
        return f"{TAG_PREFIX}{package + 1:015d}"

    def place(self, movement: int) -> int:
        """Where the package is after ``movement``: received to a shelf, then it goes back
        and forth between a shelf and the floor with every move."""
        package, k = divmod(movement, PER_PACKAGE)
        shelf = self.shelves[package % len(self.shelves)]
        moves = (k // 2) if k else 0
        return self.floor if moves % 2 else shelf

    def packages(self) -> list[tuple]:
        rows, items = [], cycle(self.items)
        for package in range(self.total // PER_PACKAGE):
            item = next(items)
            received = self.at(package * PER_PACKAGE)
            last = self.place(package * PER_PACKAGE + PER_PACKAGE - 1)
            rows.append((self.first["package"] + package, self.tag(package), item.id,
                         f"YR-{received:%y%m}-{package % 1000:03d}", 0, item.unit, last,
                         "empty", _stamp(received), _stamp(received)))
        return rows

    def _who(self, run: int):
        return self.people[run % len(self.people)], self.stations[run % len(self.stations)]

    def runs(self, chunk: range) -> list[tuple[str, tuple, list]]:
        moves, steps, runs, outbox, prints = [], [], [], [], []
        for run in chunk:
            actor, station = self._who(run)
            run_id = self.first["run"] + run
            first_move = run * PER_RUN
            began = self.at(first_move) - dt.timedelta(seconds=20)
            ended = self.at(first_move + PER_RUN - 1)
            for rev in range(1, PER_RUN + 1):
                m = first_move + rev - 1
                package, k = divmod(m, PER_PACKAGE)
                at = self.at(m)
                event_id = self.first["step_event"] + m
                before = self.place(m - 1) if k else None
                after = self.place(m)
                if k == 0:
                    kind, quantity, reason = "receipt", RECEIVED, "received"
                elif k % 2:
                    kind, quantity, reason = "pick", -1, "picked for an order"
                else:
                    kind, quantity, reason = "move", 0, "restock"
                code = "" if after == self.floor else f"shelf-{after}"
                moves.append((self.first["movement"] + m, self.first["package"] + package,
                              quantity, kind, before, after, reason, "", actor.id, station,
                              run_id, event_id, _stamp(at)))
                steps.append((event_id, run_id, rev, "destination", "scan",
                              dumps({"value": self.tag(package), "place": code}), True, "",
                              actor.id, station, _stamp(at)))
            runs.append((run_id, WORKFLOW, VERSION, "completed", "destination", PER_RUN,
                         actor.id, station, _stamp(began), _stamp(ended), _stamp(ended),
                         self.run_data(run)))
            last_event = self.first["step_event"] + first_move + PER_RUN - 1
            tag = self.tag((first_move + PER_RUN - 1) // PER_PACKAGE)
            outbox.append((self.first["outbox_message"] + run, "metrc", "package.location",
                           dumps({"tag": tag, "location_name": "Sales floor",
                                  "date": ended.date().isoformat()}),
                           self.outbox_key(run), tag,
                           "delivered", 1, _stamp(ended), "", _stamp(ended), _stamp(ended),
                           run_id, last_event, ""))
            prints.append((self.first["print_job"] + run, "receipt", "run_slip",
                           dumps({"run": run_id, "scans": PER_RUN}), 1, "printed", 1, "",
                           _stamp(ended), _stamp(ended), run_id, last_event, actor.id,
                           station, False))
        return [("run", self.RUN, runs), ("step_event", self.STEP, steps),
                ("movement", self.MOVEMENT, moves), ("outbox_message", self.OUTBOX, outbox),
                ("print_job", self.PRINT, prints)]

    def outbox_key(self, run: int) -> str:
        run_id = self.first["run"] + run
        last_event = self.first["step_event"] + run * PER_RUN + PER_RUN - 1
        tag = self.tag((run * PER_RUN + PER_RUN - 1) // PER_PACKAGE)
        return f"run{run_id}-ev{last_event}-metrc-package.location-{tag}"

    def run_data(self, run: int) -> str:
        return dumps({"tag": self.tag((run * PER_RUN + PER_RUN - 1) // PER_PACKAGE)})

    def movement(self, m: int, actor, run_id: int) -> str:
        """Movement ``m`` as its audit entry records it (the ledger's own words)."""
        package, k = divmod(m, PER_PACKAGE)
        quantity, kind, reason = ((RECEIVED, "receipt", "received") if k == 0 else
                                  (-1, "pick", "picked for an order") if k % 2 else
                                  (0, "move", "restock"))
        return ledger.movement_detail(
            self.first["movement"] + m, self.first["package"] + package, quantity, kind,
            self.place(m - 1) if k else None, self.place(m), actor.id, run_id,
            self.first["step_event"] + m, None, reason)

    def audit(self, chunk: range):
        """The chain's entries for ``chunk``: a run's start, its movements and steps, its
        completion, and its message's delivery."""
        for run in chunk:
            actor, station = self._who(run)
            run_id = self.first["run"] + run
            subject = f"run:{run_id}"
            first_move = run * PER_RUN
            yield (self.at(first_move) - dt.timedelta(seconds=20), actor, station, "run.start",
                   subject, {"workflow": WORKFLOW, "version": VERSION})
            for rev in range(1, PER_RUN + 1):
                m = first_move + rev - 1
                yield (self.at(m), actor, station, "movement",
                       f"movement:{self.first['movement'] + m}", self.movement(m, actor, run_id))
                if rev < PER_RUN - 1:
                    yield (self.at(m), actor, station, "step", subject,
                           {"step": "destination", "event": self.first["step_event"] + m})
            ended = self.at(first_move + PER_RUN - 1)
            yield (ended, actor, station, "run.complete", subject,
                   {"workflow": WORKFLOW,
                    "data": chain_cover.data_digest(self.run_data(run))})
            yield (ended, actor, station, "sync.delivered",
                   f"outbox:{self.first['outbox_message'] + run}",
                   {"kind": "package.location", "target": "metrc", "key": self.outbox_key(run)})

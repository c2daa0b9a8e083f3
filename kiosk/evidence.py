"""The inspector's evidence packet: one package's or one store day's records in one zip.

``day_packet(day, out)`` and ``package_packet(tag, out)`` write a zip holding, as CSV and as
JSON, the movements, steps, runs, signatures (printed names and meanings), audit entries with
their hashes, messages for Metrc and the POS with their answers, print jobs, POS sales and
vault visits (a day's packet also its visitors, their exits and who went into the vault);
the day's kept report PDFs (a day packet keeps one first if the day has none);
``ANCHOR.txt``, the audit chain's head as the packet was made; ``STORE-CHECK.txt``, what
``kiosk verify`` found in the whole database then; ``VERIFY.txt``, how to check it; and
``manifest.json``, every file's SHA-256 and every record's own (defined in ``evidence_check``,
which checks a packet offline). The packet's fingerprint, the SHA-256 of
its manifest, goes into the audit chain (``evidence.export``) once the zip is whole.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from peewee import fn

from kiosk import anchors, clock, config, db, ledger, reports
from kiosk import evidence_check as check
from kiosk.models import (
    AuditEntry,
    ChainHead,
    Employee,
    Item,
    KeptReport,
    Location,
    Movement,
    OutboxMessage,
    Package,
    PosSale,
    PrintJob,
    Run,
    Signature,
    StepEvent,
    Transfer,
    TransferPackage,
    VaultVisit,
    VaultVisitor,
    Visitor,
    VisitorExit,
)
from kiosk.models.counts import Count, CountLine, Variance
from kiosk.words import _

VERIFY = """\
How to check this evidence packet
=================================

{what}, as the kiosk of {store} (licence {license}) exported it
at {made} (store's clock){by}.

Packet fingerprint: the SHA-256 of manifest.json. When the packet was made, the store's
audit chain recorded it (an audit entry with action "evidence.export" naming this packet).
Ask the store for that entry, or compare with the fingerprint written down at hand-over.

1. Check every file against the manifest (Python 3.11 alone; no database is needed):

       kiosk evidence --verify THIS.zip
   or, with only this zip and the kiosk's source file kiosk/evidence_check.py:
       python3 -c "import sys, evidence_check as e; print(e.report(e.check(sys.argv[1])))" THIS.zip

   It lists any file missing, added or altered, and in an altered record file each record
   altered, added or missing, by its id and line, with what its CSV and JSON copies say.

2. By hand: manifest.json lists each file's SHA-256 ("sha256sum FILE" must print it) and,
   for each file in records/, each record's SHA-256: the SHA-256 of the record as JSON with
   sorted keys and no spaces, every value as the text its CSV cell holds.

3. The audit chain (records/audit.csv): entries are numbered (seq) without gaps across the
   store's whole history; each carries the hash of the entry before it (prev_hash) and its
   own (hash). An entry whose hash_kind is "sha256" (written before the store's chain had a
   key) is the SHA-256 of
       [prev_hash, seq, at, actor_id, actor_name, station, action, subject, detail]
   as JSON with sorted keys and no spaces (at with microseconds, detail as stored); the
   checker above recomputes it. An entry whose hash_kind is "hmac" is signed (HMAC-SHA256)
   with the store's audit key, a file kept outside the store's database that never leaves
   the store.

   What you can check here, without the key: every file and record against the manifest
   (so nothing in this packet changed after it was made); that the entries link up, each
   naming the hash of the one before it; each "sha256" entry's hash; and that the newest
   entry is the head in ANCHOR.txt. What this cannot prove without the key: that an "hmac"
   entry is the one the store wrote. Anyone who could edit the store's database could also
   have made a chain that links up; they could not sign it. Only the key checks the
   signatures, and with them that each movement, signature (and the record it signed), login
   attempt, delivery and receiving verdict matches the entry written with it.

4. STORE-CHECK.txt says what `kiosk verify` found in the store's whole database when the
   packet was made: every entry's signature under the key and its link, the anchors, every
   record the chain vouches for, and every package's quantity against its movements.

5. ANCHOR.txt is the chain's head when the packet was made; ANCHORS.txt is the store's log
   of earlier heads, kept in a file beside the database, out of the database's reach. The
   end-of-day slips print the head as well. Keep these. A later check at the store,
       kiosk verify --anchor ENTRY:HASH
   (with the key), proves the store's chain still passes through this head, so no entry up
   to it was removed, altered or re-signed since.

6. Each PDF in reports/ is a report the store kept: its SHA-256 is the one in
   records/kept_reports.csv, recorded in the audit chain (action "report.keep") when made.
"""


@dataclass
class Packet:
    """A packet written: where, its fingerprint, what it holds."""

    path: Path
    fingerprint: str
    files: int
    records: int
    subject: str


def plain(value):
    """A record's value as JSON holds it: times to the microsecond, quantities as text."""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return value


def _local(value) -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return clock.local(value).isoformat(sep=" ", timespec="seconds") if value else ""


@dataclass
class Records:
    """One record set: its columns (also when it has no rows) and its rows."""

    columns: list[str]
    rows: list[dict]


def _rows(model, query, **extra) -> Records:
    """Each record of ``query`` as {column: plain value}, then the columns ``extra`` names,
    each computed from the row (a name, a time on the store's clock)."""
    fields = model._meta.sorted_fields
    rows = []
    for record in query.objects():
        row = {f.column_name: plain(record.__data__.get(f.name)) for f in fields}
        for name, compute in extra.items():
            row[name] = plain(compute(row))
        rows.append(row)
    return Records([f.column_name for f in fields] + list(extra), rows)


class _Names:
    """Employees' and places' names, read once per packet."""

    def __init__(self):
        self.people = dict(Employee.select(Employee.id, Employee.name).tuples())
        self.places = dict(Location.select(Location.id, Location.name).tuples())


def _answer(row: dict) -> str:
    """What Metrc (or the POS) answered, in words."""
    status, error = row["status"], row["last_error"]
    if status == "delivered":
        return f"accepted at {_local(row['delivered_at'])}"
    if status == "attention":
        return f"refused: {error}"
    if status == "resolved":
        return f"not sent; resolved by hand: {row['resolved_note']}"
    return f"not yet delivered{': ' + error if error else ''}"


def _sets(runs: list[int], names: _Names, *, movements, steps, audit, outbox, jobs, sales,
          visits, packages, extra_sets=()) -> dict[str, Records]:
    """Every record set of a packet, by file name, from the queries given."""
    def tag_of(row):
        return packages_by_id.get(row["package_id"], ("", ""))

    package_rows = list(packages.select(Package, Item).join(Item).objects())
    packages_by_id = {p.id: (p.tag, p.item.name) for p in package_rows}
    # Entries from this one on are signed with the store's key; those before, if any, were
    # hashed before the chain had one (ledger.KEYED ends them).
    keyed_from = (AuditEntry.select(fn.MIN(AuditEntry.seq))
                  .where(AuditEntry.action == ledger.KEYED).scalar() or 0)
    sets = {
        "packages": _rows(Package, packages,
                          item=lambda r: packages_by_id[r["id"]][1],
                          place=lambda r: names.places.get(r["location_id"], "")),
        "movements": _rows(Movement, movements,
                           tag=lambda r: tag_of(r)[0], item=lambda r: tag_of(r)[1],
                           from_place=lambda r: names.places.get(r["from_location_id"], ""),
                           to_place=lambda r: names.places.get(r["to_location_id"], ""),
                           actor_name=lambda r: names.people.get(r["actor_id"], ""),
                           at_store_time=lambda r: _local(r["at"])),
        "runs": _rows(Run, Run.select().where(Run.id.in_(runs)).order_by(Run.id),
                      operator_name=lambda r: names.people.get(r["operator_id"], ""),
                      started_store_time=lambda r: _local(r["started_at"])),
        "steps": _rows(StepEvent, steps,
                       actor_name=lambda r: names.people.get(r["actor_id"], ""),
                       at_store_time=lambda r: _local(r["at"])),
        "signatures": _rows(Signature, Signature.select().where(Signature.run.in_(runs))
                            .order_by(Signature.id), at_store_time=lambda r: _local(r["at"])),
        "audit": _rows(AuditEntry, audit,
                       hash_kind=lambda r: "hmac" if r["seq"] >= keyed_from else "sha256",
                       at_store_time=lambda r: _local(r["at"])),
        "outbox": _rows(OutboxMessage, outbox, answer=_answer,
                        created_store_time=lambda r: _local(r["created_at"])),
        "print_jobs": _rows(PrintJob, jobs,
                            requested_by_name=lambda r: names.people.get(r["requested_by_id"],
                                                                         "")),
        "sales": _rows(PosSale, sales, sold_store_time=lambda r: _local(r["sold_at"])),
        "vault_visits": _rows(VaultVisit, visits,
                              first_name=lambda r: names.people.get(r["first_person_id"], ""),
                              second_name=lambda r: names.people.get(r["second_person_id"], ""),
                              entered_store_time=lambda r: _local(r["entered_at"])),
    }
    sets.update(extra_sets)
    return sets


def _day_sets(day: dt.date) -> dict[str, Records]:
    since, until = clock.store_day_bounds(day, day)

    def within(f):
        return (f >= since) & (f < until)

    steps = StepEvent.select().where(within(StepEvent.at)).order_by(StepEvent.id)
    runs = sorted({r for (r,) in StepEvent.select(StepEvent.run).where(within(StepEvent.at))
                   .tuples()} | {r for (r,) in Run.select(Run.id).where(
                       within(Run.started_at) | within(Run.finished_at)).tuples()})
    movements = Movement.select().where(within(Movement.at)).order_by(Movement.id)
    touched = Movement.select(Movement.package).where(within(Movement.at))
    return _sets(
        runs, _Names(), movements=movements, steps=steps,
        audit=AuditEntry.select().where(within(AuditEntry.at)).order_by(AuditEntry.seq),
        outbox=OutboxMessage.select().where(within(OutboxMessage.created_at)
                                            | within(OutboxMessage.delivered_at))
        .order_by(OutboxMessage.id),
        jobs=PrintJob.select().where(within(PrintJob.created_at)).order_by(PrintJob.id),
        sales=PosSale.select().where(within(PosSale.sold_at)).order_by(PosSale.id),
        visits=VaultVisit.select().where(within(VaultVisit.entered_at)).order_by(VaultVisit.id),
        packages=Package.select().where(Package.id.in_(touched)).order_by(Package.id),
        extra_sets=_visitor_sets(since, until))


def _visitor_sets(since: dt.datetime, until: dt.datetime) -> dict[str, Records]:
    """The day's visitors: signed in (escort, ID kind and last four), signed out or resolved
    (a manager's resolution with its printed name and meaning), and taken into the vault."""
    names = _Names()

    def within(f):
        return (f >= since) & (f < until)

    return {
        "visitors": _rows(Visitor, Visitor.select().where(within(Visitor.entered_at))
                          .order_by(Visitor.id),
                          escort_name=lambda r: names.people.get(r["escort_id"], ""),
                          entered_store_time=lambda r: _local(r["entered_at"])),
        "visitor_exits": _rows(VisitorExit, VisitorExit.select().where(within(VisitorExit.at))
                               .order_by(VisitorExit.id),
                               by_name=lambda r: names.people.get(r["by_id"], ""),
                               at_store_time=lambda r: _local(r["at"])),
        "vault_visitors": _rows(VaultVisitor, VaultVisitor.select().join(VaultVisit).where(
            within(VaultVisit.entered_at)).order_by(VaultVisitor.id),
            at_store_time=lambda r: _local(r["at"])),
    }


def _package_runs(package: Package) -> list[int]:
    """Every run that touched the package: moved it, named its tag in a step, counted it,
    investigated it or received it."""
    tag = package.tag
    runs = {r for (r,) in Movement.select(Movement.run_id).where(
        Movement.package == package, Movement.run_id.is_null(False)).tuples()}
    runs |= {r for (r,) in StepEvent.select(StepEvent.run).where(
        StepEvent.value.contains(tag)).tuples()}
    runs |= {r for (r,) in Variance.select(Variance.run_id).where(
        Variance.tag == tag, Variance.run_id.is_null(False)).tuples()}
    runs |= {r for (r,) in Count.select(Count.run_id).join(CountLine).where(
        CountLine.tag == tag, Count.run_id.is_null(False)).tuples()}
    runs |= {r for (r,) in Transfer.select(Transfer.run_id).join(TransferPackage).where(
        TransferPackage.tag == tag, Transfer.run_id.is_null(False)).tuples()}
    return sorted(runs)


def _package_sets(package: Package) -> tuple[dict[str, Records], list[dt.date]]:
    tag = package.tag
    runs = _package_runs(package)
    subjects = [f"package:{tag}"] + [f"run:{r}" for r in runs]
    days = sorted({clock.store_date(at) for (at,) in Movement.select(Movement.at).where(
        Movement.package == package).tuples()})
    sets = _sets(
        runs, _Names(),
        movements=Movement.select().where(Movement.package == package).order_by(Movement.id),
        steps=StepEvent.select().where(StepEvent.run.in_(runs)).order_by(StepEvent.id),
        audit=AuditEntry.select().where(AuditEntry.subject.in_(subjects)
                                        | AuditEntry.detail.contains(tag))
        .order_by(AuditEntry.seq),
        outbox=OutboxMessage.select().where((OutboxMessage.ordering_key == tag)
                                            | OutboxMessage.run_id.in_(runs))
        .order_by(OutboxMessage.id),
        jobs=PrintJob.select().where(PrintJob.run_id.in_(runs) | PrintJob.data.contains(tag))
        .order_by(PrintJob.id),
        sales=PosSale.select().where(PosSale.tag == tag).order_by(PosSale.id),
        visits=VaultVisit.select().where(VaultVisit.run.in_(runs)).order_by(VaultVisit.id),
        packages=Package.select().where(Package.id == package.id),
        extra_sets={
            "variances": _rows(Variance, Variance.select().where(Variance.tag == tag)
                               .order_by(Variance.id)),
            "count_lines": _rows(CountLine, CountLine.select().where(CountLine.tag == tag)
                                 .order_by(CountLine.id))})
    return sets, days


def _csv(records: Records) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(records.columns)
    for row in records.rows:
        writer.writerow([check.text(row[c]) for c in records.columns])
    return out.getvalue().encode("utf-8")


def _anchor() -> dict:
    """The audit chain's head now: its entry number and hash."""
    head = ChainHead.get_or_none(ChainHead.id == 1)
    seq, digest = (head.seq, head.hash) if head else (0, ledger.GENESIS)
    now = clock.now()
    return {"seq": seq, "hash": digest, "at": plain(now),
            "text": f"Audit chain at {clock.local(now):%Y-%m-%d %H:%M}: entry {seq}, "
                    f"hash {digest}"}


def _kept_rows(rows: list[KeptReport]) -> Records:
    return _rows(KeptReport, KeptReport.select().where(KeptReport.id.in_([r.id for r in rows]))
                 .order_by(KeptReport.id), file=lambda r: Path(r["path"]).name)


def _write(out: Path, sets: dict[str, Records], pdfs: list[tuple[str, Path]], about: dict,
           anchor: dict, contiguous: bool, found: list[str]) -> tuple[str, int, int]:
    """The zip: records, PDFs, ANCHOR.txt, STORE-CHECK.txt, VERIFY.txt, then the manifest of
    them all."""
    files: dict[str, dict] = {}
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as packet:
        def put(name: str, data: bytes, records: Records | None = None, key: str = "id"):
            packet.writestr(name, data)
            entry = {"sha256": check.sha256(data), "bytes": len(data)}
            if records is not None:
                entry["key"] = key
                entry["records"] = {check.text(r[key]): check.digest(
                    {k: check.text(v) for k, v in r.items()}) for r in records.rows}
            files[name] = entry

        for name, records in sets.items():
            key = "seq" if name == "audit" else "id"
            put(f"records/{name}.csv", _csv(records), records, key)
            put(f"records/{name}.json", json.dumps(records.rows, indent=1, ensure_ascii=False)
                .encode("utf-8"), records, key)
        for name, path in pdfs:
            put(f"reports/{name}", path.read_bytes())
        put("ANCHOR.txt", (anchor["text"] + "\n").encode())
        put("ANCHORS.txt", "".join(f"{a.at} entry {a.seq} hash {a.hash}\n"
                                   for a in anchors.read()).encode())
        put(check.STORE_CHECK, _store_check_text(found, anchor).encode())
        put("VERIFY.txt", VERIFY.format(**about).encode())
        manifest = json.dumps({"format": check.FORMAT, "packet": about, "anchor": anchor,
                               "chain": {"contiguous": contiguous},
                               "store_check": {"problems": found}, "files": files},
                              indent=1, sort_keys=True).encode()
        packet.writestr(check.MANIFEST, manifest)
    os.replace(part, out)
    return check.sha256(manifest), len(files), sum(len(f.get("records", {}))
                                                    for f in files.values())


def store_check() -> list[str]:
    """What ``kiosk verify`` finds wrong in the store's whole database now, in words: a packet
    holds only its day's or package's records, so it says what the store's own check of the
    rest found when it was made (the whole audit chain, every package's quantity)."""
    return ledger.verify_chain() + ledger.verify_quantities()


def _store_check_text(found: list[str], anchor: dict) -> str:
    head = (f"What `kiosk verify` found in the store's whole database when this packet was made "
            f"(audit chain up to entry {anchor['seq']}):\n\n")
    if not found:
        return head + ("Nothing wrong: the audit chain is intact from its first entry and every "
                       "package's quantity equals the sum of its movements.\n")
    return head + f"{len(found)} problem(s):\n" + "".join(f"- {line}\n" for line in found)


def _finish(out: Path, kind: str, subject: str, sets, pdfs, actor, station: str,
            contiguous: bool, settings: dict) -> Packet:
    made = clock.now()
    what = (f"The records of the store's day {subject}" if kind == "day"
            else f"The records of package {subject}")
    about = {"kind": kind, "subject": subject, "what": what,
             "store": settings.get("store_name", ""), "license": settings.get("license", ""),
             "made": f"{clock.local(made):%Y-%m-%d %H:%M}",
             "by": f" for {actor.name}" if actor is not None else ""}
    found = store_check()
    anchors.write_quietly()  # the head the packet names is in the store's log too
    fingerprint, files, records = _write(out, sets, pdfs, about, _anchor(), contiguous, found)
    with db.write():
        ledger.audit("evidence.export", f"{kind}:{subject}",
                     {"fingerprint": fingerprint, "file": out.name, "files": files,
                      "records": records, "store_check": len(found)},
                     actor=actor, station=station)
    return Packet(out, fingerprint, files, records, subject)


def day_packet(day: dt.date, out: Path, actor=None, station: str = "",
               settings: dict | None = None) -> Packet:
    """The store day's records as a packet at ``out``. The day's kept reports go in; if it
    has none yet, one is kept first (``reports.keep_pdf``)."""
    settings = settings if settings is not None else config.load()
    with db.connection():
        if not reports.kept(day) and day <= clock.store_date():
            reports.keep_pdf(day, actor, settings, station, occasion="evidence packet")
        kept = reports.kept(day)
        sets = _day_sets(day)
        sets["kept_reports"] = _kept_rows(kept)
        pdfs = _pdfs(kept, settings)
        return _finish(Path(out), "day", day.isoformat(), sets, pdfs, actor, station, True,
                       settings)


def package_packet(tag: str, out: Path, actor=None, station: str = "",
                   settings: dict | None = None) -> Packet:
    """Everything recorded about one package, and the reports kept for the days it moved;
    LookupError when the store never had the tag."""
    settings = settings if settings is not None else config.load()
    with db.connection():
        package = Package.get_or_none(Package.tag == tag.strip().upper())
        if package is None:
            raise LookupError(_("No package has the tag {tag}.", tag=repr(tag.strip())))
        sets, days = _package_sets(package)
        kept = list(KeptReport.select().where(KeptReport.day.in_(days))
                    .order_by(KeptReport.day, KeptReport.id)) if days else []
        sets["kept_reports"] = _kept_rows(kept)
        return _finish(Path(out), "package", package.tag, sets, _pdfs(kept, settings), actor,
                       station, False, settings)


def _pdfs(kept: list[KeptReport], settings: dict) -> list[tuple[str, Path]]:
    """The kept PDFs still in the reports folder (a purged one is listed, not included)."""
    found = []
    for row in kept:
        path = reports.folder(settings) / row.path
        if path.is_file():
            found.append((path.name, path))
    return found

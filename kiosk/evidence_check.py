"""Checking an inspector's evidence packet offline: no database, nothing but the zip.

A packet (``evidence``) holds records as CSV and JSON, report PDFs, ``ANCHOR.txt``,
``STORE-CHECK.txt``, ``VERIFY.txt`` and ``manifest.json``, which lists every other file with
its SHA-256 and, for each record file, every record's own SHA-256. ``check`` says what, if
anything, differs:

- a file missing, added, or whose bytes are not the ones listed;
- inside a changed record file, each record by its id and line: changed, missing or added,
  and where its CSV and JSON copies disagree, which fields and what each says;
- the audit entries: each entry hashed before the chain had a key is hashed again, each
  entry points at the one before it where both are in the packet, a day's entries have no
  gap, and the newest matches the anchor if the anchor is the same entry;
- each report PDF is the one its kept record's SHA-256 names.

The manifest itself is vouched for by its fingerprint (its SHA-256), which the store's audit
chain recorded when the packet was made (``evidence.export``). This module is also where a
record's text form and digest are defined, so making and checking agree by construction.
It imports nothing of the kiosk: an inspector can run it with Python alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field

MANIFEST = "manifest.json"
STORE_CHECK = "STORE-CHECK.txt"  # what `kiosk verify` found at the store, as the packet was made
FORMAT = 1
GENESIS = "0" * 64
SHOWN = 20  # findings of one file listed in full; the rest are counted


def dumps(value) -> str:
    """Canonical JSON (sorted keys, no spaces), as the kiosk hashes its records."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def text(value) -> str:
    """A record's value as text: what its CSV cell holds and its digest covers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return dumps(value)
    return str(value)


def digest(fields: dict[str, str]) -> str:
    """A record's SHA-256 over its fields as text."""
    return hashlib.sha256(dumps(fields).encode()).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_hash(fields: dict[str, str]) -> str:
    """An audit entry's hash as the kiosk computed it before the chain had a key: SHA-256
    over the previous hash, its number, time, actor, station, action, subject and detail."""
    actor_id = int(fields["actor_id"]) if fields["actor_id"] else None
    at = dt.datetime.fromisoformat(fields["at"]).isoformat(timespec="microseconds")
    body = dumps([fields["prev_hash"], int(fields["seq"]), at, actor_id, fields["actor_name"],
                  fields["station"], fields["action"], fields["subject"],
                  json.loads(fields["detail"] or "{}")])
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass
class Result:
    """What a check found: ``findings`` (empty when nothing was altered) and what it saw."""

    findings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fingerprint: str = ""
    files: int = 0
    records: int = 0

    @property
    def intact(self) -> bool:
        return not self.findings


def _read_csv(data: bytes) -> tuple[list[tuple[int, dict]], list[str]]:
    """(line, record) for each row, and the lines that are no record (wrong field count)."""
    rows, broken = [], []
    try:
        reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
        header = next(reader, [])
        for row in reader:
            line = reader.line_num
            if len(row) != len(header):
                broken.append(f"line {line} has {len(row)} fields where the header has "
                              f"{len(header)}")
                continue
            rows.append((line, dict(zip(header, row, strict=True))))
    except (UnicodeDecodeError, csv.Error) as exc:
        broken.append(f"it cannot be read as CSV any more ({exc})")
    return rows, broken


def _read_json(data: bytes) -> tuple[list[tuple[int, dict]], list[str]]:
    try:
        records = json.loads(data.decode("utf-8"))
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ValueError("not a list of records")
    except (UnicodeDecodeError, ValueError) as exc:
        return [], [f"it cannot be read as JSON any more ({exc})"]
    return [(n + 1, {k: text(v) for k, v in r.items()}) for n, r in enumerate(records)], []


def records_of(name: str, data: bytes) -> tuple[list[tuple[int, dict]], list[str]]:
    """A record file's records as text, each with its line (CSV) or position (JSON)."""
    return (_read_csv if name.endswith(".csv") else _read_json)(data)


def _twin(name: str) -> str:
    return name[:-4] + ".json" if name.endswith(".csv") else name[:-5] + ".csv"


def _compare_records(name: str, data: bytes, listed: dict, key: str, packet: zipfile.ZipFile,
                     result: Result) -> None:
    """Name each record of an altered file that is not as it was exported."""
    rows, broken = records_of(name, data)
    where = "line" if name.endswith(".csv") else "record"
    said = []
    for problem in broken:
        said.append(f"{name}: {problem}.")
    twin_rows = {}
    twin = _twin(name)
    if twin in packet.namelist():
        twin_rows = {r.get(key, ""): r for _, r in records_of(twin, packet.read(twin))[0]}
    seen = set()
    for line, record in rows:
        ident = record.get(key, "")
        seen.add(ident)
        expected = listed.get(ident)
        if expected is None:
            said.append(f"{name} {where} {line}: a record with {key} {ident!r} that was not "
                        "exported (added, or its id was altered).")
        elif digest(record) != expected:
            other = twin_rows.get(ident)
            fields = [f"{k} reads {record.get(k)!r} where {twin} says {other.get(k)!r}"
                      for k in record if other is not None and record.get(k) != other.get(k)]
            said.append(f"{name} {where} {line}: record {key} {ident} was altered"
                        + (f" ({'; '.join(fields)})" if fields else "") + ".")
    for ident in listed:
        if ident not in seen:
            said.append(f"{name}: record {key} {ident} is missing (deleted, or its id was "
                        "altered).")
    result.findings += said[:SHOWN]
    if len(said) > SHOWN:
        result.findings.append(f"{name}: … and {len(said) - SHOWN} more like the ones above.")


def _check_chain(packet: zipfile.ZipFile, manifest: dict, result: Result) -> None:
    """Hash again the entries made before the chain had a key; check the links, the gaps
    of a day's entries, and the newest entry against the anchor."""
    name = "records/audit.csv"
    if name not in packet.namelist():
        return
    rows, _ = records_of(name, packet.read(name))
    entries = sorted((r for _, r in rows if r.get("seq", "").isdigit()),
                     key=lambda r: int(r["seq"]))
    keyed = 0
    previous = None
    for entry in entries:
        seq = int(entry["seq"])
        if entry.get("hash_kind", "sha256") == "sha256":
            try:
                if entry_hash(entry) != entry["hash"]:
                    result.findings.append(f"{name}: audit entry {seq} ({entry['action']}) does "
                                           "not hash to the hash it carries: it was altered.")
            except (KeyError, ValueError) as exc:
                result.findings.append(f"{name}: audit entry {seq} cannot be hashed again "
                                       f"({exc}): it was altered.")
        else:
            keyed += 1
        if previous is not None:
            if int(previous["seq"]) + 1 == seq and entry["prev_hash"] != previous["hash"]:
                result.findings.append(f"{name}: audit entry {seq} does not point at entry "
                                       f"{previous['seq']} before it.")
            elif manifest.get("chain", {}).get("contiguous") and int(previous["seq"]) + 1 != seq:
                result.findings.append(f"{name}: audit entries {int(previous['seq']) + 1} to "
                                       f"{seq - 1} are missing from the day's entries.")
        previous = entry
    anchor = manifest.get("anchor") or {}
    if previous is not None and anchor.get("seq") == int(previous["seq"]) \
            and anchor.get("hash") != previous["hash"]:
        result.findings.append(f"{name}: the newest entry ({previous['seq']}) is not the chain "
                               "head the anchor names.")
    if entries:
        result.notes.append(f"Audit entries {entries[0]['seq']} to {entries[-1]['seq']} "
                            f"({len(entries)}) link up" + (
                                f"; {keyed} are signed with the store's audit key and are "
                                "checked by `kiosk verify` at the store" if keyed else "") + ".")


def _check_reports(packet: zipfile.ZipFile, result: Result) -> None:
    """Each PDF is the one its kept record names (by SHA-256)."""
    name = "records/kept_reports.csv"
    if name not in packet.namelist():
        return
    for _, row in records_of(name, packet.read(name))[0]:
        pdf = f"reports/{row.get('file', '')}"
        if row.get("file") and pdf in packet.namelist() \
                and sha256(packet.read(pdf)) != row.get("sha256"):
            result.findings.append(f"{pdf} is not the PDF kept as report {row.get('id')}: its "
                                   "SHA-256 differs from the one recorded when it was made.")


def check(path) -> Result:
    """Check the packet at ``path``; see the module's docstring for what is checked."""
    result = Result()
    try:
        packet = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        result.findings.append(f"{path} is not a readable zip file ({exc}).")
        return result
    with packet:
        names = {n for n in packet.namelist() if not n.endswith("/")}  # folders hold nothing
        if MANIFEST not in names:
            result.findings.append("manifest.json is missing: this is no evidence packet, or "
                                   "its manifest was removed.")
            return result
        raw = packet.read(MANIFEST)
        result.fingerprint = sha256(raw)
        try:
            manifest = json.loads(raw)
            files = manifest["files"]
        except (ValueError, KeyError, TypeError):
            result.findings.append("manifest.json cannot be read: it was altered.")
            return result
        for name in sorted(names - set(files) - {MANIFEST}):
            result.findings.append(f"{name} was added: the packet as made had no such file.")
        for name, listed in sorted(files.items()):
            result.files += 1
            result.records += len(listed.get("records") or {})
            if name not in names:
                result.findings.append(f"{name} is missing from the packet.")
                continue
            data = packet.read(name)
            if sha256(data) != listed.get("sha256"):
                result.findings.append(f"{name} was altered: its SHA-256 is not the one listed.")
            # Records are compared even in a file whose SHA-256 matches: a manifest edited to
            # list an altered file's hash still lists each record's own.
            if listed.get("records") is not None:
                _compare_records(name, data, listed["records"], listed.get("key", "id"),
                                 packet, result)
        _check_chain(packet, manifest, result)
        _check_reports(packet, result)
        problems = (manifest.get("store_check") or {}).get("problems")
        if problems is not None:
            result.notes.append(
                "At the store, when the packet was made, `kiosk verify` found "
                + (f"{len(problems)} problem(s) in the whole database (see {STORE_CHECK})."
                   if problems else "nothing wrong in the whole database."))
    return result


def report(result: Result) -> str:
    """The check's result in words, as ``kiosk evidence --verify`` prints it."""
    lines = [f"Packet fingerprint (SHA-256 of manifest.json): {result.fingerprint or '-'}"]
    if result.intact:
        lines.append(f"Intact: {result.files} files and {result.records} records are as they "
                     "were exported.")
    else:
        lines.append(f"ALTERED: {len(result.findings)} finding(s):")
        lines += [f"- {finding}" for finding in result.findings]
    lines += result.notes
    lines.append("Compare the fingerprint with the store's audit chain (action evidence.export) "
                 "or the one written down when the packet was handed over.")
    return "\n".join(lines)

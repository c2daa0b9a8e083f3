"""The inspector's evidence packet: made from a day's or a package's records, checked
offline, and every alteration named down to the record."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from report_helpers import DAY, at, tag, visitor_into_vault

from kiosk import cli, evidence, evidence_check, reports
from kiosk.models import AuditEntry, Package

ROOT = Path(__file__).resolve().parents[2]


def rewrite(packet: Path, out: Path, name: str, change) -> Path:
    """A copy of the packet with file ``name`` replaced by ``change(its bytes)``."""
    with zipfile.ZipFile(packet) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, change(data) if item.filename == name else data)
    return out


def records(packet: Path, name: str) -> list[dict]:
    with zipfile.ZipFile(packet) as z:
        return list(csv.DictReader(io.StringIO(z.read(name).decode())))


@pytest.fixture
def day_zip(store_day, settings, tmp_path):
    return evidence.day_packet(DAY, tmp_path / "day.zip", store_day.people.femi, "office-1",
                               settings)


def test_a_days_packet_holds_its_records_reports_anchor_and_instructions(day_zip, store_day):
    result = evidence_check.check(day_zip.path)
    assert result.intact, result.findings
    assert result.fingerprint == day_zip.fingerprint
    with zipfile.ZipFile(day_zip.path) as z:
        names = set(z.namelist())
        verify_text = z.read("VERIFY.txt").decode()
        anchor = z.read("ANCHOR.txt").decode()
        store_check = z.read("STORE-CHECK.txt").decode()
    for kind in ("movements", "steps", "runs", "signatures", "audit", "outbox", "print_jobs",
                 "sales", "vault_visits", "packages", "kept_reports", "visitors",
                 "visitor_exits", "vault_visitors"):
        assert {f"records/{kind}.csv", f"records/{kind}.json"} <= names
    pdfs = [n for n in names if n.startswith("reports/") and n.endswith(".pdf")]
    assert len(pdfs) == 1  # the day had none kept: one was kept for the packet
    assert "kiosk evidence --verify" in verify_text and "prev_hash" in verify_text
    assert anchor.startswith("Audit chain at 2026-11-23 18:00: entry ")
    assert "STORE-CHECK.txt" in names and "Nothing wrong" in store_check
    assert "`kiosk verify` found nothing wrong in the whole database." in \
        evidence_check.report(result)
    signatures = records(day_zip.path, "records/signatures.csv")
    assert [(s["printed_name"], s["meaning"]) for s in signatures] == [
        ("Ben Okafor", "performed"), ("Carla Nguyen", "witnessed"),
        ("Carla Nguyen", "performed"), ("Ben Okafor", "witnessed")]
    answers = {m["ordering_key"] + " " + m["target"]: m["answer"]
               for m in records(day_zip.path, "records/outbox.csv")}
    assert answers[f"{tag(2)} metrc"].startswith("refused: Metrc refused it")
    assert answers[f"{tag(5)} pos"] == "accepted at 2026-11-23 10:00:00"
    audit = records(day_zip.path, "records/audit.csv")
    assert all(len(a["hash"]) == 64 for a in audit)
    seqs = [int(a["seq"]) for a in audit]
    assert seqs == list(range(seqs[0], seqs[-1] + 1))
    moves = records(day_zip.path, "records/movements.csv")
    assert [(m["tag"], m["kind"], m["to_place"]) for m in moves if m["kind"] == "move"] == [
        (tag(1), "move", "Sales floor"), (tag(2), "move", "Sales floor")]
    export = AuditEntry.select().where(AuditEntry.action == "evidence.export").get()
    assert export.detail["fingerprint"] == day_zip.fingerprint
    assert (export.actor_name, export.subject) == ("Femi Adeyemi", "day:2026-11-23")


def test_a_days_packet_names_its_visitors_and_who_took_them_into_the_vault(
        store_day, settings, tmp_path, kiosk, fixed_clock):
    fixed_clock.current = at(DAY, 17)
    sam = visitor_into_vault(kiosk)
    fixed_clock.current = at(DAY, 17, 40)
    kiosk.login("1003", "3456")  # Carla, on her own session: Ben's has timed out meanwhile
    kiosk.post(f"/visitors/{sam.id}/sign-out")
    packet = evidence.day_packet(DAY, tmp_path / "day.zip", settings=settings)
    assert evidence_check.check(packet.path).intact
    assert [(v["name"], v["company"], v["id_last4"], v["escort_name"], v["entered_store_time"])
            for v in records(packet.path, "records/visitors.csv")] == [
        ("Sam Ortiz", "Bright Electric", "4821", "Femi Adeyemi", "2026-11-23 17:00:00")]
    assert [(e["visitor_id"], e["how"], e["by_name"], e["at_store_time"])
            for e in records(packet.path, "records/visitor_exits.csv")] == [
        (str(sam.id), "list", "Carla Nguyen", "2026-11-23 17:40:00")]
    visits = {v["id"]: (v["first_name"], v["second_name"])
              for v in records(packet.path, "records/vault_visits.csv")}
    [taken] = records(packet.path, "records/vault_visitors.csv")
    assert taken["visitor_id"] == str(sam.id)
    assert visits[taken["vault_visit_id"]] == ("Ben Okafor", "Femi Adeyemi")


def test_a_packet_says_what_the_stores_own_check_found_when_it_was_made(store_day, settings,
                                                                        tmp_path):
    """A package's quantity changed in the database behind the ledger's back: the packet of a
    day it is not part of still says so, and its check repeats it."""
    Package.update(quantity=99).where(Package.tag == tag(8)).execute()
    packet = evidence.package_packet(tag(1), tmp_path / "one.zip", settings=settings)
    with zipfile.ZipFile(packet.path) as z:
        text = z.read("STORE-CHECK.txt").decode()
    assert f"1 problem(s):\n- Package {tag(8)} shows 99 but its movements add up to 6." in text
    result = evidence_check.check(packet.path)
    assert result.intact  # the packet is as made; what it says is what the store had
    assert "`kiosk verify` found 1 problem(s) in the whole database (see STORE-CHECK.txt)." \
        in evidence_check.report(result)
    export = AuditEntry.select().where(AuditEntry.action == "evidence.export").get()
    assert export.detail["store_check"] == 1


def test_one_altered_byte_in_a_csv_is_named_down_to_the_record(day_zip, tmp_path):
    moves = records(day_zip.path, "records/movements.csv")
    adjust = next(m for m in moves if m["kind"] == "adjust")

    def change(data: bytes) -> bytes:
        line = next(n for n in data.split(b"\n") if n.startswith(f"{adjust['id']},".encode()))
        return data.replace(line, line.replace(b",-2,", b",-7,", 1))

    altered = rewrite(day_zip.path, tmp_path / "altered.zip", "records/movements.csv", change)
    result = evidence_check.check(altered)
    assert not result.intact
    assert result.findings[0] == ("records/movements.csv was altered: its SHA-256 is not the "
                                  "one listed.")
    line = 1 + next(n for n, m in enumerate(moves, 1) if m["id"] == adjust["id"])
    assert result.findings[1] == (
        f"records/movements.csv line {line}: record id {adjust['id']} was altered (quantity "
        "reads '-7' where records/movements.json says '-2').")
    assert len(result.findings) == 2


def test_any_single_byte_changed_is_found_and_placed(day_zip, tmp_path):
    name = "records/signatures.csv"
    with zipfile.ZipFile(day_zip.path) as z:
        original = z.read(name)
    header = original.index(b"\n")
    for position in range(0, len(original), 5):
        byte = original[position]
        swapped = (ord("0") + (byte - ord("0") + 1) % 10 if chr(byte).isdigit()
                   else ord("x") if byte != ord("x") else ord("y"))
        altered = rewrite(day_zip.path, tmp_path / "one.zip", name,
                          lambda d, p=position, b=swapped: d[:p] + bytes([b]) + d[p + 1:])
        result = evidence_check.check(altered)
        assert f"{name} was altered: its SHA-256 is not the one listed." in result.findings
        placed = [f for f in result.findings[1:] if f.startswith(name)]
        assert placed, f"byte {position} changed, but no record or line was named"
        if position > header:
            assert any(" record id " in f or " line " in f for f in placed), placed


def test_a_manifest_edited_to_match_still_gives_the_record_and_the_chain_away(day_zip,
                                                                              tmp_path):
    name = "records/audit.csv"
    entries = records(day_zip.path, name)
    actions = [e["action"] for e in entries]
    entry = next(e for e in entries[3:] if actions.count(e["action"]) == 1)
    line = entries.index(entry) + 2
    edited_line = None

    def change(data: bytes) -> bytes:
        nonlocal edited_line
        text = data.decode()
        edited_line = text.replace(f",{entry['action']},", ",nothing to see,", 1)
        return edited_line.encode()

    step = rewrite(day_zip.path, tmp_path / "step.zip", name, change)
    # Whoever edited the file also lists its new SHA-256 in the manifest.
    manifest = json.loads(zipfile.ZipFile(step).read("manifest.json"))
    manifest["files"][name]["sha256"] = evidence_check.sha256(edited_line.encode())
    both = rewrite(step, tmp_path / "both.zip", "manifest.json",
                   lambda _: json.dumps(manifest).encode())
    result = evidence_check.check(both)
    assert result.fingerprint != day_zip.fingerprint  # the audit chain holds the true one
    assert any(f.startswith(f"{name} line {line}: record seq {entry['seq']} was altered "
                            "(action reads 'nothing to see'") for f in result.findings), \
        result.findings
    # The entry is signed with the store's key: offline its record gives it away (above);
    # its signature is checked where the key is, and the packet says so.
    assert entry["hash_kind"] == "hmac"
    assert any("signed with the store's audit key and are checked by `kiosk verify` at the "
               "store" in note for note in result.notes), result.notes


def test_missing_added_and_swapped_files_are_named(day_zip, tmp_path):
    with zipfile.ZipFile(day_zip.path) as src:
        pdf = next(n for n in src.namelist() if n.endswith(".pdf"))
        out = tmp_path / "files.zip"
        with zipfile.ZipFile(out, "w") as dst:
            for item in src.infolist():
                if item.filename == "records/sales.json":
                    continue
                data = src.read(item.filename)
                dst.writestr(item, data + b"\n" if item.filename == pdf else data)
            dst.writestr("records/extra.csv", "id\n1\n")
    findings = evidence_check.check(out).findings
    assert "records/sales.json is missing from the packet." in findings
    assert "records/extra.csv was added: the packet as made had no such file." in findings
    assert f"{pdf} was altered: its SHA-256 is not the one listed." in findings
    assert any(f.startswith(f"{pdf} is not the PDF kept as report") for f in findings)


def test_a_packages_packet_follows_it_through_every_run(store_day, settings, tmp_path):
    reports.keep_pdf(DAY, store_day.people.femi, settings)
    made = evidence.package_packet(tag(2).lower(), tmp_path / "p.zip", None, "", settings)
    assert made.subject == tag(2) and evidence_check.check(made.path).intact
    moves = records(made.path, "records/movements.csv")
    assert [(m["kind"], m["quantity"]) for m in moves] == [("receipt", "20"), ("move", "0")]
    runs = records(made.path, "records/runs.csv")
    assert [r["workflow"] for r in runs] == ["move_package"]
    steps = records(made.path, "records/steps.csv")
    assert any(tag(2) in s["value"] for s in steps)
    assert {m["target"] for m in records(made.path, "records/outbox.csv")} == {"metrc", "pos"}
    assert [s["tag"] for s in records(made.path, "records/sales.csv")] == [tag(2), tag(2)]
    with zipfile.ZipFile(made.path) as z:
        assert sum(n.endswith(".pdf") for n in z.namelist()) == 1  # the day it moved
    with pytest.raises(LookupError):
        evidence.package_packet("1A4060300000000000999999", tmp_path / "none.zip", None, "",
                                settings)


def test_the_check_needs_neither_the_kiosk_nor_a_database(day_zip, tmp_path):
    alone = tmp_path / "inspector"
    alone.mkdir()
    shutil.copy(ROOT / "kiosk" / "evidence_check.py", alone)
    shutil.copy(day_zip.path, alone / "packet.zip")
    # -S -s -E: no site-packages (so no kiosk, no peewee), no user site, no PYTHON*
    # variables: Python alone, as on any laptop, with the check beside the packet.
    done = subprocess.run(
        [sys.executable, "-S", "-s", "-E", "-c", "import sys, evidence_check as e; "
         "r = e.check(sys.argv[1]); print(e.report(r)); sys.exit(0 if r.intact else 1)",
         "packet.zip"], cwd=alone, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "Intact:" in done.stdout and day_zip.fingerprint in done.stdout


def test_the_command_exports_and_verifies(store_day, database, tmp_path, capsys):
    out = tmp_path / "cli.zip"
    assert cli.main(["--database", database, "evidence", "--day", DAY.isoformat(),
                     "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"written to {out}" in said and "Fingerprint" in said
    assert cli.main(["evidence", "--verify", str(out)]) == 0
    assert "Intact:" in capsys.readouterr().out
    altered = rewrite(out, tmp_path / "bad.zip", "records/sales.csv",
                      lambda d: d.replace(b",R-3,", b",R-9,"))
    assert cli.main(["evidence", "--verify", str(altered)]) == 1
    said = capsys.readouterr().out
    assert "ALTERED" in said and "records/sales.csv line" in said and "receipt reads 'R-9'" in said
    assert cli.main(["--database", database, "evidence", "--package", "NOPE", "--out",
                     str(tmp_path / "x.zip")]) == 2
    assert "No package has the tag" in capsys.readouterr().err

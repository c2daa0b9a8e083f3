"""A store that upgrades keeps its recalls whole: the packages it already holds get their
origins (migration 0115) from what it kept, the source tags of the manifests Metrc sent
(each transfer's raw copy) and the COAs on file, so a recall by source package or lab test
batch finds stock received before the upgrade too. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json

from kiosk import db, recalls
from kiosk.models import PackageOrigin, TransferPackage

BEFORE = 114  # the last migration before package origins
TAG = {n: f"1A4060300{n:015d}" for n in range(1, 5)}
SOURCE, OTHER = "1A4050100000000000000777", "1A4050100000000000000778"


def insert(table: str, **row) -> int:
    p = db.database.param
    columns = ", ".join(f'"{c}"' for c in row)
    returning = "" if db.is_sqlite() else " RETURNING id"
    cursor = db.database.execute_sql(
        f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join([p] * len(row))}){returning}',
        tuple(row.values()))
    return cursor.lastrowid if db.is_sqlite() else cursor.fetchone()[0]


def a_store_received_before_the_upgrade() -> None:
    item = insert("item", name="Blue Dream 3.5g Jar", brand="GC", category="Flower", gtin=None,
                  unit="Each", metrc_item_id=None)
    metrc_sent = {"row": {"ManifestNumber": "0000123456"}, "packages": [
        {"PackageLabel": TAG[1], "SourcePackageLabels": f"{SOURCE}, {OTHER}"},
        {"PackageLabel": TAG[2], "SourcePackageLabels": SOURCE.lower()},
        {"PackageLabel": TAG[3], "SourcePackageLabels": None}]}
    transfer = insert(
        "transfer", manifest_number="0000123456", shipper_name="GC", shipper_license="C11-1",
        receiver_license="C10-1", driver_name="", driver_license="", vehicle="",
        status="received", source="state", created_at="2026-03-02 13:00:00",
        raw=json.dumps(metrc_sent))
    for n in (1, 2, 3, 4):
        insert("transfer_package", transfer_id=transfer, tag=TAG[n], item_id=item,
               item_name="Blue Dream 3.5g Jar", batch="BD-3" if n < 4 else "BD-4",
               shipped_quantity="10", shipped_unit="Each", received_quantity="10",
               state="accepted", reason="")
        insert("package", tag=TAG[n], item_id=item, batch="BD-3" if n < 4 else "BD-4",
               quantity="10", unit="Each", status="active", created_at="2026-03-02 13:00:00")
    # Package 1 has its own COA; the others of batch BD-3 have their batch's results (both
    # rows, as receiving judges a package without its own: every result of its batch).
    insert("lab_result", tag=TAG[1], batch="BD-3", test_type="THC", passed=True,
           coa_ref="coa-own-1", source="state")
    insert("lab_result", tag=None, batch="BD-3", test_type="THC", passed=True,
           coa_ref="COA-BD-3", source="state")


def test_packages_already_here_get_their_sources_and_coas(new_database):
    db.init(new_database())
    db.upgrade(until=BEFORE)
    with db.connection(), db.write():
        a_store_received_before_the_upgrade()
    db.upgrade()
    with db.connection():
        assert {tp.tag: tp.source_tags for tp in TransferPackage.select()} == {
            TAG[1]: f"{SOURCE}, {OTHER}", TAG[2]: SOURCE, TAG[3]: "", TAG[4]: ""}
        kept = {(o.package.tag, o.kind, o.value) for o in PackageOrigin.select()}
        assert kept == {(TAG[1], "source", SOURCE), (TAG[1], "source", OTHER),
                        (TAG[2], "source", SOURCE), (TAG[1], "lab", "COA-OWN-1"),
                        (TAG[2], "lab", "COA-BD-3"), (TAG[3], "lab", "COA-BD-3"),
                        (TAG[2], "lab", "COA-OWN-1"), (TAG[3], "lab", "COA-OWN-1")}
        assert [f.package.tag for f in recalls.find("source", SOURCE)] == [TAG[1], TAG[2]]
        assert [f.package.tag for f in recalls.find("lab", "coa-bd-3")] == [TAG[2], TAG[3]]

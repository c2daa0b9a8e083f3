"""What each package was made from and tested with, so a recall can name a source package or a
lab test batch, and how a recall matched each package it found.

A manifest line keeps the tags of the packages it was made from (Metrc's
``SourcePackageLabels``); each package received keeps its origins (``package_origin``): the
source packages, and the COA (lab test batch) it was received with. A recall's package keeps
how it matched.

Packages already in the store get theirs here, from what the store kept: the source tags of
the manifests Metrc sent (each transfer's ``raw`` copy) and the lab results on file (the
package's own, else its batch's, as receiving judges them). A recall must find every package
of what it names, not only those received after this upgrade.
"""

from __future__ import annotations

import json
import re

from peewee import CharField, TextField
from playhouse.migrate import SchemaMigrator, migrate

from kiosk.migrations.frozen import Table, create, existing, fk

Package = existing("Package")
Transfer = existing("Transfer")


class PackageOrigin(Table):
    package = fk(Package)
    kind = CharField()
    value = CharField()
    transfer = fk(Transfer, null=True, index=False)

    class Meta:
        indexes = ((("kind", "value"), False),)


def _tags(text: str) -> list[str]:
    # As kiosk.origins splits them, frozen here: commas, semicolons or spaces between tags.
    return [t for t in re.split(r"[\s,;]+", (text or "").upper()) if t]


def _source_tags(database) -> None:
    """Each state manifest's lines get the source tags Metrc sent with them."""
    cursor = database.execute_sql("SELECT id, raw FROM transfer WHERE raw IS NOT NULL")
    for transfer_id, raw in cursor.fetchall():
        try:
            packages = (json.loads(raw) or {}).get("packages") or []
        except (ValueError, AttributeError):
            continue
        for row in packages:
            if not isinstance(row, dict) or not row.get("SourcePackageLabels"):
                continue
            database.execute_sql(
                "UPDATE transfer_package SET source_tags = %s WHERE transfer_id = %s AND tag = %s"
                .replace("%s", database.param), (", ".join(_tags(row["SourcePackageLabels"])),
                                                 transfer_id, row.get("PackageLabel") or ""))


def _origins(database) -> None:
    """Origins of the packages already received."""
    param = database.param
    rows = database.execute_sql(
        "SELECT p.id, tp.transfer_id, tp.source_tags FROM package p "
        "JOIN transfer_package tp ON tp.tag = p.tag WHERE tp.source_tags <> '' "
        "ORDER BY tp.transfer_id").fetchall()
    for package_id, transfer_id, text in rows:
        for tag in _tags(text):
            database.execute_sql(
                f"INSERT INTO package_origin (package_id, kind, value, transfer_id) "
                f"VALUES ({param}, 'source', {param}, {param})", (package_id, tag, transfer_id))
    # The lab test batch: the COA of the package's own results, else of its batch's.
    database.execute_sql(
        "INSERT INTO package_origin (package_id, kind, value) "
        "SELECT DISTINCT p.id, 'lab', UPPER(l.coa_ref) FROM package p "
        "JOIN lab_result l ON l.tag = p.tag WHERE l.coa_ref <> ''")
    database.execute_sql(
        "INSERT INTO package_origin (package_id, kind, value) "
        "SELECT DISTINCT p.id, 'lab', UPPER(l.coa_ref) FROM package p "
        "JOIN lab_result l ON l.batch = p.batch WHERE p.batch <> '' AND l.coa_ref <> '' "
        "AND NOT EXISTS (SELECT 1 FROM lab_result o WHERE o.tag = p.tag)")


def up(database):
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.add_column("transfer_package", "source_tags", TextField(default="")),
            migrator.add_column("recall_package", "matched", CharField(default="")))
    create(database, [PackageOrigin])
    _source_tags(database)
    _origins(database)


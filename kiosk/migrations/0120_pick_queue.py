"""The live pick queue: a request's kind, priority, claim and hand-off times; its lines, the
packages taken for them, and the events the queue screens follow (``frozen``).

A pick request stored before this migration keeps its JSON lines; each becomes a line row,
matched to an item as the webhook matches one now (a package's tag, the item's id, its UPC
or its exact name), or kept by its name when nothing matches.
"""

import json
from decimal import Decimal, InvalidOperation

from peewee import CharField, DateTimeField, DecimalField, IntegerField, TextField
from playhouse.migrate import SchemaMigrator, migrate

from kiosk.migrations.frozen import Table, create, existing, fk

Employee = existing("Employee")
Item = existing("Item")
Package = existing("Package")
PickRequest = existing("PickRequest")

ADDED = (
    ("kind", CharField(default="sale")),
    ("workflow", CharField(default="pick")),
    ("origin", CharField(default="pos")),
    ("priority", IntegerField(default=0)),
    ("customer", CharField(default="")),
    ("destination_id", IntegerField(null=True)),
    ("requested_by_id", IntegerField(null=True)),
    ("station", CharField(default="")),
    ("claimed_by_id", IntegerField(null=True)),
    ("claimed_at", DateTimeField(null=True)),
    ("run_id", IntegerField(null=True)),
    ("active_at", DateTimeField(null=True)),
    ("picked_at", DateTimeField(null=True)),
    ("handed_off_at", DateTimeField(null=True)),
    ("handed_to_id", IntegerField(null=True)),
    ("closed_at", DateTimeField(null=True)),
    ("close_reason", TextField(default="")),
    ("queue_note", TextField(default="")),
)


class PickLine(Table):
    request = fk(PickRequest)
    number = IntegerField()
    item = fk(Item, null=True, index=False)
    name = CharField()
    tag = CharField()
    quantity = DecimalField(max_digits=14, decimal_places=4)
    unit = CharField()
    short_reason = TextField()

    class Meta:
        indexes = ((("request", "number"), True),)


class PickedPackage(Table):
    request = fk(PickRequest)
    line = fk(PickLine, index=False)
    package = fk(Package)
    quantity = DecimalField(max_digits=14, decimal_places=4)
    reason = TextField()
    run_id = IntegerField()
    step_event_id = IntegerField(null=True)
    actor = fk(Employee, index=False)
    at = DateTimeField()
    withdrawn_at = DateTimeField(null=True)
    withdraw_reason = TextField()
    movement_id = IntegerField(null=True)


class PickEvent(Table):
    request = fk(PickRequest)
    kind = CharField()
    at = DateTimeField()
    actor_id = IntegerField(null=True)
    actor_name = CharField()
    station = CharField()
    detail = TextField()


def up(database):
    migrator = SchemaMigrator.from_database(database)
    migrate(*[migrator.add_column("pick_request", name, field) for name, field in ADDED])
    create(database, [PickLine, PickedPackage, PickEvent])
    _lines_of_older_requests(database)


def _one(database, sql: str, *params):
    row = database.execute_sql(sql.replace("?", database.param), params).fetchone()
    return row[0] if row else None


def _item_of(database, line: dict) -> tuple[int | None, str, str]:
    """(item id or None, name, tag) for a line as the POS sent it."""
    tag = str(line.get("tag") or "").strip().upper()[:24]
    if tag:
        item = _one(database, "SELECT item_id FROM package WHERE tag = ?", tag)
        name = _one(database, "SELECT name FROM item WHERE id = ?", item) if item else None
        return item, name or f"package {tag}", tag
    ref = str(line.get("item") or "").strip()
    found = None
    if ref.isdigit() and len(ref) in (8, 12, 13, 14):
        found = _one(database, "SELECT id FROM item WHERE gtin = ?", ref.zfill(14))
    if found is None and ref.isdigit() and len(ref) < 10:
        found = _one(database, "SELECT id FROM item WHERE id = ?", int(ref))
    if found is None and ref:
        found = _one(database, "SELECT id FROM item WHERE LOWER(name) = ?", ref.lower())
    name = _one(database, "SELECT name FROM item WHERE id = ?", found) if found else None
    return found, name or ref[:100] or "(no item named)", ""


def _lines_of_older_requests(database):
    p = database.param
    requests = database.execute_sql("SELECT id, lines FROM pick_request ORDER BY id").fetchall()
    for request_id, lines in requests:
        try:
            lines = json.loads(lines or "[]")
        except ValueError:
            lines = []
        for number, line in enumerate(line for line in lines if isinstance(line, dict)):
            item, name, tag = _item_of(database, line)
            try:
                quantity = Decimal(str(line.get("quantity")).strip())
            except InvalidOperation:
                quantity = Decimal(1)
            if not quantity.is_finite() or quantity <= 0:
                quantity = Decimal(1)
            unit = (_one(database, "SELECT unit FROM item WHERE id = ?", item) if item
                    else None) or str(line.get("unit") or "Each")[:20]
            database.execute_sql(
                "INSERT INTO pick_line (request_id, number, item_id, name, tag, quantity, unit, "
                f"short_reason) VALUES ({', '.join([p] * 8)})",
                (request_id, number + 1, item, name, tag, str(quantity), unit, ""))

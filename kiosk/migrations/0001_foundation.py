"""People, stations, stock, the ledger, the audit chain, runs, signatures and the vault log,
as they were first released (``frozen``: later changes are later migrations)."""

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    IntegerField,
    TextField,
)

from kiosk.migrations.frozen import Table, create, fk


class Employee(Table):
    name = CharField()
    badge = CharField(unique=True)
    pin_hash = CharField()
    roles = CharField()
    active = BooleanField()
    created_at = DateTimeField()


class Station(Table):
    name = CharField(unique=True)
    kind = CharField()


class LoginSession(Table):
    token = CharField(unique=True)
    employee = fk(Employee)
    station = CharField()
    created_at = DateTimeField()
    last_seen = DateTimeField()
    ended_at = DateTimeField(null=True)
    end_reason = CharField(null=True)


class LoginAttempt(Table):
    badge = CharField(index=True)
    employee = fk(Employee, null=True)
    ok = BooleanField()
    reason = CharField()
    purpose = CharField()
    station = CharField()
    at = DateTimeField(index=True)


class Location(Table):
    code = CharField(unique=True)
    name = CharField()
    kind = CharField()
    active = BooleanField()


class Item(Table):
    name = CharField()
    brand = CharField()
    category = CharField()
    gtin = CharField(null=True, index=True)
    unit = CharField()
    metrc_item_id = IntegerField(null=True)


class Package(Table):
    tag = CharField(unique=True, max_length=24)
    item = fk(Item)
    batch = CharField()
    quantity = DecimalField(max_digits=14, decimal_places=4)
    unit = CharField()
    location = fk(Location, null=True)
    status = CharField(index=True)
    received_at = DateTimeField(null=True)
    expires_on = DateField(null=True)
    thc_pct = DecimalField(max_digits=6, decimal_places=2, null=True)
    cbd_pct = DecimalField(max_digits=6, decimal_places=2, null=True)
    created_at = DateTimeField()


class Movement(Table):
    package = fk(Package)
    quantity = DecimalField(max_digits=14, decimal_places=4)
    kind = CharField()
    from_location = fk(Location, null=True)
    to_location = fk(Location, null=True)
    reason = CharField()
    note = TextField()
    actor = fk(Employee, null=True)
    station = CharField()
    run_id = IntegerField(null=True, index=True)
    step_event_id = IntegerField(null=True)
    corrects = fk("self", null=True)
    at = DateTimeField()


class AuditEntry(Table):
    seq = IntegerField(unique=True)
    at = DateTimeField()
    actor_id = IntegerField(null=True)
    actor_name = CharField()
    station = CharField()
    action = CharField()
    subject = CharField()
    detail = TextField()
    prev_hash = CharField()
    hash = CharField()


class ChainHead(Table):
    seq = IntegerField()
    hash = CharField()


class Run(Table):
    workflow = CharField(index=True)
    version = IntegerField()
    status = CharField(index=True)
    current_step = CharField()
    rev = IntegerField()
    operator = fk(Employee)
    station = CharField(index=True)
    started_at = DateTimeField()
    updated_at = DateTimeField()
    finished_at = DateTimeField(null=True)
    data = TextField()
    cancel_reason = TextField(null=True)
    cancelled_by = fk(Employee, null=True)


class StepEvent(Table):
    run = fk(Run)
    rev = IntegerField()
    step_id = CharField()
    kind = CharField()
    value = TextField(null=True)
    accepted = BooleanField()
    message = TextField()
    actor = fk(Employee)
    station = CharField()
    supersedes = fk("self", null=True)
    at = DateTimeField()

    class Meta:
        indexes = ((("run", "rev"), False),)


class Signature(Table):
    run = fk(Run)
    step_event = fk(StepEvent)
    step_id = CharField()
    employee = fk(Employee)
    printed_name = CharField()
    role = CharField()
    meaning = CharField()
    record_hash = CharField()
    auth_method = CharField()
    station = CharField()
    at = DateTimeField()


class VaultVisit(Table):
    run = fk(Run, unique=True)
    purpose = CharField()
    station = CharField()
    first_person = fk(Employee)
    second_person = fk(Employee)
    entered_at = DateTimeField(index=True)
    exited_at = DateTimeField(null=True)


TABLES = [Employee, Station, LoginSession, LoginAttempt, Location, Item, Package, Movement,
          AuditEntry, ChainHead, Run, StepEvent, Signature, VaultVisit]


def up(database):
    create(database, TABLES)
    # The audit chain's head: every append locks this one row and moves it on.
    p = database.param
    database.execute_sql(f"INSERT INTO chain_head (id, seq, hash) VALUES ({p}, {p}, {p})",
                         (1, 0, "0" * 64))

"""The visitor log: sign-ins, sign-outs, and visitors taken into the vault."""

from peewee import CharField, DateTimeField, TextField

from kiosk.migrations.frozen import Table, create, existing, fk

Employee = existing("Employee")
LoginAttempt = existing("LoginAttempt")
Run = existing("Run")
Signature = existing("Signature")
VaultVisit = existing("VaultVisit")


class Visitor(Table):
    run = fk(Run, unique=True)
    name = CharField()
    company = CharField()
    purpose = CharField()
    id_kind = CharField()
    id_last4 = CharField()
    area = CharField()
    escort = fk(Employee)
    escort_signature = fk(Signature)
    station = CharField()
    entered_at = DateTimeField(index=True)
    valid_until = DateTimeField()


class VisitorExit(Table):
    visitor = fk(Visitor, unique=True)
    how = CharField()
    by = fk(Employee)
    reason = TextField()
    attempt = fk(LoginAttempt, null=True)
    printed_name = CharField()
    meaning = CharField()
    record_hash = CharField()
    station = CharField()
    at = DateTimeField(index=True)


class VaultVisitor(Table):
    vault_visit = fk(VaultVisit)
    visitor = fk(Visitor)
    at = DateTimeField()

    class Meta:
        indexes = ((("vault_visit", "visitor"), True),)


def up(database):
    create(database, [Visitor, VisitorExit, VaultVisitor])

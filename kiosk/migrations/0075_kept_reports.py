"""The end-of-day reports kept as records (their PDF's SHA-256, day, who and when), as first
released (``frozen``)."""

from peewee import CharField, DateField, DateTimeField, IntegerField

from kiosk.migrations.frozen import Table, create, existing, fk

Employee = existing("Employee")


class KeptReport(Table):
    kind = CharField()
    day = DateField(index=True)
    sha256 = CharField(max_length=64)
    size = IntegerField()
    path = CharField()
    generated_by = fk(Employee, null=True, index=False)
    generated_at = DateTimeField()
    station = CharField()
    occasion = CharField()


def up(database):
    create(database, [KeptReport])

"""Tables as a migration made them: each migration keeps its own copy of the fields.

A migration must make the same tables on every database it ever runs on, today or in five
years, so it never builds them from ``kiosk.models``: those move on, and a change there is a
new migration. peewee still writes the SQL, so a frozen table is created the same way on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import peewee


class Table(peewee.Model):
    """A table as its migration created it (class names give the table names, as the
    models' do: ``StepEvent`` is ``step_event``)."""

    class Meta:
        legacy_table_names = False


def existing(name: str) -> type[Table]:
    """A table an earlier migration made, for foreign keys to point at (only its id)."""
    return type(name, (Table,), {"__module__": __name__})


def fk(model, **kwargs) -> peewee.ForeignKeyField:
    """A foreign key; frozen tables keep no back-references to each other."""
    return peewee.ForeignKeyField(model, backref="+", **kwargs)


def create(database, tables: list[type[Table]]) -> None:
    with database.bind_ctx(tables, bind_refs=False, bind_backrefs=False):
        database.create_tables(tables)

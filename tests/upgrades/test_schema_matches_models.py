"""Every schema change is a migration: the tables the migrations make are the models' tables.

The migrations never build tables from ``kiosk.models`` (``kiosk/migrations/frozen.py``), so
a field added to a model, an index dropped, a new model, all without a migration, show up
here as a difference between the two, on SQLite and on PostgreSQL. Nothing in this test names
a migration or a table: it holds for whatever migrations and models exist.
"""

from __future__ import annotations

import importlib
import pkgutil

from schema_of import schema

import kiosk.models
from kiosk import db


def all_models() -> list:
    """Every model of the kiosk's records (each module of ``kiosk.models``)."""
    for info in pkgutil.iter_modules(kiosk.models.__path__):
        importlib.import_module(f"kiosk.models.{info.name}")
    found, stack = set(), [kiosk.models.BaseModel]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("kiosk.models."):
                found.add(sub)
    return sorted(found, key=lambda m: m._meta.table_name)


def differences(migrated: dict, modelled: dict) -> list[str]:
    """What a person must put in a new migration, in words."""
    found = []
    for table in sorted(modelled.keys() - migrated.keys()):
        found.append(f"table {table}: a model has it, no migration makes it")
    for table in sorted(migrated.keys() - modelled.keys()):
        found.append(f"table {table}: the migrations make it, no model has it")
    for table in sorted(migrated.keys() & modelled.keys()):
        ours, theirs = migrated[table], modelled[table]
        for name in sorted(theirs["columns"].keys() - ours["columns"].keys()):
            found.append(f"{table}.{name}: the model has it, no migration adds it")
        for name in sorted(ours["columns"].keys() - theirs["columns"].keys()):
            found.append(f"{table}.{name}: the migrations make it, the model has no such field")
        for name in sorted(ours["columns"].keys() & theirs["columns"].keys()):
            if ours["columns"][name] != theirs["columns"][name]:
                found.append(f"{table}.{name}: (type, null, primary key) is "
                             f"{ours['columns'][name]} after the migrations, "
                             f"{theirs['columns'][name]} in the model")
        for kind in ("indexes", "foreign keys"):
            for extra in sorted(theirs[kind] - ours[kind]):
                found.append(f"{table}: {kind} {extra} in the model, not after the migrations")
            for extra in sorted(ours[kind] - theirs[kind]):
                found.append(f"{table}: {kind} {extra} after the migrations, not in the model")
    return found


def test_the_migrations_make_exactly_the_models_tables(new_database):
    db.init(new_database())
    applied = db.upgrade()
    assert applied, "no migrations ran"
    with db.connection():
        migrated = schema(db.database)

    db.init(new_database())
    with db.connection():
        db.database.create_tables([*all_models(), db.SchemaMigration])
        modelled = schema(db.database)

    assert len(modelled) > 10 and all(t["columns"] for t in modelled.values())
    assert differences(migrated, modelled) == []


def test_a_field_added_without_a_migration_is_caught(new_database):
    """The comparison above is not blind: a model with one more field (and its index), made
    as a model change without a migration would be, differs from the migrated tables."""
    import peewee

    db.init(new_database())
    db.upgrade()
    with db.connection():
        migrated = schema(db.database)

    models = all_models()
    station = next(m for m in models if m._meta.table_name == "station")
    extra = peewee.CharField(null=True, index=True)
    station._meta.add_field("screen_serial", extra)
    try:
        db.init(new_database())
        with db.connection():
            db.database.create_tables([*models, db.SchemaMigration])
            modelled = schema(db.database)
    finally:
        station._meta.remove_field("screen_serial")
    assert differences(migrated, modelled) == [
        "station.screen_serial: the model has it, no migration adds it",
        "station: indexes (('screen_serial',), False) in the model, not after the migrations"]

"""Migrations bring an existing database up to date and leave a new one the same, on SQLite
and on PostgreSQL."""

from __future__ import annotations

import peewee
import pytest

from kiosk import db
from kiosk.db import SchemaMigration

DROPPED = ("step_event_actor_id", "movement_from_location_id", "outbox_message_run_id")


def indexes() -> set[str]:
    """Every index of the bound database, by name."""
    with db.connection():
        return {index.name for table in db.database.get_tables()
                for index in db.database.get_indexes(table)}


def columns(table: str) -> set[str]:
    with db.connection():
        return {column.name for column in db.database.get_columns(table)}


def test_an_older_database_loses_the_unused_indexes_and_keeps_the_rest(empty_database):
    db.init(empty_database)
    db.upgrade()
    assert not set(DROPPED) & indexes()  # a new database never had them
    # As a database made before 0030 was: the indexes exist and 0030 is not yet applied.
    with db.connection():
        for name, table, column in (("step_event_actor_id", "step_event", "actor_id"),
                                    ("movement_from_location_id", "movement",
                                     "from_location_id"),
                                    ("outbox_message_run_id", "outbox_message", "run_id")):
            db.database.execute_sql(f"CREATE INDEX {name} ON {table} ({column})")
        SchemaMigration.delete().where(SchemaMigration.version == 30).execute()
    assert set(DROPPED) <= indexes()
    assert db.upgrade() == ["0030_leaner_indexes"]
    left = indexes()
    assert not set(DROPPED) & left
    assert {"step_event_run_id_rev", "movement_package_id", "outbox_message_status"} <= left
    assert db.upgrade() == []


def test_an_older_database_gains_badge_unlocks_and_the_attempts_index(empty_database):
    db.init(empty_database)
    db.upgrade()
    assert "login_attempt_badge_at" in indexes()
    with db.connection():  # as a database made before 0040 was
        db.database.execute_sql("DROP TABLE badge_unlock")
        db.database.execute_sql("DROP INDEX login_attempt_badge_at")
        SchemaMigration.delete().where(SchemaMigration.version == 40).execute()
    assert db.upgrade() == ["0040_badge_unlocks"]
    assert "login_attempt_badge_at" in indexes()
    assert {"badge", "employee_id", "unlocked_by_id", "attempt_id", "station",
            "at"} <= columns("badge_unlock")


def test_an_older_database_gets_staff_columns_and_badges_unique_among_active_people(empty_database):
    db.init(empty_database)
    db.upgrade()
    with db.connection():  # as a database made before 0081 was: one unique badge index
        db.database.execute_sql("DROP TABLE staff_change")
        db.database.execute_sql("DROP INDEX employee_badge_active")
        db.database.execute_sql("DROP INDEX employee_badge")
        db.database.execute_sql("ALTER TABLE employee DROP COLUMN must_set_pin")
        db.database.execute_sql("ALTER TABLE employee DROP COLUMN language")
        db.database.execute_sql("CREATE UNIQUE INDEX employee_badge ON employee (badge)")
        db.database.execute_sql(
            "INSERT INTO employee (name, badge, pin_hash, roles, active, created_at) "
            "VALUES ('Dev Patel', '1004', 'x', 'runner', FALSE, '2026-01-01 00:00:00')")
        SchemaMigration.delete().where(SchemaMigration.version == 81).execute()
    assert db.upgrade() == ["0081_staff"]
    assert {"must_set_pin", "language"} <= columns("employee")
    with db.connection():
        run = db.database.execute_sql
        assert [(bool(pin), language) for pin, language in run(
            "SELECT must_set_pin, language FROM employee").fetchall()] == [(False, "en")]
        # An inactive person's number may be given again; two active holders may not.
        run("INSERT INTO employee (name, badge, pin_hash, roles, active, created_at, "
            "must_set_pin, language) VALUES ('Iris Moreno', '1004', 'x', 'runner', TRUE, "
            "'2026-02-01 00:00:00', FALSE, 'es')")
        with pytest.raises(peewee.IntegrityError), db.database.atomic():
            run("INSERT INTO employee (name, badge, pin_hash, roles, active, "
                "created_at, must_set_pin, language) VALUES ('Twin', '1004', 'x', "
                "'runner', TRUE, '2026-02-01 00:00:00', FALSE, 'en')")
    assert {"employee_badge", "employee_badge_active", "staff_change_at"} <= indexes()

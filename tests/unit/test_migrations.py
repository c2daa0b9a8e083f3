"""Migrations bring an existing database up to date and leave a new one the same."""

from __future__ import annotations

import sqlite3

from kiosk import db
from kiosk.db import SchemaMigration

DROPPED = ("step_event_actor_id", "movement_from_location_id", "outbox_message_run_id")


def indexes(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_an_older_database_loses_the_unused_indexes_and_keeps_the_rest(tmp_path):
    path = tmp_path / "kiosk.db"
    db.init(f"sqlite:///{path}")
    db.upgrade()
    assert not set(DROPPED) & indexes(path)  # a new database never had them
    # As a database made before 0030 was: the indexes exist and 0030 is not yet applied.
    with db.connection():
        for name, table, column in (("step_event_actor_id", "step_event", "actor_id"),
                                    ("movement_from_location_id", "movement",
                                     "from_location_id"),
                                    ("outbox_message_run_id", "outbox_message", "run_id")):
            db.database.execute_sql(f"CREATE INDEX {name} ON {table} ({column})")
        SchemaMigration.delete().where(SchemaMigration.version == 30).execute()
    assert set(DROPPED) <= indexes(path)
    assert db.upgrade() == ["0030_leaner_indexes"]
    left = indexes(path)
    assert not set(DROPPED) & left
    assert {"step_event_run_id_rev", "movement_package_id", "outbox_message_status"} <= left
    assert db.upgrade() == []


def test_an_older_database_gains_badge_unlocks_and_the_attempts_index(tmp_path):
    path = tmp_path / "kiosk.db"
    db.init(f"sqlite:///{path}")
    db.upgrade()
    assert "login_attempt_badge_at" in indexes(path)
    with db.connection():  # as a database made before 0040 was
        db.database.execute_sql("DROP TABLE badge_unlock")
        db.database.execute_sql("DROP INDEX login_attempt_badge_at")
        SchemaMigration.delete().where(SchemaMigration.version == 40).execute()
    assert db.upgrade() == ["0040_badge_unlocks"]
    assert "login_attempt_badge_at" in indexes(path)
    with sqlite3.connect(path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(badge_unlock)")}
    assert {"badge", "employee_id", "unlocked_by_id", "attempt_id", "station", "at"} <= columns

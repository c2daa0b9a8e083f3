"""Staff on the screen: a person's language and "must choose a PIN", signed staff changes,
and badge numbers unique among active people only (a deactivated person's number can be
given again)."""

from peewee import CharField, DateTimeField, TextField

from kiosk.migrations.frozen import Table, create, existing, fk

Employee = existing("Employee")
LoginAttempt = existing("LoginAttempt")


class StaffChange(Table):
    employee = fk(Employee)
    action = CharField()
    before = TextField()
    after = TextField()
    reason = TextField()
    signed_by = fk(Employee)
    printed_name = CharField()
    role = CharField()
    meaning = CharField()
    attempt = fk(LoginAttempt)
    change_hash = CharField()
    station = CharField()
    at = DateTimeField(index=True)


def up(database):
    # Added NOT NULL with a default in one statement: peewee's migrator would add the column
    # nullable and then rebuild SQLite's employee table to forbid nulls, which the foreign
    # keys of every record that names a person refuse.
    boolean = database.field_types["BOOL"]
    database.execute_sql(f"ALTER TABLE employee ADD COLUMN must_set_pin {boolean} NOT NULL "
                         "DEFAULT FALSE")
    database.execute_sql("ALTER TABLE employee ADD COLUMN language VARCHAR(255) NOT NULL "
                         "DEFAULT 'en'")
    # Until now the badge's index was unique over everyone, inactive people included.
    database.execute_sql("DROP INDEX IF EXISTS employee_badge")
    database.execute_sql("CREATE INDEX employee_badge ON employee (badge)")
    database.execute_sql("CREATE UNIQUE INDEX employee_badge_active ON employee (badge) "
                         "WHERE active")
    create(database, [StaffChange])

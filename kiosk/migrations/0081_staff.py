"""Staff on the screen: a person's language and "must set a PIN", signed staff changes, and
badge numbers unique among active people only (a deactivated person's number can be given
again).

A new database already has the columns (0001 makes the employee table as the model is now),
so each is added only where it is missing.
"""

from playhouse.migrate import SchemaMigrator, migrate

from kiosk.models import Employee, StaffChange


def up(database):
    have = {column.name for column in database.get_columns("employee")}
    migrator = SchemaMigrator.from_database(database)
    operations = [migrator.add_column("employee", name, field)
                  for name, field in (("must_set_pin", Employee.must_set_pin),
                                      ("language", Employee.language)) if name not in have]
    if operations:
        migrate(*operations)
    # Until now the badge's index was unique over everyone, inactive people included.
    database.execute_sql("DROP INDEX IF EXISTS employee_badge")
    database.execute_sql("CREATE INDEX employee_badge ON employee (badge)")
    database.execute_sql("CREATE UNIQUE INDEX IF NOT EXISTS employee_badge_active "
                         "ON employee (badge) WHERE active")
    database.create_tables([StaffChange], safe=True)

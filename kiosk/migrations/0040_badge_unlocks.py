"""A manager's unlock of a locked badge, and an index for the lockout's question.

Every PIN attempt asks "this badge's attempts since then": by badge and time together, so a
badge that an attacker has hammered thousands of times is still answered from a few rows.
"""

from peewee import CharField, DateTimeField

from kiosk.migrations.frozen import Table, create, existing, fk

Employee = existing("Employee")
LoginAttempt = existing("LoginAttempt")


class BadgeUnlock(Table):
    badge = CharField(index=True)
    employee = fk(Employee)
    unlocked_by = fk(Employee)
    attempt = fk(LoginAttempt)
    station = CharField()
    at = DateTimeField()


def up(database):
    create(database, [BadgeUnlock])
    database.execute_sql("CREATE INDEX IF NOT EXISTS login_attempt_badge_at "
                         "ON login_attempt (badge, at)")

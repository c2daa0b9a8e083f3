"""A manager's unlock of a locked badge, and an index for the lockout's question.

Every PIN attempt asks "this badge's attempts since then": by badge and time together, so a
badge that an attacker has hammered thousands of times is still answered from a few rows.
"""

from kiosk.models import BadgeUnlock


def up(database):
    database.create_tables([BadgeUnlock], safe=True)
    database.execute_sql("CREATE INDEX IF NOT EXISTS login_attempt_badge_at "
                         "ON login_attempt (badge, at)")

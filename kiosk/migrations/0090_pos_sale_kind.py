"""What kind of line a POS sale is: a sale, a return, or a sale the POS voided.

Reconciliation counts a return against the day's sales and leaves a voided line out, but
still shows both: a void or a return that never reached Metrc is one of the differences a
manager settles in the morning. Lines stored before this were all sales.
"""

from peewee import CharField
from playhouse.migrate import SchemaMigrator, migrate


def up(database):
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.add_column("pos_sale", "kind", CharField(default="sale")))

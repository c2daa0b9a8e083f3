"""The visitor log: sign-ins, sign-outs, and visitors taken into the vault."""

from kiosk.models import VaultVisitor, Visitor, VisitorExit


def up(database):
    database.create_tables([Visitor, VisitorExit, VaultVisitor], safe=True)

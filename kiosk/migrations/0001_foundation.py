"""People, stations, stock, the ledger, the audit chain, runs, signatures and the vault log."""

from kiosk.models import (
    AuditEntry,
    ChainHead,
    Employee,
    Item,
    Location,
    LoginAttempt,
    LoginSession,
    Movement,
    Package,
    Run,
    Signature,
    Station,
    StepEvent,
    VaultVisit,
)

TABLES = [Employee, Station, LoginSession, LoginAttempt, Location, Item, Package, Movement,
          AuditEntry, ChainHead, Run, StepEvent, Signature, VaultVisit]


def up(database):
    database.create_tables(TABLES)
    ChainHead.create(id=1, seq=0, hash="0" * 64)

"""The store's records. Each module holds one area; import names from here."""

from kiosk.models.audit import AuditEntry, ChainHead
from kiosk.models.base import BaseModel, JSONField, QuantityField, dumps
from kiosk.models.outbox import OutboxMessage
from kiosk.models.people import (
    LANGUAGES,
    ROLES,
    BadgeUnlock,
    Employee,
    LoginAttempt,
    LoginSession,
    Station,
)
from kiosk.models.printing import PrintJob
from kiosk.models.receiving import (
    LabResult,
    PackageOrigin,
    PurchaseOrder,
    PurchaseOrderLine,
    Transfer,
    TransferPackage,
)
from kiosk.models.runs import Run, Signature, StepEvent
from kiosk.models.staff import StaffChange
from kiosk.models.stock import Item, Location, Movement, Package
from kiosk.models.vault import VaultVisit
from kiosk.models.visitors import VaultVisitor, Visitor, VisitorExit

__all__ = [
    "BadgeUnlock",
    "AuditEntry", "BaseModel", "ChainHead", "Employee", "Item", "JSONField", "LabResult",
    "Location", "LoginAttempt", "LoginSession", "Movement", "OutboxMessage", "Package",
    "PackageOrigin",
    "PrintJob", "PurchaseOrder", "PurchaseOrderLine", "QuantityField", "ROLES", "Run",
    "Signature", "Station", "StepEvent", "Transfer", "TransferPackage", "VaultVisit", "dumps",
    "LANGUAGES", "StaffChange", "VaultVisitor", "Visitor", "VisitorExit",
]
from kiosk.models.counts import (  # noqa: E402,F401
    Count,
    CountLine,
    MetrcPackage,
    PosInventory,
    Variance,
)
from kiosk.models.holds import (  # noqa: E402,F401
    Destruction,
    PackageHold,
    Recall,
    RecallPackage,
    ReturnLine,
    VendorReturn,
)
from kiosk.models.picks import PickedPackage, PickEvent, PickLine  # noqa: E402,F401
from kiosk.models.reconciliation import (  # noqa: E402,F401
    DayCheck,
    DayCount,
    DayDifference,
    MetrcReceipt,
    WaitingNote,
)
from kiosk.models.reports import ClosingPdf, KeptReport  # noqa: E402,F401
from kiosk.models.sync import (  # noqa: E402,F401
    Discrepancy,
    PickRequest,
    PosSale,
    SyncState,
    SyncWorker,
)

"""What the report tests' store day is: its date, its delivery's manifest, the figures its
report must give, and how its tags and times are written (``conftest.store_day`` makes it);
and a visitor taken into the vault that day, by touch as staff do it."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader

from kiosk import clock
from kiosk.models import Run, Visitor

DAY = dt.date(2026, 11, 23)
MANIFEST = "0000205101"
# The store day's figures as the report's summary must give them.
FIGURES = {
    "Deliveries received": "1", "Packages accepted": "3", "Packages rejected": "1",
    "Units received": "30", "Moves": "2", "Counts": "1", "Variances found": "1",
    "Variances resolved": "1", "Adjustments": "1 (-2 units)", "Quarantined": "1",
    "Released from quarantine": "0", "Destroyed": "1", "Waiting for Metrc or the POS": "5",
    "Needing attention": "1", "Waiting over 24 h": "1", "Sales lines": "5",
    "Sales receipts": "5", "Units sold": "9", "Packages expiring within 30 days": "1",
    "Vault entries": "1",
}


def tag(n: int) -> str:
    return f"1A4060300000000000{n:06d}"


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    """A time on the store's clock (Los Angeles) as the records' UTC."""
    return clock.from_local(dt.datetime.combine(day, dt.time(hh, mm)))


def pdf_text(data: bytes) -> str:
    """Every page's text, read by a PDF library, whitespace folded to single spaces."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def visitor_into_vault(kiosk) -> Visitor:
    """Sam Ortiz of Bright Electric signed in by Femi (a manager) at the time the clock says,
    then taken into the vault by Ben and Femi. Logs in as Ben."""
    kiosk.login("1002", "2345")
    kiosk.post("/runs", {"workflow": "visitor"})
    run = Run.select().where(Run.workflow == "visitor").order_by(Run.id.desc()).get()
    for step, value in (("area", "vault"), ("name", "Sam Ortiz"), ("company", "Bright Electric"),
                        ("purpose", "contractor"), ("id_kind", "driver_licence"),
                        ("id_last4", "4821")):
        kiosk.step(run.id, step, value=value)
    kiosk.step(run.id, "escort_vault", badge="1006", pin="6789")
    kiosk.step(run.id, "badge", value="print")
    sam = Visitor.get(Visitor.name == "Sam Ortiz")
    kiosk.post("/runs", {"workflow": "vault_entry"})
    entry = Run.select().where(Run.workflow == "vault_entry").order_by(Run.id.desc()).get()
    kiosk.step(entry.id, "purpose", value="inspection")
    kiosk.step(entry.id, "enter", badge="1002", pin="2345")
    kiosk.step(entry.id, "enter", badge="1006", pin="6789")
    kiosk.step(entry.id, "visitors", value=sam.code)
    return sam

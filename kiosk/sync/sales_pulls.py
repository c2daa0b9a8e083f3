"""Pulling the day's sales from both sides for reconciliation: Metrc's sales receipts and,
where the POS is one the kiosk reads (Dutchie), its transactions.

Metrc's receipts are read by last modification, in windows of at most 24 hours that overlap
the previous pull by ten minutes (a receipt is modified no earlier than its sale, so the
receipts of a day are all in the windows from that day's start on); the first pull reaches
back to the start of yesterday. ``pull_day`` reads one day's receipts again from that day's
start, on a manager's demand. The POS's transactions of yesterday and today are read whole
each time (a sale voided later changes an old transaction). Each pull is kept, with when it
ran and any error in words, in ``SyncState`` (``pull:receipts``, ``pull:pos_sales``), which
the reconciliation screens show. The POS's stock figures (``PosInventory``, the counts'
"POS" column) are read hourly and when asked. As elsewhere in the syncer, every call
happens before the write transaction.

A workflow asks for a pull by writing ``pull:sales:asked`` (``reconciliation.ask_for_pull``:
it cannot call out itself); the worker sees the request at its next look, within seconds.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kiosk import clock
from kiosk.db import connection, write
from kiosk.models import MetrcReceipt
from kiosk.models.sync import SyncState
from kiosk.reconciliation import ASKED_KEY, POS_SALES_KEY, RECEIPTS_KEY
from kiosk.sync import outbox, pos
from kiosk.sync.metrc import MetrcClient, MetrcError
from kiosk.sync.pulls import OVERLAP, _windows
from kiosk.words import Known, Phrase, _, joined, n_

LISTS = ("active", "inactive")
INVENTORY_KEY = "pull:pos_inventory"
INVENTORY_EVERY = dt.timedelta(hours=1)  # 10,000 packages are two calls, but a big write


def state(key: str) -> dict:
    row = SyncState.get_or_none(SyncState.key == key)
    return dict(row.value) if row else {}


def _keep(key: str, value: dict, now: dt.datetime) -> None:
    if not SyncState.update(value=value, updated_at=now).where(SyncState.key == key).execute():
        SyncState.create(key=key, value=value, updated_at=now)


def _time(value) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def yesterday_start(now: dt.datetime) -> dt.datetime:
    day = clock.store_date(now) - dt.timedelta(days=1)
    return clock.store_day_bounds(day, day)[0]


# -- Metrc's receipts --------------------------------------------------------------------
def _number(value) -> Decimal:
    return Decimal(str(value or 0))


def _lines(row: dict) -> list[dict]:
    """A receipt's transactions in our words (Metrc's read and write names both read)."""
    lines = []
    for t in row.get("Transactions") or []:
        lines.append({"tag": t.get("PackageLabel") or "",
                      "quantity": str(_number(t.get("QuantitySold", t.get("Quantity")))),
                      "unit": t.get("UnitOfMeasureName") or t.get("UnitOfMeasure") or "Each",
                      "amount": str(_number(t.get("TotalPrice", t.get("TotalAmount"))))})
    return lines


def _values(row: dict, now: dt.datetime) -> dict:
    local = str(row["SalesDateTime"])
    wall = dt.datetime.fromisoformat(local.replace("Z", "+00:00"))
    sold_at = clock.to_utc(wall)
    modified = row.get("LastModified")
    return {"external_number": str(row.get("ExternalReceiptNumber") or ""),
            "sold_local": local, "sold_at": sold_at,
            "sold_on": wall.date() if wall.tzinfo is None else clock.store_date(sold_at),
            "customer_type": row.get("SalesCustomerType") or "Consumer",
            "is_final": bool(row.get("IsFinal")), "archived": bool(row.get("ArchivedDate")),
            "lines": _lines(row), "pulled_at": now,
            "last_modified": clock.to_utc(dt.datetime.fromisoformat(
                str(modified).replace("Z", "+00:00"))) if modified else None}


def _store_receipts(found: dict[int, dict], now: dt.datetime) -> None:
    for metrc_id, row in found.items():
        values = _values(row, now)
        kept = MetrcReceipt.get_or_none(MetrcReceipt.metrc_id == metrc_id)
        if kept is None:
            MetrcReceipt.create(metrc_id=metrc_id, **values)
            continue
        if kept.corrected is not None and kept.corrected == values["lines"]:
            values["corrected"] = None  # Metrc now says what we told it
        MetrcReceipt.update(**values).where(MetrcReceipt.id == kept.id).execute()


def _fetch(client: MetrcClient, start: dt.datetime, end: dt.datetime) -> dict[int, dict]:
    found = {}
    for lo, hi in _windows(start, end):
        for which in LISTS:
            for row in client.receipts(which, lo, hi):
                found[int(row["Id"])] = row
    return found


def _pull(client: MetrcClient, start: dt.datetime, now: dt.datetime) -> int:
    found = _fetch(client, start, now)
    before = state(RECEIPTS_KEY)
    with write():
        _store_receipts(found, now)
        since = min(filter(None, (_time(before.get("since")), start)))
        _keep(RECEIPTS_KEY, {"since": since.isoformat(), "end": now.isoformat(),
                             "at": now.isoformat(), "read": len(found), "error": ""}, now)
    return len(found)


def pull_receipts(client: MetrcClient, now: dt.datetime | None = None) -> int:
    """Read the receipts Metrc changed since the last pull; returns how many were read.
    Raises MetrcError when Metrc fails (nothing is stored then)."""
    now = now or clock.now()
    end = state(RECEIPTS_KEY).get("end")
    return _pull(client, (_time(end) - OVERLAP) if end else yesterday_start(now), now)


def pull_receipts_of(client: MetrcClient, day: dt.date, now: dt.datetime | None = None) -> int:
    """Read again every receipt of the store's ``day`` (and those changed since)."""
    now = now or clock.now()
    return _pull(client, clock.store_day_bounds(day, day)[0], now)


# -- the POS's sales ------------------------------------------------------------------------
def pull_pos_sales(adapter, start: dt.datetime, now: dt.datetime | None = None) -> int:
    """Read the POS's transactions from ``start`` to now into ``PosSale``; returns the new
    lines. Only for a POS the kiosk reads (one with ``pull_sales``)."""
    now = now or clock.now()
    new, _seen = adapter.pull_sales(start, now)
    before = state(POS_SALES_KEY)
    with write():
        since = min(filter(None, (_time(before.get("since")), start)))
        _keep(POS_SALES_KEY, {"since": since.isoformat(), "end": now.isoformat(),
                              "at": now.isoformat(), "new": new, "error": "",
                              "pos": adapter.name}, now)
    return new


def pull_pos_inventory(adapter, now: dt.datetime | None = None) -> int:
    """Keep the POS's stock figures now (``PosInventory``: the counts' "POS" figure);
    returns how many packages it reported."""
    now = now or clock.now()
    snapshot = adapter.inventory_snapshot()
    if snapshot:
        pos.record_inventory(adapter.name, snapshot, as_of=now.isoformat() + "+00:00")
    with write():
        _keep(INVENTORY_KEY, {"at": now.isoformat(), "packages": len(snapshot), "error": "",
                              "pos": adapter.name}, now)
    return len(snapshot)


def _failed(key: str, exc: Exception, now: dt.datetime) -> None:
    with write():
        _keep(key, {**state(key), "error": str(exc), "error_at": now.isoformat()}, now)


# -- when to pull ---------------------------------------------------------------------------
class SalesPuller:
    """The syncer's sales pulls: every ``sync_pull_minutes``, and at once when asked."""

    def __init__(self, settings: dict, metrc: MetrcClient | None, pos_adapter):
        self.metrc = metrc
        self.pos = pos_adapter if hasattr(pos_adapter, "pull_sales") else None
        self.every = dt.timedelta(minutes=float(settings.get("sync_pull_minutes", 5)))
        self.last: dt.datetime | None = None
        self.last_stock: dt.datetime | None = None

    def due(self, now: dt.datetime) -> dt.date | None:
        """The day to read again from its start when a person asked (else yesterday), or
        None when no pull is due."""
        asked = state(ASKED_KEY)
        if asked.get("at") and (self.last is None or _time(asked["at"]) > self.last):
            return dt.date.fromisoformat(asked["day"])
        if self.last is None or now - self.last >= self.every:
            return clock.store_date(now) - dt.timedelta(days=1)
        return None

    def pull_if_due(self, force: bool = False) -> None:
        now = clock.now()
        day = self.due(now) if not force else clock.store_date(now) - dt.timedelta(days=1)
        if day is None or (self.metrc is None and self.pos is None):
            return
        asked = force or self.last is None or state(ASKED_KEY).get("at", "") > (
            self.last.isoformat())
        self.last = now
        start = min(clock.store_day_bounds(day, day)[0], yesterday_start(now))
        if self.metrc is not None:
            try:
                if state(RECEIPTS_KEY).get("end") and _time(state(RECEIPTS_KEY)["since"]) <= start:
                    pull_receipts(self.metrc, now)
                else:
                    pull_receipts_of(self.metrc, day, now)
            except MetrcError as exc:
                _failed(RECEIPTS_KEY, exc, now)
        if self.pos is not None:
            try:
                pull_pos_sales(self.pos, start, now)
                if asked or self.last_stock is None or now - self.last_stock >= INVENTORY_EVERY:
                    pull_pos_inventory(self.pos, now)
                    self.last_stock = now
                outbox.set_health("pos", True, now=now)
            except MetrcError as exc:
                _failed(POS_SALES_KEY, exc, now)
                outbox.set_health("pos", False, f"Pulling sales from {self.pos.name}: {exc}",
                                  now=now)


def pull_day(settings: dict, day: dt.date) -> str:
    """Read one store day's receipts and sales now (the manager's button); one sentence."""
    from kiosk.sync import pos_link

    adapter = pos_link.adapter(settings)
    said, failed = [], False
    with connection():
        now = clock.now()
        start = clock.store_day_bounds(day, day)[0]
        if settings.get("state_system") == "metrc":
            try:
                read = pull_receipts_of(MetrcClient.from_settings(settings), day, now)
                said.append(n_("Metrc: {count} receipt read", "Metrc: {count} receipts read",
                               read))
            except MetrcError as exc:
                _failed(RECEIPTS_KEY, exc, now)
                said.append(_("Metrc did not answer ({error})", error=Known(str(exc))))
                failed = True
        if hasattr(adapter, "pull_sales"):
            try:
                new = pull_pos_sales(adapter, start, now)
                stock = pull_pos_inventory(adapter, now)
                said.append(n_("{pos}: {count} new sale line, stock of {stock} packages",
                               "{pos}: {count} new sale lines, stock of {stock} packages", new,
                               pos=adapter.name.title(), stock=stock))
            except MetrcError as exc:
                _failed(POS_SALES_KEY, exc, now)
                said.append(_("{pos} did not answer ({error})", pos=adapter.name.title(),
                              error=Known(str(exc))))
                failed = True
    if not said:
        return _("This store pulls no sales from Metrc or the POS.")
    # Not marked: a full stop after the sentences, each said in the reader's language.
    sentence = Phrase("{said}.", {"said": joined(said, "; ")})
    sentence.failed = failed  # Metrc or the POS did not answer: the screen shows it as such
    return sentence

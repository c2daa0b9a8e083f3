"""The point-of-sale side: an adapter interface, a signed-webhook adapter and a CSV sales import.

Push: the kiosk tells the POS that stock was received, moved, put on hold or released, or
adjusted (outbox target ``pos``). Pull: the POS tells us what it sold (for reconciliation)
and asks for picks, either by a signed webhook into ``/api/pos/...`` or by a sales report
imported as CSV. Vendor adapters implement the same ``PosAdapter`` protocol later.

Signatures: ``X-Kiosk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`` with the
shared secret (``pos_secret``), in both directions. Inbound requests that are unsigned,
wrongly signed or older than five minutes are refused, so a captured request cannot be
replayed later; a replay inside the window only repeats an idempotent upsert.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import re
import time
from decimal import Decimal, InvalidOperation
from typing import Protocol

import requests

from kiosk import clock, limits
from kiosk.db import write
from kiosk.models.counts import PosInventory
from kiosk.models.picks import PickRequest
from kiosk.models.sync import PosSale
from kiosk.sync.metrc import Ambiguous, RateLimited, Refused, retry_after, send
from kiosk.words import _

POS_KINDS = ("stock.received", "stock.moved", "stock.hold", "stock.release", "stock.adjusted")
SIGNATURE_HEADER = "X-Kiosk-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for ``body``."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str | None, body: bytes, now: float | None = None) -> str | None:
    """Why a signed request is not acceptable, or None when it is."""
    if not secret:
        return _("the kiosk has no POS secret configured (KIOSK_POS_SECRET)")
    if not header:
        return _("the request is not signed")
    if len(header) > limits.SIGNATURE_HEADER:
        return _("the signature header is too long")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if not re.fullmatch(r"[0-9]{1,12}", parts.get("t", "")):  # seconds, not 400 digits
        return _("the signature has no timestamp")
    timestamp = int(parts["t"])
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return _("the signature is stale (more than five minutes old or ahead)")
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        return _("the signature does not match")
    return None


class PosAdapter(Protocol):
    """What every POS adapter offers the syncer."""

    name: str

    def push(self, kind: str, payload: dict, key: str) -> None:
        """Tell the POS one stock fact; ``key`` is unique per fact (idempotency key).
        Raises NotSent, Ambiguous, RateLimited or Refused."""

    def sales(self, start: dt.datetime, end: dt.datetime) -> list[PosSale]:
        """Sold lines reported by the POS in [start, end), for reconciliation."""

    def pick_requests(self) -> list[PickRequest]:
        """Open pick requests from the POS."""


class _StoredPulls:
    """Sales and picks arrive by webhook or import and are read from our own tables."""

    def sales(self, start, end):
        return list(PosSale.select().where(PosSale.sold_at >= start, PosSale.sold_at < end)
                    .order_by(PosSale.sold_at))

    def pick_requests(self):
        return list(PickRequest.select().where(PickRequest.status == "open")
                    .order_by(PickRequest.requested_at))


class WebhookPos(_StoredPulls):
    """Signed JSON POSTs to the configured URL; the receiver dedupes by ``Idempotency-Key``,
    so repeating after a timeout is safe."""

    name = "webhook"

    def __init__(self, url: str, secret: str, timeout: float = 10.0,
                 session: requests.Session | None = None):
        self.url, self.secret, self.timeout = url, secret, timeout
        self.session = session or requests.Session()

    def push(self, kind: str, payload: dict, key: str) -> None:
        body = json.dumps({"id": key, "event": kind, "data": payload,
                           "sent_at": clock.now().isoformat() + "Z"},
                          sort_keys=True, default=str).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": key,
                   SIGNATURE_HEADER: sign(self.secret, body)}
        response = send(self.session, "POST", self.url, who="The POS", whom="the POS",
                        timeout=self.timeout, data=body, headers=headers)
        status = response.status_code
        if status < 300:
            return
        if status == 429:
            raise RateLimited("The POS asked us to slow down.", retry_after(response))
        if status >= 500 or status == 408:
            raise Ambiguous(f"The POS had a server error ({status}).", status)
        raise Refused(f"The POS refused this ({status}): {response.text.strip()[:200]}", status)


def adapter(settings: dict) -> PosAdapter | None:
    """The configured adapter, or None when the store has no POS link (``pos = none``)."""
    value = str(settings.get("pos") or "none")
    if value.startswith("webhook+"):
        return WebhookPos(value.removeprefix("webhook+"), str(settings.get("pos_secret") or ""))
    return None


# -- inbound -------------------------------------------------------------------------------
def _decimal(value, what: str) -> Decimal:
    """A POS stock figure (it may be below zero: a POS sells what it thinks it has); the
    caller checks that it is a finite figure of a sane size."""
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, AttributeError):
        raise ValueError(f"{what} {limits.excerpt(value)!r} is not a number") from None


def _amount(value, unit, what: str, **kw):
    """A quantity or amount in ``unit`` (a name or a ``limits.Measure``) by the kiosk's rule
    for it, as the reason for the POS when it does not fit."""
    try:
        return limits.quantity(value, unit, **kw)
    except limits.QuantityError as exc:
        raise ValueError(f"{what} {exc.shown!r} is not possible: it must be {exc.wanted}"
                         ) from None


def when(value) -> dt.datetime:
    """A POS time as naive UTC. A time without an offset is on the store's clock, as a
    sales report prints it. Only years the kiosk can hold are taken (year 1 at +23:59 has no
    UTC to convert to)."""
    try:
        parsed = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"the time {limits.excerpt(value)!r} is not a date and time") from None
    if not limits.plausible_day(parsed.date()):
        raise ValueError(f"the time {limits.excerpt(value)!r} is not between "
                         f"{limits.FIRST_DAY.year} and {limits.LAST_DAY.year}")
    return clock.to_utc(parsed)


SALE_KINDS = ("sale", "return", "void")


def record_sale(source: str, receipt: str, tag: str, quantity, sold_at, unit: str = "Each",
                amount=None, kind: str = "sale") -> bool:
    """Store one sold line (idempotent by receipt and tag); True if it was new. ``kind``
    says a return (units brought back, on a receipt of its own) or a voided sale."""
    tag = str(tag).strip().upper()
    if len(tag) != 24 or not (tag.isascii() and tag.isalnum()):
        raise ValueError(f"{limits.excerpt(tag)!r} is not a 24-character package tag")
    receipt = limits.text(receipt, limits.RECEIPT, "the receipt number")
    if not receipt:
        raise ValueError("the receipt number is missing")
    if kind not in SALE_KINDS:
        raise ValueError(f"a sale line is a {', '.join(SALE_KINDS)}, "
                         f"not {limits.excerpt(kind)!r}")
    unit = limits.unit_name(unit or "Each")
    values = dict(source=source, kind=kind, unit=unit,
                  quantity=_amount(quantity, unit, "quantity", above_zero=True),
                  amount=None if amount in (None, "") else _amount(amount, limits.MONEY,
                                                                   "amount"),
                  sold_at=when(sold_at), received_at=clock.now())
    with write():
        updated = (PosSale.update(**values)
                   .where(PosSale.receipt == receipt, PosSale.tag == tag).execute())
        if not updated:
            PosSale.create(receipt=receipt, tag=tag, **values)
    return not updated


def _tag(value) -> str:
    tag = str(value).strip().upper()
    if len(tag) != 24 or not tag.isalnum():
        raise ValueError(f"{tag!r} is not a 24-character package tag")
    return tag


QUANTITY_LIMIT = Decimal(10) ** 9  # a stock figure is kept to 14 digits, 4 after the point


def record_inventory(source: str, lines: list, as_of=None) -> tuple[int, int]:
    """Keep the POS's inventory figures (what it believes is on hand), one per package tag,
    for the count's comparison. A figure older than the one already kept is ignored, so a
    late or repeated report never overwrites a newer one. Returns (kept, ignored as older);
    raises ValueError, storing nothing, when any line cannot be read."""
    stated = when(as_of) if as_of not in (None, "") else clock.now()
    rows = []
    for number, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            raise ValueError(f"line {number} is not an object")
        try:
            quantity = _decimal(line.get("quantity"), "quantity")
            if not quantity.is_finite() or abs(quantity) >= QUANTITY_LIMIT:
                raise ValueError(f"quantity {line.get('quantity')!r} is not a stock figure")
            rows.append((_tag(line.get("tag", "")), quantity, str(line.get("unit") or "Each"),
                         str(line.get("room") or "")[:60]))
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
    kept = older = 0
    with write():
        for tag, quantity, unit, room in rows:
            known = PosInventory.one(tag=tag)
            if known is not None and known.as_of > stated:
                older += 1
                continue
            values = dict(quantity=quantity, unit=unit, room=room, as_of=stated,
                          received_at=clock.now(), source=source)
            if known is None:
                PosInventory.create(tag=tag, **values)
            else:
                PosInventory.update(**values).where(PosInventory.id == known.id).execute()
            kept += 1
    return kept, older


_INVENTORY_COLUMNS = {
    "tag": ("tag", "package tag", "package label", "package", "packageid", "metrc tag", "uid"),
    "quantity": ("quantity", "qty", "on hand", "quantityavailable", "quantity available"),
    "unit": ("unit", "uom", "unit of measure", "quantityunits"),
    "room": ("room", "location", "room name"),
}


def import_inventory_csv(text: str, as_of=None) -> tuple[int, int, list[str]]:
    """Import a POS inventory report (one row per package); returns (kept, older, problems).
    Column names are matched loosely, as for sales; unreadable rows are reported, not kept."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    headers = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    columns = {ours: next((headers[n] for n in names if n in headers), None)
               for ours, names in _INVENTORY_COLUMNS.items()}
    if columns["tag"] is None or columns["quantity"] is None:
        return 0, 0, ["The report needs a package tag column and a quantity column."]
    lines, problems = [], []
    for number, row in enumerate(reader, start=2):
        line = {key: row.get(column) for key, column in columns.items() if column}
        try:
            _tag(line["tag"])
            _decimal(line["quantity"], "quantity")
        except ValueError as exc:
            problems.append(f"Row {number}: {exc}.")
            continue
        lines.append(line)
    kept, older = record_inventory("csv", lines, as_of) if lines else (0, 0)
    return kept, older, problems


_COLUMNS = {
    "receipt": ("receipt", "receipt number", "ticket", "order", "order id", "transaction id"),
    "tag": ("tag", "package tag", "package label", "package", "metrc tag", "uid"),
    "quantity": ("quantity", "qty", "quantity sold"),
    "sold_at": ("sold at", "date", "sale date", "datetime", "completed at", "time"),
    "unit": ("unit", "uom", "unit of measure"),
    "amount": ("amount", "total", "price", "line total"),
}


def import_sales_csv(text: str) -> tuple[int, int, list[str]]:
    """Import a POS sales report; returns (new lines, repeated lines, problems by row).

    Column names are matched loosely (``Package Tag``, ``Qty``, ``Sale Date`` ...), because
    every POS names them differently; a row that cannot be read is reported, not guessed.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    headers = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    columns = {}
    for ours, names in _COLUMNS.items():
        columns[ours] = next((headers[n] for n in names if n in headers), None)
    missing = [k for k in ("receipt", "tag", "quantity", "sold_at") if columns[k] is None]
    if missing:
        return 0, 0, [f"The report has no column for {', '.join(missing)}."]
    new = repeated = 0
    problems = []
    for number, row in enumerate(reader, start=2):
        try:
            added = record_sale("csv", row[columns["receipt"]], row[columns["tag"]],
                                row[columns["quantity"]], row[columns["sold_at"]],
                                unit=row.get(columns["unit"]) if columns["unit"] else "Each",
                                amount=row.get(columns["amount"]) if columns["amount"] else None)
        except ValueError as exc:
            problems.append(f"Row {number}: {exc}.")
            continue
        new += added
        repeated += not added
    return new, repeated, problems

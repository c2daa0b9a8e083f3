"""Dutchie POS, read side: the store's sales (with returns and voids) and its stock now.

Facts the client follows (``shared/reference/pos.md``):

- HTTP Basic: the location's API key is the user name, the integrator key the password
  (empty for older keys). ``GET /whoami`` checks the key and is the one PascalCase answer.
- ``GET /reporting/transactions?FromDateUTC&ToDateUTC&IncludeDetail=true``: one row per sale
  or return, at most 60 days a call; ``isVoid`` sales do not count as sold; a return is a
  transaction of its own (``isReturn``) of the units brought back.
- ``GET /reporting/inventory?Skip&Take`` (``Take`` at most 5000): one row per package, its
  ``packageId`` the Metrc tag. The plain ``/inventory`` answers empty and is not used.
- A list comes back bare or as an object holding one array: both are read.
- Reporting calls: 60 a minute per key. The client keeps under that itself; a 429 is waited
  out for its ``Retry-After``; a server error or a dropped answer is retried after 1, 2, 4
  and 8 seconds (these are reads: asking again is safe), then reported.

Sales are stored in ``PosSale``, the same records the webhook and the CSV import fill, so
reconciliation reads them the same way whatever the POS. The kiosk sends nothing to Dutchie
(``sends = False``): its stock messages wait, visible, like a store's without a POS link.
"""

from __future__ import annotations

import collections
import datetime as dt
import time
from decimal import Decimal

import requests

from kiosk.db import write
from kiosk.models import Package
from kiosk.sync import pos
from kiosk.sync.metrc import Ambiguous, NotSent, RateLimited, Refused, retry_after, send

WINDOW_MAX = dt.timedelta(days=60)  # Dutchie's longest transactions window
TAKE = 5000  # inventory rows per page (Dutchie's most)
REPORTING_PER_MINUTE = 60
BACKOFF = (1, 2, 4, 8)  # seconds before the 2nd..5th try after a failure without Retry-After


def _rows(body) -> list:
    """A list answer, bare or as an object holding one array."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        arrays = [v for v in body.values() if isinstance(v, list)]
        if len(arrays) == 1:
            return arrays[0]
    raise Ambiguous("Dutchie answered something that is not a list.")


def utc_text(value: dt.datetime) -> str:
    """A naive-UTC time as Dutchie's ``…DateUTC`` parameters take it."""
    return value.replace(microsecond=0).isoformat() + "Z"


def _utc(value) -> dt.datetime:
    """``transactionDate``: UTC, with or without a ``Z``."""
    parsed = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


class Limiter:
    """At most ``per_minute`` calls in any 60 seconds: waits (``sleep``) before the one
    that would go over, instead of drawing a 429."""

    def __init__(self, per_minute: int, sleep=time.sleep, monotonic=time.monotonic):
        self.per_minute, self.sleep, self.monotonic = per_minute, sleep, monotonic
        self.sent: collections.deque[float] = collections.deque()

    def wait(self) -> float:
        """Wait until a call may go; returns the seconds waited."""
        now = self.monotonic()
        while self.sent and now - self.sent[0] >= 60:
            self.sent.popleft()
        waited = 0.0
        if len(self.sent) >= self.per_minute:
            waited = 60 - (now - self.sent[0])
            self.sleep(waited)
            self.sent.popleft()
            now = self.monotonic()
        self.sent.append(now)
        return waited


class DutchiePos(pos._StoredPulls):
    """One Dutchie location (one API key)."""

    name = "dutchie"
    sends = False  # read side only: the worker sends it no stock messages

    def __init__(self, base_url: str, location_key: str, integrator_key: str = "",
                 timeout: float = 15.0, session: requests.Session | None = None,
                 per_minute: int = REPORTING_PER_MINUTE, sleep=time.sleep,
                 monotonic=time.monotonic):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.auth = (location_key, integrator_key or "")
        self.sleep = sleep
        self.reporting = Limiter(per_minute, sleep, monotonic)
        self.waits: list[float] = []  # seconds waited after failures, for the record

    @classmethod
    def from_settings(cls, settings: dict) -> DutchiePos:
        return cls(str(settings["pos"]).removeprefix("dutchie+"),
                   str(settings.get("pos_location_key") or ""),
                   str(settings.get("pos_integrator_key") or ""),
                   timeout=float(settings.get("metrc_timeout", 15)))

    def push(self, kind: str, payload: dict, key: str) -> None:
        raise Refused("The Dutchie link only reads sales and stock; change this in Dutchie "
                      "itself, then resolve the message.", 405)

    # -- transport -------------------------------------------------------------------------
    def get(self, path: str, params: dict | None = None):
        """One GET, retried as the module docstring says; the decoded JSON."""
        for attempt in range(len(BACKOFF) + 1):
            if path.startswith("/reporting/"):
                self.reporting.wait()
            try:
                response = send(self.session, "GET", self.base_url + path, who="Dutchie",
                                whom="Dutchie", timeout=self.timeout, params=params or {})
            except (NotSent, Ambiguous) as exc:
                self._again(attempt, exc)
                continue
            status = response.status_code
            if status < 300:
                try:
                    return response.json() if response.content else None
                except ValueError:
                    self._again(attempt, Ambiguous("Dutchie's answer was cut short."))
                    continue
            if status == 429:
                wait = retry_after(response)
                self._again(attempt, RateLimited("Dutchie asked us to slow down.", wait), wait)
                continue
            if status >= 500 or status == 408:
                self._again(attempt, Ambiguous(f"Dutchie had a server error ({status})."))
                continue
            raise self._refusal(response)
        raise AssertionError("unreachable")  # _again raises on the last attempt

    def _again(self, attempt: int, exc: Exception, wait: float | None = None) -> None:
        if attempt >= len(BACKOFF):
            raise exc
        wait = wait or BACKOFF[attempt]
        self.waits.append(wait)
        self.sleep(wait)

    @staticmethod
    def _refusal(response: requests.Response) -> Refused:
        try:
            body = response.json()
            text = str(body.get("message") or body.get("Message") or "") if isinstance(
                body, dict) else str(body)
        except ValueError:
            text = response.text.strip()[:200]
        if response.status_code in (401, 403):
            return Refused("Dutchie refused the location key (HTTP "
                           f"{response.status_code}): check KIOSK_POS_LOCATION_KEY and "
                           "KIOSK_POS_INTEGRATOR_KEY.", response.status_code, text=text)
        return Refused(f"Dutchie refused this ({response.status_code}): {text}",
                       response.status_code, text=text)

    # -- reads -------------------------------------------------------------------------------
    def whoami(self) -> dict:
        """``{"LocationName", "LocationId", "CompanyName", "CompanyId"}`` for the key."""
        return self.get("/whoami")

    def transactions(self, start: dt.datetime, end: dt.datetime) -> list[dict]:
        """Every transaction (sales, returns, voided sales) in [start, end), with its items,
        in windows of at most 60 days."""
        found, lo = [], start
        while lo < end:
            hi = min(end, lo + WINDOW_MAX)
            found += _rows(self.get("/reporting/transactions", {
                "FromDateUTC": utc_text(lo), "ToDateUTC": utc_text(hi),
                "IncludeDetail": "true"}))
            lo = hi
        return found

    def inventory(self, take: int = TAKE) -> list[dict]:
        """The store's stock now, one row per package, page by page."""
        rows, skip = [], 0
        while True:
            page = _rows(self.get("/reporting/inventory", {"Skip": skip, "Take": take}))
            rows += page
            if len(page) < take:
                return rows
            skip += take

    # -- what the kiosk keeps -------------------------------------------------------------------
    def sale_lines(self, start: dt.datetime, end: dt.datetime) -> list[dict]:
        """The transactions in [start, end) as sale lines, one per transaction and package:
        ``receipt, tag, quantity, amount, sold_at, kind`` (sale, return or void). Quantities
        are in the package's own unit, as the POS sells it."""
        lines = {}
        for row in self.transactions(start, end):
            kind = "void" if row.get("isVoid") else "return" if row.get("isReturn") else "sale"
            receipt = str(row.get("transactionId") or "").strip()
            sold_at = _utc(row.get("transactionDate"))
            for item in row.get("items") or []:
                tag = str(item.get("packageId") or "").strip().upper()
                if not tag or not receipt:
                    continue
                key = (receipt, tag)
                quantity = abs(Decimal(str(item.get("quantity") or 0)))
                amount = Decimal(str(item.get("totalPrice") or 0))
                if key in lines:  # the same package twice in one cart
                    lines[key]["quantity"] += quantity
                    lines[key]["amount"] += amount
                    continue
                # Dutchie names a weighed product's unit; the rest are counted.
                weighed = str(item.get("unitWeightUnit") or "").lower() in ("g", "grams")
                lines[key] = {"receipt": receipt, "tag": tag, "quantity": quantity,
                              "amount": amount, "sold_at": sold_at, "kind": kind,
                              "unit": "Grams" if weighed else "Each"}
        return list(lines.values())

    def pull_sales(self, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
        """Store the sales of [start, end) as ``PosSale`` lines (a sale voided since the last
        pull becomes a void); returns (new lines, lines seen before). Raises a MetrcError
        subclass (NotSent, Ambiguous, RateLimited, Refused) when Dutchie fails, storing
        nothing."""
        lines = self.sale_lines(start, end)
        units = _units({line["tag"] for line in lines})
        new = 0
        with write():
            for line in lines:
                new += pos.record_sale("dutchie", line["receipt"], line["tag"], line["quantity"],
                                       line["sold_at"].isoformat() + "+00:00",
                                       unit=units.get(line["tag"], line["unit"]),
                                       amount=line["amount"], kind=line["kind"])
        return new, len(lines) - new

    def inventory_snapshot(self) -> list[dict]:
        """What Dutchie holds now, per package tag: ``tag, quantity, unit, room, item`` (for
        the count's "POS" figure)."""
        snapshot = []
        for row in self.inventory():
            tag = str(row.get("packageId") or "").strip().upper()
            if len(tag) != 24:
                continue
            snapshot.append({"tag": tag, "quantity": Decimal(str(row.get("quantityAvailable")
                                                                  or 0)),
                             "unit": row.get("quantityUnits") or "Each",
                             "room": str(row.get("room") or row.get("roomId") or ""),
                             "item": row.get("productName") or ""})
        return snapshot


def _units(tags: set[str]) -> dict[str, str]:
    """The unit of each of our packages among ``tags`` (Grams, Each ...)."""
    found, tags = {}, sorted(tags)
    for start in range(0, len(tags), 500):
        found.update(Package.select(Package.tag, Package.unit)
                     .where(Package.tag.in_(tags[start:start + 500])).tuples())
    return found

"""The Metrc v2 client: one method per call the kiosk makes, and errors sorted by what to do.

Basic auth (vendor key as user name, user key as password), ``licenseNumber`` on every
facility call, paging with ``pageSize`` at most 20, both ``lastModifiedStart`` and
``lastModifiedEnd`` on list calls (Metrc returns a subset without them), PascalCase bodies
always sent as arrays. Failures come back as one of four exceptions, because each means a
different thing to the worker:

- ``NotSent``: the request never reached Metrc (connection refused, connect timeout): retry.
- ``Ambiguous``: it may have been applied (read timeout, reset, 5xx with its ``status``): look
  up, then retry.
- ``RateLimited``: 429; wait ``retry_after`` seconds.
- ``Refused``: a permanent 4xx; ``rows`` maps request rows to Metrc's messages.
"""

from __future__ import annotations

import datetime as dt
import time

import requests

from kiosk.words import Known, Number, _, kept_forms

PAGE_SIZE = 20  # Metrc's maximum
# Seconds to wait for a probe, or for one page of a patient read: a small read that Metrc
# has not answered by then is asked again rather than waited on for the full timeout.
SHORT_TIMEOUT = 5.0
PAGE_TRIES, PAGE_PAUSE, PAGE_WAIT_MAX = 5, 0.25, 5.0  # a patient read's tries and waits (s)
WRITE_BATCH = 10  # objects per write request (Metrc answers 413 above this)


class MetrcError(Exception):
    """Base class; ``str(exc)`` is a sentence a manager can read."""


class NotSent(MetrcError):
    pass


class Ambiguous(MetrcError):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status  # the HTTP status of a server error; None: no answer at all


class RateLimited(MetrcError):
    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


# Why a call failed, as the message's last error keeps it (in English); the sync screen says
# it again in the reader's language (``Known``).
NO_ANSWER_CONNECTING = _("{who} did not answer in time (connecting).")
REFUSED_CONNECTION = _("{who} could not be reached (connection refused).")
BROKE = _("The connection to {whom} broke before it answered.")
NO_ANSWER_WITHIN = _("{who} did not answer within {seconds} seconds.")
SLOW_DOWN = _("Metrc asked us to slow down (too many requests).")
REFUSED = _("Metrc refused this ({status}): {text}")
kept_forms(NO_ANSWER_CONNECTING, REFUSED_CONNECTION, BROKE, NO_ANSWER_WITHIN, SLOW_DOWN, REFUSED)


def send(session: requests.Session, method: str, url: str, *, who: str, whom: str,
         timeout: float, **kw) -> requests.Response:
    """One HTTP call to Metrc or the POS; a failure to get any answer becomes NotSent (it
    surely did not arrive) or Ambiguous (it may have). ``who``/``whom`` name the other side
    at the start and in the middle of a sentence ("The POS", "the POS")."""
    try:
        return session.request(method, url, timeout=timeout, **kw)
    except requests.ConnectTimeout:
        raise NotSent(_("{who} did not answer in time (connecting).", who=Known(who))) from None
    except requests.ConnectionError as exc:
        if "NewConnectionError" in repr(exc) or "Connection refused" in str(exc):
            raise NotSent(_("{who} could not be reached (connection refused).",
                            who=Known(who))) from None
        raise Ambiguous(_("The connection to {whom} broke before it answered.",
                          whom=Known(whom))) from None
    except requests.Timeout:
        raise Ambiguous(_("{who} did not answer within {seconds} seconds.", who=Known(who),
                          seconds=Number(timeout, f"{timeout:g}"))) from None


def retry_after(response: requests.Response) -> float:
    """The seconds a 429 answer asks us to wait (0 when it does not say)."""
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return 0.0


class Refused(MetrcError):
    def __init__(self, message: str, status: int, rows: dict[int, str] | None = None,
                 text: str = ""):
        super().__init__(message)
        self.status = status
        self.rows = rows or {}  # request row -> Metrc's message for it
        self.text = text or message  # Metrc's own words, without our preamble


def iso(value: dt.datetime) -> str:
    """A naive-UTC time as Metrc's query format, ``2026-11-23T09:00:00Z``."""
    return value.replace(microsecond=0).isoformat() + "Z"


def _error_text(response: requests.Response) -> tuple[str, dict[int, str]]:
    """Metrc's two error shapes: ``{"Message"}`` and ``[{"row", "message"}]``."""
    try:
        body = response.json()
    except ValueError:
        return (response.text.strip()[:300] or response.reason or ""), {}
    if isinstance(body, list):
        rows = {}
        for entry in body:
            if isinstance(entry, dict):
                message = entry.get("message") or entry.get("Message") or ""
                rows[int(entry.get("row", entry.get("Row", 0)) or 0)] = message
        return "; ".join(rows.values()), rows
    if isinstance(body, dict):
        return str(body.get("Message") or body.get("message") or ""), {}
    return str(body), {}


class MetrcClient:
    """Talks to one Metrc server for one facility licence."""

    def __init__(self, base_url: str, vendor_key: str, user_key: str, license: str,
                 timeout: float = 15.0, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.license = license
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.auth = (vendor_key, user_key)
        self.requests_sent = 0

    @classmethod
    def from_settings(cls, settings: dict) -> MetrcClient:
        return cls(settings["metrc_url"], settings["metrc_vendor_key"],
                   settings["metrc_user_key"], settings["license"],
                   timeout=float(settings.get("metrc_timeout", 15)))

    # -- transport -----------------------------------------------------------------------
    def request(self, method: str, path: str, params: dict | None = None, body=None,
                licensed: bool = True, timeout: float | None = None):
        """One HTTP call; returns the decoded JSON (or None) or raises a MetrcError."""
        params = dict(params or {})
        if licensed:
            params["licenseNumber"] = self.license
        self.requests_sent += 1
        response = send(self.session, method, self.base_url + path, who="Metrc", whom="Metrc",
                        timeout=timeout or self.timeout, params=params,
                        json=body if body is not None else None)
        status = response.status_code
        if status < 300:
            return response.json() if response.content else None
        text, rows = _error_text(response)
        if status == 429:
            raise RateLimited(_("Metrc asked us to slow down (too many requests)."),
                              retry_after(response))
        if status >= 500 or status == 408:
            said = f": {text.rstrip('.')}" if text else ""
            raise Ambiguous(f"Metrc had a server error ({status}){said}.", status)
        if status == 401:
            text = text or "the keys were not accepted, or the record is not this licence's"
        elif status == 403:
            text = text or "the Metrc user lacks the permission for this"
        text = text or response.reason
        raise Refused(_("Metrc refused this ({status}): {text}", status=str(status), text=text),
                      status, rows, text)

    def pages(self, path: str, params: dict | None = None, licensed: bool = True,
              patient: bool = False):
        """Every row of a paged v2 list, 20 at a time. ``patient``: a page that fails is
        asked for again (``PAGE_TRIES`` times in all) instead of failing the whole list,
        for long lists read while Metrc is flaky (a look-up before a re-send)."""
        number = 1
        while True:
            query = {**(params or {}), "pageNumber": number, "pageSize": PAGE_SIZE}
            page = (self._patiently(path, query, licensed) if patient
                    else self.request("GET", path, query, licensed=licensed))
            if isinstance(page, list):  # the small lookups answer a bare array
                yield from page
                return
            yield from page.get("Data") or []
            if number >= int(page.get("TotalPages") or 1):
                return
            number += 1

    def _patiently(self, path: str, query: dict, licensed: bool):
        for attempt in range(PAGE_TRIES):
            try:
                return self.request("GET", path, query, licensed=licensed,
                                    timeout=min(self.timeout, SHORT_TIMEOUT))
            except (NotSent, Ambiguous, RateLimited) as exc:
                wait = getattr(exc, "retry_after", 0) or PAGE_PAUSE * 2 ** attempt
                if attempt == PAGE_TRIES - 1 or wait > PAGE_WAIT_MAX:
                    raise
                time.sleep(wait)
        raise AssertionError("unreachable")

    def windowed(self, path: str, start: dt.datetime, end: dt.datetime, **params):
        """A list call with both bounds of the last-modified window (Metrc needs both)."""
        return self.pages(path, {**params, "lastModifiedStart": iso(start),
                                 "lastModifiedEnd": iso(end)})

    # -- reads ---------------------------------------------------------------------------
    def incoming_transfers(self, start: dt.datetime, end: dt.datetime):
        return self.windowed("/transfers/v2/incoming", start, end)

    def outgoing_transfers(self, start: dt.datetime, end: dt.datetime):
        return self.windowed("/transfers/v2/outgoing", start, end)

    def transfer_deliveries(self, transfer_id: int):
        return self.pages(f"/transfers/v2/{transfer_id}/deliveries", licensed=False)

    def delivery_packages(self, delivery_id: int):
        return self.pages(f"/transfers/v2/deliveries/{delivery_id}/packages", licensed=False)

    def lab_results(self, package_id: int):
        return self.pages("/labtests/v2/results", {"packageId": package_id})

    def packages(self, which: str, start: dt.datetime, end: dt.datetime):
        """``which`` is active, onhold or inactive."""
        if which not in ("active", "onhold", "inactive"):
            raise ValueError(which)
        return self.windowed(f"/packages/v2/{which}", start, end)

    def package(self, label: str) -> dict:
        return self.request("GET", f"/packages/v2/{label}")

    def adjust_reasons(self):
        return self.pages("/packages/v2/adjust/reasons")

    def adjustments(self):
        """The facility's adjustment history (long: read patiently)."""
        return self.pages("/packages/v2/adjustments", patient=True)

    def receipts(self, which: str, start: dt.datetime, end: dt.datetime):
        """Sales receipts for reconciliation; ``which`` is active or inactive."""
        return self.windowed(f"/sales/v2/receipts/{which}", start, end)

    def receipt_by_external(self, number: str) -> dict | None:
        try:
            return self.request("GET", f"/sales/v2/receipts/external/{number}")
        except Refused as exc:
            if exc.status == 404:
                return None
            raise

    def locations(self, start: dt.datetime, end: dt.datetime):
        return self.windowed("/locations/v2/active", start, end)

    def items(self, start: dt.datetime, end: dt.datetime):
        return self.windowed("/items/v2/active", start, end)

    def units_of_measure(self):
        return self.request("GET", "/unitsofmeasure/v2/active", licensed=False)

    def probe(self) -> None:
        """Whether Metrc answers again: its smallest read (the units of measure, a few rows
        and no licence), with a short timeout. Raises a MetrcError when it does not."""
        self.request("GET", "/unitsofmeasure/v2/active", licensed=False,
                     timeout=min(self.timeout, SHORT_TIMEOUT))

    def employees(self):
        return self.pages("/employees/v2")

    # -- writes (each takes at most WRITE_BATCH objects) -----------------------------------
    def _write(self, method: str, path: str, objects: list[dict]):
        if not 1 <= len(objects) <= WRITE_BATCH:
            raise ValueError(f"a write takes 1 to {WRITE_BATCH} objects, not {len(objects)}")
        return self.request(method, path, body=list(objects))

    def move_packages(self, objects):
        """``[{Label, Location, MoveDate}]``; a PUT, safe to repeat."""
        return self._write("PUT", "/packages/v2/location", objects)

    def set_notes(self, objects):
        """``[{PackageLabel, Note}]``; a PUT, safe to repeat."""
        return self._write("PUT", "/packages/v2/note", objects)

    def adjust_packages(self, objects):
        """``[{Label, Quantity, UnitOfMeasure, AdjustmentReason, AdjustmentDate, ReasonNote}]``;
        a POST: not idempotent, look up before repeating."""
        return self._write("POST", "/packages/v2/adjust", objects)

    def finish_packages(self, objects):
        """``[{Label, ActualDate}]``."""
        return self._write("PUT", "/packages/v2/finish", objects)

    def unfinish_packages(self, objects):
        """``[{Label}]``."""
        return self._write("PUT", "/packages/v2/unfinish", objects)

    def create_receipts(self, objects):
        """Sales receipts; each carries our ``ExternalReceiptNumber`` for look-up."""
        return self._write("POST", "/sales/v2/receipts", objects)

    def update_receipts(self, objects):
        """Receipts as they should stand (``Id`` and every transaction); a PUT, safe to
        repeat."""
        return self._write("PUT", "/sales/v2/receipts", objects)

    def void_receipts(self, objects):
        """``[{Id}]``: void each receipt (Metrc archives it); one DELETE per receipt."""
        if not 1 <= len(objects) <= WRITE_BATCH:
            raise ValueError(f"a write takes 1 to {WRITE_BATCH} objects, not {len(objects)}")
        for obj in objects:
            self.request("DELETE", f"/sales/v2/receipts/{int(obj['Id'])}")

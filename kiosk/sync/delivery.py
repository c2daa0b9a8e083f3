"""Turning claimed outbox messages into Metrc calls and recording the outcome of each.

Writes of one kind are sent together, at most ten objects a request (Metrc's limit). A
refused request names the rows Metrc objected to: those messages are parked for a person with
Metrc's own words, and the others go back to the queue at once (Metrc applies a request all
or nothing). Before re-sending a POST whose earlier attempt may have landed, the message is
looked up: adjustments in Metrc's adjustment history, sales receipts by their
``ExternalReceiptNumber`` (our message key). PUTs (location, note, finish) are safe to repeat.

When Metrc fails as a whole (5xx, no answer, 429, refused connection) the messages go back
to the queue due at once, and ``TargetUnavailable`` tells the worker, which pauses Metrc by
the kind of failure (``pauses``). A write whose answer never came waits as long as the
client's timeout before it is looked up or sent again: a request we stopped waiting for may
still land, and must land before anything later for that package is sent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from kiosk import clock
from kiosk.models import OutboxMessage
from kiosk.sync import outbox, pauses, readback, return_readback
from kiosk.sync.metrc import (
    WRITE_BATCH,
    Ambiguous,
    MetrcClient,
    MetrcError,
    NotSent,
    RateLimited,
    Refused,
)


class TargetUnavailable(Exception):
    """The target cannot take anything now; the worker pauses it by ``kind`` (``pauses``)."""

    def __init__(self, message: str, kind: str, retry_after: float = 0.0,
                 status: int | None = None):
        super().__init__(message)
        self.kind, self.retry_after, self.status = kind, retry_after, status

    @classmethod
    def of(cls, exc: MetrcError) -> TargetUnavailable:
        return cls(str(exc), pauses.kind_of(exc) or pauses.SERVER_ERROR,
                   getattr(exc, "retry_after", 0.0), getattr(exc, "status", None))


def _signature(obj: dict) -> tuple:
    """What identifies an adjustment in Metrc's history (it has no id of ours)."""
    return (obj.get("Label") or obj.get("PackageLabel"),
            round(float(obj.get("Quantity", obj.get("AdjustmentQuantity", 0))), 4),
            obj.get("AdjustmentReason") or obj.get("AdjustmentReasonName"),
            str(obj.get("AdjustmentDate"))[:10],
            (obj.get("ReasonNote") or obj.get("AdjustmentNote") or "").strip())


def _day(message) -> str:
    value = message.payload.get("date")
    return str(value)[:10] if value else clock.store_date(message.created_at).isoformat()


def _location(m):
    return {"Label": m.payload["tag"], "Location": m.payload["location_name"],
            "MoveDate": _day(m)}


def _note(m):
    return {"PackageLabel": m.payload["tag"], "Note": m.payload.get("note") or ""}


def _adjust(m):
    note = (m.payload.get("note") or "").strip()
    return {"Label": m.payload["tag"], "Quantity": float(Decimal(str(m.payload["quantity"]))),
            "UnitOfMeasure": m.payload.get("unit") or "Each",
            "AdjustmentReason": m.payload["reason"], "AdjustmentDate": _day(m),
            "ReasonNote": note or None}


def _finish(m):
    return {"Label": m.payload["tag"], "ActualDate": _day(m)}


def _unfinish(m):
    return {"Label": m.payload["tag"]}


def _receipt(m, number=None):
    return {"SalesDateTime": m.payload["sold_at"],
            "ExternalReceiptNumber": m.external_key if number is None else number,
            "SalesCustomerType": m.payload.get("customer_type") or "Consumer",
            "Transactions": [{"PackageLabel": line["tag"], "Quantity": float(line["quantity"]),
                              "UnitOfMeasure": line.get("unit") or "Each",
                              "TotalAmount": float(line.get("amount") or 0)}
                             for line in m.payload["lines"]]}


def _receipt_update(m):
    """A receipt Metrc holds, with its transactions as they should stand."""
    return {"Id": int(m.payload["receipt_id"]),
            **_receipt(m, m.payload.get("external_number") or None)}


def _receipt_void(m):
    return {"Id": int(m.payload["receipt_id"])}


# kind -> (build one object, client method name, is a POST that must be looked up)
WRITES = {
    "package.location": (_location, "move_packages", False),
    "package.note": (_note, "set_notes", False),
    "package.adjust": (_adjust, "adjust_packages", True),
    "package.finish": (_finish, "finish_packages", False),
    "package.unfinish": (_unfinish, "unfinish_packages", False),
    "sale.receipt": (_receipt, "create_receipts", True),
    "sale.receipt.update": (_receipt_update, "update_receipts", False),
    "sale.receipt.void": (_receipt_void, "void_receipts", False),
}
READS = {"transfer.received": readback.check, "transfer.returned": return_readback.check}
METRC_KINDS = tuple(WRITES) + tuple(READS)


def deliver_metrc(client: MetrcClient, messages: list,
                  may_send: Callable[[], bool] | None = None) -> None:
    """Send claimed Metrc messages; raises TargetUnavailable when Metrc is down or busy
    (every message not yet settled is put back first). ``may_send`` is asked before each
    request: a worker that may have been judged dead stops and hands back the rest."""
    by_kind = defaultdict(list)
    for message in messages:
        by_kind[message.kind].append(message)
    pending = list(messages)
    try:
        for kind, group in by_kind.items():
            if may_send is not None and not may_send():
                outbox.release([m for m in pending if m.status == "sending"])
                return
            if kind in READS:
                for message in group:
                    _readback(client, message, READS[kind])
                    pending.remove(message)
                continue
            if kind not in WRITES:
                for message in group:
                    outbox.needs_attention(message, f"The syncer does not know how to send "
                                                    f"'{kind}' to Metrc.")
                    pending.remove(message)
                continue
            group = _looked_up(client, kind, group, pending)
            for start in range(0, len(group), WRITE_BATCH):
                chunk = group[start:start + WRITE_BATCH]
                if may_send is not None and not may_send():
                    outbox.release([m for m in pending if m.status == "sending"])
                    return
                _send(client, kind, chunk)
                for message in chunk:
                    pending.remove(message)
    except TargetUnavailable:
        # Whatever this round did not reach goes back untouched: it was never sent.
        outbox.release([m for m in pending if m.status == "sending"])
        raise


def _objects(kind, chunk) -> tuple[list, list]:
    build = WRITES[kind][0]
    good, objects = [], []
    for message in chunk:
        try:
            objects.append(build(message))
            good.append(message)
        except (KeyError, TypeError, ValueError) as exc:
            outbox.needs_attention(message, f"This message cannot be sent: its data lacks or "
                                            f"garbles {exc}.")
    return good, objects


def _send(client: MetrcClient, kind: str, chunk: list) -> None:
    chunk, objects = _objects(kind, chunk)
    if not chunk:
        return
    try:
        getattr(client, WRITES[kind][1])(objects)
    except (NotSent, RateLimited) as exc:
        _unavailable(chunk, exc, outbox.not_sent)
    except Ambiguous as exc:
        # An answer lost on the way may still be followed by the write landing: wait the
        # grace. A 5xx is Metrc done with it, applied or not. Either way a POST is looked up
        # before it is sent again.
        _unavailable(chunk, exc, outbox.ambiguous, wait=0.0 if exc.status else client.timeout)
    except Refused as exc:
        _refused(client, kind, chunk, exc)
    else:
        outbox.delivered(chunk, clock.now())


def _unavailable(chunk, exc: MetrcError, record, wait: float = 0.0) -> None:
    """Metrc failed as a whole: the messages are due again ``wait`` seconds from now (a lost
    answer's grace, counted from when we gave up on it) and the worker pauses Metrc by the
    kind of failure."""
    record(chunk, str(exc), clock.now(), wait=wait)
    raise TargetUnavailable.of(exc) from None


def _refused(client, kind, chunk, exc: Refused) -> None:
    if pauses.kind_of(exc) == pauses.KEYS:
        # Keys or permissions: nothing will go through until someone fixes the account.
        _unavailable(chunk, exc, outbox.not_sent)
    blamed = {row: text for row, text in exc.rows.items() if 0 <= row < len(chunk)}
    if not blamed or exc.status == 413:
        if len(chunk) > 1:
            for message in chunk:  # find the one Metrc objects to by sending each alone
                _send(client, kind, [message])
            return
        blamed = {0: f"{exc.text} (HTTP {exc.status})"}
    for row, message in enumerate(chunk):
        if row in blamed:
            tag = message.payload.get("tag", "")
            outbox.needs_attention(message, f"Metrc refused this{' for ' + tag if tag else ''}:"
                                            f" {blamed[row]}")
    rest = [m for row, m in enumerate(chunk) if row not in blamed]
    # Metrc applied none of the request; the others were fine and go again straight away.
    outbox.not_sent(rest, "", clock.now(), wait=0)


def _looked_up(client: MetrcClient, kind: str, group: list, pending: list) -> list:
    """Drop from ``group`` the messages Metrc already has (an earlier attempt landed)."""
    suspects = [m for m in group if getattr(m, "needs_lookup", False) and WRITES[kind][2]]
    if not suspects:
        return group
    try:
        if kind == "sale.receipt":
            found = {m.id for m in suspects if client.receipt_by_external(m.external_key)}
        else:
            found = _adjustments_found(client, suspects)
    except (NotSent, RateLimited, Ambiguous) as exc:  # still unknown: keep them marked
        _unavailable(suspects, exc, outbox.ambiguous)
    except Refused as exc:
        if pauses.kind_of(exc) == pauses.KEYS:
            _unavailable(suspects, exc, outbox.ambiguous)
        for message in suspects:  # never re-sent blind: a person checks Metrc
            outbox.needs_attention(message, f"Metrc refused the look-up of this, so it is not "
                                            f"sent again unchecked: {exc}")
            pending.remove(message)
        return [m for m in group if m.id not in {s.id for s in suspects}]
    done = [m for m in suspects if m.id in found]
    outbox.delivered(done, clock.now())
    for message in done:
        pending.remove(message)
    return [m for m in group if m.id not in found]


def _adjustments_found(client: MetrcClient, suspects: list) -> set[int]:
    """Which suspect adjustments Metrc already holds.

    Metrc's adjustment history carries no key of ours, so an adjustment is recognised by its
    package, quantity, reason, date and note. Identical adjustments are told apart by
    counting: Metrc holding more copies than we have delivered means ours landed. One
    message per package is in flight at a time, so the count is never raced by our own
    sending.
    """
    wanted = defaultdict(list)
    for message in suspects:
        wanted[_signature(_adjust(message))].append(message)
    in_metrc = defaultdict(int)
    seen = set()
    for row in client.adjustments():
        # Pages shift while adjustments are added meanwhile: a row read twice counts once.
        if row.get("Id") is not None:
            if row["Id"] in seen:
                continue
            seen.add(row["Id"])
        sig = _signature(row)
        if sig in wanted:
            in_metrc[sig] += 1
    found = set()
    for sig, messages in wanted.items():
        earlier = OutboxMessage.select().where(
            OutboxMessage.kind == "package.adjust", OutboxMessage.ordering_key == sig[0],
            OutboxMessage.status == "delivered")
        ours = sum(1 for m in earlier if _signature(_adjust(m)) == sig)
        extra = in_metrc[sig] - ours
        for message in messages[:max(extra, 0)]:
            found.add(message.id)
    return found


def _readback(client: MetrcClient, message, check=readback.check) -> None:
    try:
        finished, text = check(client, message)
    except (NotSent, Ambiguous, RateLimited) as exc:  # a read: nothing to look up afterwards
        _unavailable([message], exc, outbox.not_sent)
    except Refused as exc:
        outbox.needs_attention(message, f"Metrc refused the read-back: {exc}")
        return
    except (KeyError, ValueError) as exc:
        outbox.needs_attention(message, f"This manifest cannot be read back: {exc}.")
        return
    if finished:
        outbox.delivered([message], clock.now())
    else:
        # Waiting for a person to receive the manifest in Metrc's own screen: check again
        # every few minutes; the message stays visible with this sentence meanwhile.
        outbox.not_sent([message], text, clock.now(),
                        wait=min(900, outbox.backoff(message.attempts)))

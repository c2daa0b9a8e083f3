"""What each undelivered message is and why it waits, in words, for the sync screen.

Nothing waits silently: each message still to send says what holds it (an earlier message
for the same package, Metrc's rate limit, an outage being probed, a look-up after a lost
answer, a person) and when it goes next, on the store's clock. A target that is switched
off (no POS link, no state system) holds its messages as "not sent", apart from the backlog.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from kiosk import clock
from kiosk.models import OutboxMessage
from kiosk.sync import outbox, pauses
from kiosk.sync.delivery import WRITES

NAMES = {"metrc": "Metrc", "pos": "the POS"}
KINDS = {
    "package.location": "Location", "package.note": "Note", "package.adjust": "Adjustment",
    "package.finish": "Finish", "package.unfinish": "Unfinish",
    "sale.receipt": "Sales receipt", "transfer.received": "Read-back of the received",
    "transfer.returned": "Read-back of the returned",
    "stock.received": "Stock received", "stock.moved": "Stock moved", "stock.hold": "Hold",
    "stock.release": "Release", "stock.adjusted": "Stock adjusted",
}


def switched_off(settings: dict) -> dict[str, str]:
    """The targets this store does not send to, each with the sentence the screen shows."""
    off = {}
    if settings.get("state_system", "metrc") != "metrc":
        off["metrc"] = (f"not sent: the state system is set to {settings.get('state_system')} "
                        "(KIOSK_STATE_SYSTEM)")
    link = str(settings.get("pos") or "none")
    if link.startswith("dutchie+"):
        off["pos"] = ("not sent: the Dutchie link reads sales and stock only; stock changes are "
                      "made in Dutchie itself")
    elif not link.startswith("webhook+"):
        off["pos"] = "not sent: no POS configured (KIOSK_POS is none)"
    return off


def subject(message: OutboxMessage) -> str:
    """What the message is about: a package, a manifest (never called a transfer id), a
    receipt."""
    payload = message.payload or {}
    if message.kind in ("transfer.received", "transfer.returned"):
        return f"manifest {payload.get('manifest_number') or message.ordering_key}"
    if message.kind == "sale.receipt":
        return f"receipt {message.external_key}"
    tag = payload.get("tag") or message.ordering_key
    return f"package {tag}" if tag else ""


def describe(message: OutboxMessage) -> str:
    """``Location · package 1A40…`` (the target is said where it matters)."""
    what = KINDS.get(message.kind, message.kind)
    about = subject(message)
    if message.kind in ("transfer.received", "transfer.returned"):
        return f"{what} {about}"
    return f"{what} · {about}" if about else what


def _at(value: dt.datetime) -> str:
    return clock.local(value).strftime("%H:%M:%S")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def target_health(target: str, state: dict, off: dict[str, str],
                  now: dt.datetime | None = None) -> str:
    """One sentence on a target for the screen, from its ``outbox.summary`` entry."""
    if target in off:
        kept = state.get("waiting", 0)
        return _sentence(off[target]) + (f"; {kept} kept, not counted as waiting." if kept
                                         else ".")
    paused = pauses.describe(NAMES.get(target, target), state.get("pause"), now)
    if paused:
        return f"{_sentence(paused)}. Last error: {state.get('last_error', '')}"
    if state.get("ok"):
        return f"Working; last answer {_at(dt.datetime.fromisoformat(state['last_success']))}"
    if state.get("last_error"):
        since = _at(dt.datetime.fromisoformat(state["down_since"]))
        return f"Not answering since {since}: {state['last_error']}"
    return "No contact yet"


class Reasons:
    """Explains a set of messages against one reading of the queue and the targets."""

    def __init__(self, settings: dict, messages: list[OutboxMessage],
                 now: dt.datetime | None = None):
        self.now = now or clock.now()
        self.off = switched_off(settings)
        self.pause = {t: outbox.health(t).get("pause") for t in {m.target for m in messages}}
        self.ahead = self._first_ahead(messages)

    @staticmethod
    def _first_ahead(messages) -> dict[int, OutboxMessage]:
        """For each message, the earliest open message before it to the same target about
        the same package (or manifest), if any."""
        keys = {m.ordering_key for m in messages if m.ordering_key}
        if not keys:
            return {}
        earlier = defaultdict(list)
        for row in (OutboxMessage.select(OutboxMessage.id, OutboxMessage.target,
                                         OutboxMessage.ordering_key, OutboxMessage.kind)
                    .where(OutboxMessage.ordering_key.in_(sorted(keys)),
                           OutboxMessage.status.in_(outbox.OPEN))
                    .order_by(OutboxMessage.id)):
            earlier[(row.target, row.ordering_key)].append(row)
        ahead = {}
        for message in messages:
            rows = earlier.get((message.target, message.ordering_key), [])
            if rows and rows[0].id < message.id:
                ahead[message.id] = rows[0]
        return ahead

    def why(self, message: OutboxMessage) -> str:
        name = NAMES.get(message.target, message.target)
        if message.status == "attention":
            return f"needs a person: {message.last_error}"
        if message.target in self.off:
            return self.off[message.target]
        blocker = self.ahead.get(message.id)
        if blocker is not None:
            same = "manifest" if message.kind == "transfer.received" else "package"
            return f"waiting behind message {blocker.id} for the same {same}"
        if message.status == "sending":
            return f"being sent to {name} now"
        paused = pauses.describe(name, self.pause.get(message.target), self.now)
        if paused:
            return paused
        due = message.next_attempt_at
        if message.claimed_by is not None and due and due > self.now:
            earlier = ("its sync worker stopped while sending it"
                       if message.last_error == outbox.TAKEN_OVER
                       else f"{name} may have received an earlier try")
            if WRITES.get(message.kind, (None, None, False))[2]:
                return (f"{earlier}: it is looked up in {name} at {_at(due)} before it is "
                        "sent again")
            return f"{earlier}: sent again at {_at(due)} (safe to repeat)"
        if due and due > self.now:
            return (f"next try at {_at(due)}: {message.last_error}" if message.last_error
                    else f"next try at {_at(due)}")
        return "due now: it goes with the next round"

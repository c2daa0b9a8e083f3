"""What each undelivered message is and why it waits, in words, for the sync screen.

Nothing waits silently: each message still to send says what holds it (an earlier message
for the same package, Metrc's rate limit, an outage being probed, a look-up after a lost
answer, a person) and when it goes next, on the store's clock. A target that is switched
off (no POS link, no state system) holds its messages as "not sent", apart from the backlog.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from kiosk import clock, day_close
from kiosk.models import OutboxMessage
from kiosk.sync import outbox, pauses
from kiosk.sync.delivery import WRITES
from kiosk.words import Known, Phrase, _

NAMES = {"metrc": "Metrc", "pos": _("the POS")}
describe = day_close.what  # a message in words: "Location · package 1A40…"

# Words that may begin a sentence on the screen, each with its form there (its capital).
_STARTS = {
    _("the POS"): _("The POS"),
    _("not sent: the state system is set to {system} (KIOSK_STATE_SYSTEM)"):
        _("Not sent: the state system is set to {system} (KIOSK_STATE_SYSTEM)"),
    _("not sent: the Dutchie link reads sales and stock only; stock changes are made in "
      "Dutchie itself"):
        _("Not sent: the Dutchie link reads sales and stock only; stock changes are made in "
          "Dutchie itself"),
    _("not sent: no POS configured (KIOSK_POS is none)"):
        _("Not sent: no POS configured (KIOSK_POS is none)"),
    _("paused: {name} did not accept our keys ({status}); next try at {at}"):
        _("Paused: {name} did not accept our keys ({status}); next try at {at}"),
    _("paused: {what}; probing every {seconds} s"):
        _("Paused: {what}; probing every {seconds} s"),
}
_CAPITALS = {lower.message: upper.message for lower, upper in _STARTS.items()}
_FIRST = re.compile(r"\{(\w+)\}")


def _sentence(text):
    """``text`` beginning a sentence: a phrase in its capital form (the same in every
    language), plain text with its first letter capitalised."""
    if isinstance(text, Phrase) and type(text) is Phrase:
        if text.message in _CAPITALS:
            return Phrase(_CAPITALS[text.message], text.args)
        first = _FIRST.match(text.message)
        if first and first.group(1) in text.args:  # "{name} did not answer": its name first
            return Phrase(text.message, {**text.args,
                                         first.group(1): _sentence(text.args[first.group(1)])})
        return text
    text = str(text)
    return text[:1].upper() + text[1:]


def switched_off(settings: dict) -> dict[str, str]:
    """The targets this store does not send to, each with the sentence the screen shows."""
    off = {}
    if settings.get("state_system", "metrc") != "metrc":
        off["metrc"] = _("not sent: the state system is set to {system} (KIOSK_STATE_SYSTEM)",
                         system=str(settings.get("state_system")))
    link = str(settings.get("pos") or "none")
    if link.startswith("dutchie+"):
        off["pos"] = _("not sent: the Dutchie link reads sales and stock only; stock changes "
                       "are made in Dutchie itself")
    elif not link.startswith("webhook+"):
        off["pos"] = _("not sent: no POS configured (KIOSK_POS is none)")
    return off


def _at(value: dt.datetime) -> str:
    return clock.local(value).strftime("%H:%M:%S")


def target_health(target: str, state: dict, off: dict[str, str],
                  now: dt.datetime | None = None) -> str:
    """One sentence on a target for the screen, from its ``outbox.summary`` entry."""
    if target in off:
        kept = state.get("waiting", 0)
        if kept:
            return _("{why}; {count} kept, not counted as waiting.", why=_sentence(off[target]),
                     count=kept)
        return _("{why}.", why=_sentence(off[target]))
    paused = pauses.describe(NAMES.get(target, target), state.get("pause"), now)
    if paused:
        return _("{why}. Last error: {error}", why=_sentence(paused),
                 error=Known(state.get("last_error", "")))
    if state.get("ok"):
        return _("Working; last answer {at}",
                 at=_at(dt.datetime.fromisoformat(state["last_success"])))
    if state.get("last_error"):
        since = _at(dt.datetime.fromisoformat(state["down_since"]))
        return _("Not answering since {since}: {error}", since=since,
                 error=Known(state["last_error"]))
    return _("No contact yet")


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
        """Why ``message`` waits, in words (a phrase, said in the reader's language)."""
        name = NAMES.get(message.target, message.target)
        if message.status == "attention":
            return _("needs a person: {error}", error=Known(message.last_error or ""))
        if message.target in self.off:
            return self.off[message.target]
        blocker = self.ahead.get(message.id)
        if blocker is not None:
            if message.kind == "transfer.received":
                return _("waiting behind message {id} for the same manifest", id=str(blocker.id))
            return _("waiting behind message {id} for the same package", id=str(blocker.id))
        if message.status == "sending":
            return _("being sent to {name} now", name=name)
        paused = pauses.describe(name, self.pause.get(message.target), self.now)
        if paused:
            return paused
        due = message.next_attempt_at
        if message.claimed_by is not None and due and due > self.now:
            earlier = (_("its sync worker stopped while sending it")
                       if message.last_error == outbox.TAKEN_OVER
                       else _("{name} may have received an earlier try", name=name))
            if WRITES.get(message.kind, (None, None, False))[2]:
                return _("{earlier}: it is looked up in {name} at {at} before it is sent "
                         "again", earlier=earlier, name=name, at=_at(due))
            return _("{earlier}: sent again at {at} (safe to repeat)", earlier=earlier,
                     at=_at(due))
        if due and due > self.now:
            if message.last_error:
                return _("next try at {at}: {error}", at=_at(due),
                         error=Known(message.last_error))
            return _("next try at {at}", at=_at(due))
        return _("due now: it goes with the next round")

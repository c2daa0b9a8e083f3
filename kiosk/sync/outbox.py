"""Claiming outbox messages, recording what happened to them, and the figures the manager sees.

Rules, each for a reason:

- A message is claimable only when no earlier message to the same target with the same
  ordering key (the package tag) is still pending, sending or needing attention: Metrc rejects
  "adjust" before "receive", so per-package order is kept, and one parked message blocks only
  its own package at its own target. A POS that is down or switched off never holds back
  Metrc, nor Metrc the POS.
- Claims are taken in one write transaction: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
  several workers never take the same row; ``BEGIN IMMEDIATE`` on SQLite, its single writer.
  The claiming worker's heartbeat is written in the same transaction (``liveness``).
- ``claimed_by`` stays set after an attempt whose outcome is unknown (timeout, reset, a
  worker killed mid-request). The next claim sees it and the worker looks the message up
  before sending it again, because Metrc POSTs are not idempotent.
- A dead worker's messages are taken over as soon as it is known dead (``take_over``), not
  after a lease: they wait only until a request it may have left in flight has had time to
  land, and are then looked up before being sent again.
"""

from __future__ import annotations

import datetime as dt
import random

from peewee import fn

from kiosk import clock, ledger
from kiosk.db import connection, is_sqlite, write
from kiosk.models import OutboxMessage
from kiosk.models.sync import SyncState
from kiosk.sync import liveness
from kiosk.words import _

BACKOFF_BASE = 2.0  # seconds
BACKOFF_CAP = 300.0  # seconds: a message is retried at least every five minutes
OPEN = ("pending", "sending", "attention")
TAKEN_OVER = "The sync worker that was sending this stopped before it heard back."


def backoff(attempts: int, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Seconds to wait after ``attempts`` failures: capped exponential with jitter.

    Half the delay is fixed and half random ("equal jitter"), so retries spread out without
    ever retrying immediately. Used for what waits on a person (a manifest not yet received
    in Metrc); a target that fails is paused as a whole instead (``pauses``).
    """
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)


def claim(targets: tuple[str, ...], worker: str, limit: int = 50,
          now: dt.datetime | None = None,
          heartbeat: liveness.Heartbeat | None = None) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for ``targets``, oldest first, one per package and
    target.

    Each returned message has ``needs_lookup`` set when an earlier attempt may have reached
    the target.
    """
    now = now or clock.now()
    earlier = OutboxMessage.alias("earlier")
    blocked = (earlier.select(earlier.id)
               .where((earlier.ordering_key == OutboxMessage.ordering_key)
                      & (earlier.target == OutboxMessage.target)
                      & (earlier.id < OutboxMessage.id) & earlier.status.in_(OPEN)))
    query = (OutboxMessage.select()
             .where(OutboxMessage.target.in_(targets), OutboxMessage.status == "pending",
                    OutboxMessage.next_attempt_at <= now,
                    (OutboxMessage.ordering_key == "") | ~fn.EXISTS(blocked))
             .order_by(OutboxMessage.id).limit(limit))
    if is_sqlite() and not query.exists():
        # Idle: a plain read, so an idle worker never takes SQLite's single write lock
        # (every 0.2 s) away from a kiosk committing a step.
        return []
    with write():
        if not is_sqlite():
            query = query.for_update(skip_locked=True, of=OutboxMessage)
        messages = list(query)
        if messages:
            (OutboxMessage.update(status="sending", claimed_by=worker, claimed_at=now,
                                  attempts=OutboxMessage.attempts + 1)
             .where(OutboxMessage.id.in_([m.id for m in messages])).execute())
            if heartbeat is not None:
                heartbeat.mark(now)
    if messages and heartbeat is not None:
        heartbeat.committed(now)
    for message in messages:
        message.needs_lookup = message.claimed_by is not None
        message.claimed_by, message.claimed_at = worker, now
        message.attempts += 1
        message.status = "sending"
    return messages


def _time(value) -> dt.datetime | None:
    # SQLite hands back an aggregate of a date column as text.
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def take_over(targets: tuple[str, ...], worker: str, now: dt.datetime | None = None,
              grace: float = 0.0) -> int:
    """Put the messages of workers known dead back in the queue; returns how many.

    They keep the dead worker's name in ``claimed_by``, so they are looked up before being
    sent again, and wait ``grace`` seconds first: a request the dead worker left in flight
    may still land, and a look-up before it did would send it twice.
    """
    now = now or clock.now()
    claims = {who: _time(at) for who, at in
              OutboxMessage.select(OutboxMessage.claimed_by, fn.MIN(OutboxMessage.claimed_at))
              .where(OutboxMessage.status == "sending", OutboxMessage.target.in_(targets),
                     OutboxMessage.claimed_by != worker)
              .group_by(OutboxMessage.claimed_by).tuples()}
    gone = liveness.dead(claims, now)
    if not gone:
        return 0
    with write():
        taken = (OutboxMessage.update(status="pending", last_error=TAKEN_OVER,
                                      next_attempt_at=now + dt.timedelta(seconds=grace))
                 .where(OutboxMessage.status == "sending",
                        OutboxMessage.claimed_by.in_(sorted(gone))).execute())
        liveness.forget(gone)
    return taken


def hand_back(messages) -> int:
    """After delivery broke off (the database, a bug): those of ``messages`` still held go
    back to the queue, to be looked up, since they may have been sent."""
    if not messages:
        return 0
    with write():
        return (OutboxMessage.update(status="pending")
                .where(OutboxMessage.id.in_([m.id for m in messages]),
                       OutboxMessage.status == "sending",
                       OutboxMessage.claimed_by == messages[0].claimed_by)
                .execute())


def _update(messages, **changes) -> None:
    if messages:
        with write():
            (OutboxMessage.update(**changes)
             .where(OutboxMessage.id.in_([m.id for m in messages])).execute())
        for message in messages:  # the caller's copies say what the database now says
            message.status = changes["status"]


def delivered(messages, now: dt.datetime | None = None) -> None:
    """The target acknowledged these; they leave every queue. Each delivery is an audit
    entry written with it, so a message marked delivered in the database alone is found."""
    if not messages:
        return
    with write():
        (OutboxMessage.update(status="delivered", delivered_at=now or clock.now(),
                              claimed_by=None, last_error="")
         .where(OutboxMessage.id.in_([m.id for m in messages])).execute())
        for message in messages:
            ledger.audit("sync.delivered", f"outbox:{message.id}",
                         {"kind": message.kind, "target": message.target,
                          "key": message.external_key})
    for message in messages:
        message.status = "delivered"


def not_sent(messages, error: str, now: dt.datetime | None = None,
             wait: float | None = None) -> None:
    """The target certainly did not apply these: retry after the backoff (or ``wait``)."""
    _retry_later(messages, error, now, wait, keep_claim=False)


def ambiguous(messages, error: str, now: dt.datetime | None = None,
              wait: float | None = None) -> None:
    """These may have been applied: retry later, but look them up first."""
    _retry_later(messages, error, now, wait, keep_claim=True)


def _retry_later(messages, error, now, wait, keep_claim: bool) -> None:
    now = now or clock.now()
    with write():
        for message in messages:
            delay = backoff(message.attempts) if wait is None else wait
            changes = {"status": "pending", "last_error": error,
                       "next_attempt_at": now + dt.timedelta(seconds=delay)}
            if not keep_claim:
                changes["claimed_by"] = None
            OutboxMessage.update(**changes).where(OutboxMessage.id == message.id).execute()
            message.status = "pending"


def release(messages) -> None:
    """Hand back claimed messages this round never tried (the target went away first).

    Only while still ours: a message another worker has taken over stays as it left it.
    """
    with write():
        for message in messages:
            OutboxMessage.update(
                status="pending", attempts=OutboxMessage.attempts - 1,
                claimed_by="unknown outcome" if getattr(message, "needs_lookup", False) else None,
            ).where(OutboxMessage.id == message.id, OutboxMessage.status == "sending",
                    OutboxMessage.claimed_by == message.claimed_by).execute()
            message.status = "pending"


def needs_attention(message, error: str) -> None:
    """A person must look: the target refused it for good. Blocks only its own package."""
    _update([message], status="attention", last_error=error, claimed_by=None)


def retry(message_id: int, actor, why: str, station: str = "") -> OutboxMessage:
    """A manager sends a parked message again (after fixing the cause)."""
    with write():
        message = OutboxMessage.get_by_id(message_id)
        if message.status != "attention":
            raise ValueError(_("Only a message that needs attention can be retried."))
        OutboxMessage.update(status="pending", next_attempt_at=clock.now()).where(
            OutboxMessage.id == message_id).execute()
        ledger.audit("sync.retry", f"outbox:{message_id}",
                     {"kind": message.kind, "target": message.target, "why": why,
                      "last_error": message.last_error}, actor=actor, station=station)
    return OutboxMessage.get_by_id(message_id)


def resolve(message_id: int, actor, why: str, station: str = "") -> OutboxMessage:
    """A manager closes a parked message without sending it (done by hand in Metrc, say)."""
    if not why.strip():
        raise ValueError(_("Say why this message is resolved without sending it."))
    with write():
        message = OutboxMessage.get_by_id(message_id)
        if message.status not in ("attention", "pending"):
            raise ValueError(_("Only an undelivered message can be resolved."))
        OutboxMessage.update(status="resolved", resolved_by_id=actor.id, resolved_note=why,
                             claimed_by=None).where(OutboxMessage.id == message_id).execute()
        ledger.audit("sync.resolve", f"outbox:{message_id}",
                     {"kind": message.kind, "target": message.target, "why": why,
                      "last_error": message.last_error}, actor=actor, station=station)
    return OutboxMessage.get_by_id(message_id)


# -- target health, kept in the database so the manager screen (another process) sees it ----
def health(target: str) -> dict:
    row = SyncState.get_or_none(SyncState.key == f"health:{target}")
    return dict(row.value) if row else {}


def set_health(target: str, ok: bool, error: str = "", now: dt.datetime | None = None,
               pause: dict | None = None) -> dict:
    """Record a success or a failure for ``target`` (with the pause it earned or still has,
    ``pauses``); returns the new health."""
    now = now or clock.now()
    value = health(target)
    stamp = now.isoformat()
    if ok:  # ``pause``: what is left of one after a success (a 429's Retry-After)
        value.update(ok=True, last_success=stamp, down_since=None, last_error="",
                     pause=pause, paused_until=(pause or {}).get("until"))
    else:
        value.update(ok=False, last_error=error, last_error_at=stamp,
                     down_since=value.get("down_since") or stamp, pause=pause,
                     paused_until=(pause or {}).get("until"))
    with write():
        updated = (SyncState.update(value=value, updated_at=now)
                   .where(SyncState.key == f"health:{target}").execute())
        if not updated:
            SyncState.create(key=f"health:{target}", value=value, updated_at=now)
    return value


def summary(deadline_hours: int = 24, now: dt.datetime | None = None,
            off: tuple[str, ...] = ()) -> dict:
    """What the manager screen shows: counts, the oldest undelivered age, deadline warning.

    Messages to a target that is switched off (``off``) are not waiting for anything that
    will come: they are counted apart (``targets[t]["off"]``), never as waiting or late.
    The deadline is the state's, so only state-system messages count towards it.
    ``warning`` is None, "near" (past three quarters of the deadline) or "past".
    """
    now = now or clock.now()
    live = [OutboxMessage.status.in_(OPEN)] + ([OutboxMessage.target.not_in(off)] if off else [])
    with connection():
        counts = dict(OutboxMessage.select(OutboxMessage.status, fn.COUNT(OutboxMessage.id))
                      .where(*live).group_by(OutboxMessage.status).tuples())
        oldest = (OutboxMessage.select(fn.MIN(OutboxMessage.created_at))
                  .where(*live, OutboxMessage.target != "pos").scalar())
        waiting = dict(OutboxMessage.select(OutboxMessage.target, fn.COUNT(OutboxMessage.id))
                       .where(OutboxMessage.status.in_(OPEN))
                       .group_by(OutboxMessage.target).tuples())
        targets = [t for (t,) in OutboxMessage.select(OutboxMessage.target).distinct().tuples()]
        per_target = {}
        for target in sorted(set(targets) | {"metrc"}):
            per_target[target] = {"waiting": waiting.get(target, 0), "off": target in off,
                                  **health(target)}
    oldest = _time(oldest)
    age = (now - oldest) if oldest else None
    deadline = dt.timedelta(hours=deadline_hours)
    warning = None
    if age is not None:
        warning = "past" if age >= deadline else "near" if age >= deadline * 0.75 else None
    return {"pending": counts.get("pending", 0) + counts.get("sending", 0),
            "attention": counts.get("attention", 0), "oldest_created": oldest,
            "oldest_age": age, "deadline": deadline, "warning": warning,
            "targets": per_target}

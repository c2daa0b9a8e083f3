"""How long a target (Metrc, the POS) is left alone after each kind of failure, and when it is
probed instead of sent to.

Each kind of failure has its own pause, because each means something else:

- ``rate_limited`` (429): wait exactly as long as ``Retry-After`` says; without one, 2 s
  doubling to a minute. Metrc is answering, so nothing is probed.
- ``server_error`` (5xx), ``no_answer`` (timeout, connection dropped) and ``unreachable``
  (refused): brief, and counted apart: 0.5 s doubling to ``PROBE_EVERY`` per kind. After
  ``PROBE_AFTER`` such failures in a row the target is taken as down: from then on one cheap
  read asks whether it answers again (first within seconds, then every ``PROBE_EVERY``), and
  the moment one does, sending resumes. So an outage costs a probe every few seconds, and
  its end is noticed within them.
- ``keys`` (401/403 without a row to blame): nothing goes through until someone fixes the
  account; 30 s doubling to five minutes.

Several requests are in flight at once, so a failure may come back from a request sent
before the last failure was known: it is recorded, but does not deepen the pause (it is not
one more failure in a row). A success ends the run of failures and any pause but a 429's,
since Retry-After is a request from Metrc, not a guess of ours.

A refusal of one message is not a pause: only that message is parked (``outbox``).

The state lives in the target's health record, so every worker and the sync screen share it.
"""

from __future__ import annotations

import datetime as dt

from kiosk import clock
from kiosk.sync.metrc import Ambiguous, MetrcError, NotSent, RateLimited, Refused
from kiosk.words import Number, _, joined, n_

RATE_LIMITED, SERVER_ERROR, NO_ANSWER, UNREACHABLE, KEYS = (
    "rate_limited", "server_error", "no_answer", "unreachable", "keys")
DOWN = (SERVER_ERROR, NO_ANSWER, UNREACHABLE)

BRIEF = 0.5  # seconds: the first pause after a 5xx, a timeout or a refused connection
PROBE_EVERY = 5.0  # seconds between probes while a target is down
PROBE_AFTER = 3  # failures in a row that make a target down
RATE_FIRST, RATE_CAP = 2.0, 60.0  # a 429 that does not say how long
KEYS_FIRST, KEYS_CAP = 30.0, 300.0


def kind_of(exc: MetrcError) -> str | None:
    """The failure kind behind an error, or None for a refusal of the request itself."""
    if isinstance(exc, RateLimited):
        return RATE_LIMITED
    if isinstance(exc, NotSent):
        return UNREACHABLE
    if isinstance(exc, Ambiguous):
        return SERVER_ERROR if exc.status else NO_ANSWER
    if isinstance(exc, Refused) and exc.status in (401, 403) and not exc.rows:
        return KEYS
    return None


def after_failure(state: dict, kind: str, now: dt.datetime, retry_after: float = 0.0,
                  status: int | None = None, sent_at: dt.datetime | None = None) -> dict:
    """The pause after one more failure of ``kind`` (of a request sent at ``sent_at``)."""
    last = state.get("failed_at")
    if sent_at is not None and last and sent_at < dt.datetime.fromisoformat(last) \
            and kind != RATE_LIMITED and until(state) and until(state) > now:
        return state  # sent before the last failure was known: nothing new
    counts = dict(state.get("counts") or {})
    counts[kind] = counts.get(kind, 0) + 1
    n = counts[kind]
    probing = False
    if kind == RATE_LIMITED:
        wait = retry_after if retry_after > 0 else min(RATE_CAP, RATE_FIRST * 2 ** (n - 1))
    elif kind == KEYS:
        wait = min(KEYS_CAP, KEYS_FIRST * 2 ** (n - 1))
    else:
        probing = sum(counts.get(k, 0) for k in DOWN) >= PROBE_AFTER
        wait = min(PROBE_EVERY, BRIEF * 2 ** (n - 1))
    end = now + dt.timedelta(seconds=wait)
    if kind != RATE_LIMITED and until(state) and state.get("kind") == RATE_LIMITED:
        end = max(end, until(state))  # a 429's Retry-After still stands
    return {"kind": kind, "counts": counts, "status": status, "probing": probing,
            "retry_after": retry_after, "until": end.isoformat(), "failed_at": now.isoformat(),
            "since": state.get("since") or now.isoformat()}


def after_success(state: dict | None, now: dt.datetime) -> dict | None:
    """The pause left after a success: none, unless a 429's Retry-After still runs."""
    end = until(state)
    if state and state.get("kind") == RATE_LIMITED and end and end > now:
        return {**state, "counts": {RATE_LIMITED: state["counts"].get(RATE_LIMITED, 1)},
                "probing": False}
    return None


def until(state: dict | None) -> dt.datetime | None:
    """When the pause ends (None: not paused)."""
    value = (state or {}).get("until")
    return dt.datetime.fromisoformat(value) if value else None


def probing(state: dict | None) -> bool:
    """Whether the target is taken as down: probe it before sending anything."""
    return bool((state or {}).get("probing"))


_TIMES = {1: _("once"), 2: _("twice"), 3: _("three times"), 4: _("four times"),
          5: _("five times")}


def _times(n: int) -> str:
    return _TIMES.get(n) or n_("{count} time", "{count} times", n)


def _failure(name, kind: str, status) -> str:
    """What went wrong with ``name`` (None: "it", the target just named)."""
    if name is None:
        if kind == SERVER_ERROR:
            return (_("it answered {status}", status=status) if status
                    else _("it answered with a server error"))
        if kind == NO_ANSWER:
            return _("it did not answer")
        if kind == UNREACHABLE:
            return _("it could not be reached")
        return _("it failed")
    if kind == SERVER_ERROR:
        return (_("{name} answered {status}", name=name, status=status) if status
                else _("{name} answered with a server error", name=name))
    if kind == NO_ANSWER:
        return _("{name} did not answer", name=name)
    if kind == UNREACHABLE:
        return _("{name} could not be reached", name=name)
    return _("{name} failed", name=name)


def describe(name: str, state: dict | None, now: dt.datetime | None = None) -> str:
    """Why ``name`` (Metrc, the POS) is not being sent to, in words (a phrase, said in the
    reader's language); "" when it is."""
    if not state:
        return ""
    now = now or clock.now()
    end = until(state)
    at = clock.local(end).strftime("%H:%M:%S") if end else ""
    kind = state.get("kind", "")
    if kind == RATE_LIMITED:
        return _("{name} is rate-limiting us: next try at {at}", name=name, at=at)
    if kind == KEYS:
        return _("paused: {name} did not accept our keys ({status}); next try at {at}",
                 name=name, status=state.get("status"), at=at)
    counts = state.get("counts") or {}
    if probing(state):
        down = sum(counts.get(k, 0) for k in DOWN)
        if counts.get(kind, 0) == down:
            what = joined([_failure(name, kind, state.get("status")), _times(down)])
        else:
            what = _("{name} failed {times} in a row (last: {failure})", name=name,
                     times=_times(down), failure=_failure(None, kind, state.get("status")))
        return _("paused: {what}; probing every {seconds} s", what=what,
                 seconds=Number(PROBE_EVERY, f"{PROBE_EVERY:g}"))
    if end is None or end <= now:
        return ""
    return _("{failure}: next try at {at}", failure=_failure(name, kind, state.get("status")),
             at=at)

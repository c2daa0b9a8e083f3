"""The sync worker (``kiosk sync``): sends due outbox messages and pulls manifests.

One round claims due messages (one per package, oldest first), delivers them per target and
records every outcome before the next round. A target that is down, slow or rate-limiting is
paused as a whole until its backoff (or ``Retry-After``) passes, so an outage costs one probe
per backoff instead of one failed request per message. ``--once`` runs rounds until nothing is
due, pulls included, and returns: that is how tests and cron-style runs drive it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid

from kiosk import clock, db
from kiosk.sync import outbox, pos, pos_link, pulls, sales_pulls, stock_pulls
from kiosk.sync.delivery import METRC_KINDS, TargetUnavailable, deliver_metrc
from kiosk.sync.metrc import Ambiguous, MetrcClient, MetrcError, NotSent, RateLimited, Refused

log = logging.getLogger("kiosk.sync")

IDLE_POLL = 0.2  # seconds between looks at the outbox when idle (commit-to-send latency)
CLAIM_LIMIT = 100
HEALTH_EVERY = dt.timedelta(seconds=30)


class Worker:
    """One sync worker; several may run against one PostgreSQL database."""

    def __init__(self, settings: dict, client: MetrcClient | None = None,
                 pos_adapter: pos.PosAdapter | None = None):
        self.settings = settings
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.metrc = None
        if settings.get("state_system") == "metrc":
            self.metrc = client or MetrcClient.from_settings(settings)
        self.pos = pos_adapter or pos_link.adapter(settings)
        self.sales = sales_pulls.SalesPuller(settings, self.metrc, self.pos)
        self.paused: dict[str, dt.datetime] = {}
        self.pull_every = dt.timedelta(minutes=float(settings.get("sync_pull_minutes", 5)))
        self.last_pull: dt.datetime | None = None
        self._health_written: dict[str, dt.datetime] = {}

    def targets(self, now: dt.datetime) -> tuple[str, ...]:
        """The targets to send to now: configured, and not paused by this worker or by
        another one (a pause is shared through the target's recorded health)."""
        sends_pos = self.pos is not None and getattr(self.pos, "sends", True)
        wanted = [t for t, on in (("metrc", self.metrc), ("pos", sends_pos)) if on]
        ready = []
        for target in wanted:
            until = self.paused.get(target)
            shared = outbox.health(target).get("paused_until")
            if shared:
                shared = dt.datetime.fromisoformat(shared)
                until = max(until, shared) if until else shared
            if until is None or until <= now:
                ready.append(target)
        return tuple(ready)

    # -- one round -----------------------------------------------------------------------
    def round(self) -> int:
        """Claim and deliver one set of due messages; returns how many were claimed."""
        now = clock.now()
        targets = self.targets(now)
        if not targets:
            return 0
        messages = outbox.claim(targets, self.id, CLAIM_LIMIT, now)
        for target in targets:
            mine = [m for m in messages if m.target == target]
            if mine:
                self._deliver(target, mine)
        return len(messages)

    def _deliver(self, target: str, messages: list) -> None:
        try:
            if target == "metrc":
                deliver_metrc(self.metrc, messages)
            else:
                deliver_pos(self.pos, messages)
        except TargetUnavailable as exc:
            self.paused[target] = exc.until
            outbox.set_health(target, False, str(exc), paused_until=exc.until)
            self._health_written.pop(target, None)
            log.warning("%s unavailable until %s: %s", target, exc.until, exc)
            return
        self._healthy(target)

    def _healthy(self, target: str) -> None:
        now = clock.now()
        last = self._health_written.get(target)
        if last is None or now - last >= HEALTH_EVERY:
            outbox.set_health(target, True, now=now)
            self._health_written[target] = now

    def pull_if_due(self, force: bool = False) -> None:
        now = clock.now()
        if self.metrc is None or self.paused.get("metrc", now) > now:
            return
        if not force and self.last_pull and now - self.last_pull < self.pull_every:
            return
        self.last_pull = now
        try:
            new = pulls.pull_transfers(self.metrc, now)
            stock_pulls.pull(self.metrc, now)  # packages' figures (counts), adjust reasons
        except MetrcError as exc:
            outbox.set_health("metrc", False, f"Pulling from Metrc: {exc}")
            self._health_written.pop("metrc", None)
            return
        if new:
            log.info("%d new manifest(s) from Metrc", new)
        self._healthy("metrc")

    def drain(self, max_rounds: int = 100000) -> None:
        """Rounds until nothing is due (``--once``)."""
        for _ in range(max_rounds):
            if not self.round():
                return


def deliver_pos(adapter: pos.PosAdapter, messages: list) -> None:
    """Send POS messages one by one (webhooks carry one event each)."""
    now = clock.now()
    for index, message in enumerate(messages):
        if message.kind not in pos.POS_KINDS:
            outbox.needs_attention(message, f"The syncer does not know how to send "
                                            f"'{message.kind}' to the POS.")
            continue
        try:
            adapter.push(message.kind, message.payload, message.external_key)
        except (NotSent, Ambiguous, RateLimited) as exc:
            wait = getattr(exc, "retry_after", 0) or outbox.backoff(message.attempts)
            # Webhooks carry an idempotency key, so repeating after any failure is safe.
            outbox.not_sent([message], str(exc), now, wait=wait)
            outbox.release(messages[index + 1:])
            raise TargetUnavailable(str(exc), now + dt.timedelta(seconds=wait)) from None
        except Refused as exc:
            outbox.needs_attention(message, str(exc))
            continue
        outbox.delivered([message], now)


def run(settings: dict, once: bool = False, stop: threading.Event | None = None) -> None:
    """``kiosk sync``: deliver and pull until ``stop`` is set; ``once``: until nothing is due.

    Pulls run in their own thread so a slow manifest pull never delays delivery.
    """
    if db.database.obj is None:
        db.init(settings["database"])
    worker = Worker(settings)
    stop = stop or threading.Event()
    if once:
        with db.connection():
            worker.pull_if_due(force=True)
            worker.sales.pull_if_due(force=True)
            worker.drain()
        return
    log.info("sync worker %s started (targets: %s)", worker.id,
             ", ".join(worker.targets(clock.now())) or "none")
    puller = threading.Thread(target=_pull_loop, args=(worker, stop), daemon=True,
                              name="sync-pull")
    puller.start()
    with db.connection():
        while not stop.is_set():
            try:
                busy = worker.round()
            except Exception:  # e.g. the database briefly unavailable: log, wait, go on
                log.exception("sync round failed")
                busy = False
            if not busy:
                stop.wait(IDLE_POLL)
    puller.join(timeout=30)


def _pull_loop(worker: Worker, stop: threading.Event) -> None:
    with db.connection():
        while not stop.is_set():
            try:
                worker.pull_if_due()
            except Exception:  # a bad manifest must not end pulling for good; it is logged
                log.exception("pulling manifests failed")
            try:
                worker.sales.pull_if_due()
            except Exception:  # nor a bad receipt pulling sales
                log.exception("pulling sales failed")
            stop.wait(5)


__all__ = ["METRC_KINDS", "Worker", "deliver_pos", "run"]

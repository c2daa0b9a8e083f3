"""The sync worker (``kiosk sync``): sends due outbox messages and pulls manifests; it also
keeps the day's report PDF of each signed closing (``closing_pdfs``).

It claims due messages (one per package and target, oldest first), after taking over those
of workers known dead, and cuts them into requests: writes of one kind, ten at a time.
Several requests are in flight at once (``SENDERS``), so one slow answer holds up only its
own packages; since no two requests in flight are about the same package and target, order
per package is kept. Every outcome is recorded as it comes.

A target that fails is paused as a whole, by the kind of failure (``pauses``): a 429 for as
long as Metrc asks, a 5xx or a lost answer briefly; after a few in a row the target is down,
and a cheap probe every few seconds notices the moment it answers again, when sending
resumes at once. ``--once`` runs rounds until nothing is due, pulls included, one request at
a time, and returns: that is how tests and cron-style runs drive it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from kiosk import anchors, audit_key, clock, db
from kiosk.sync import (
    closing_pdfs,
    liveness,
    outbox,
    pauses,
    pos,
    pos_link,
    pulls,
    sales_pulls,
    stock_pulls,
)
from kiosk.sync.delivery import METRC_KINDS, TargetUnavailable, deliver_metrc
from kiosk.sync.metrc import (
    WRITE_BATCH,
    Ambiguous,
    MetrcClient,
    MetrcError,
    NotSent,
    RateLimited,
    Refused,
)

log = logging.getLogger("kiosk.sync")

IDLE_POLL = 0.2  # seconds between looks at the outbox when idle (commit-to-send latency)
CLAIM_LIMIT = 100
SENDERS = 4  # requests in flight at once (Metrc allows ten concurrent calls per facility)
HEALTH_EVERY = dt.timedelta(seconds=30)
REPORT_LOOK = 5  # seconds between looks for a signed closing whose PDF is owed
NAMES = {"metrc": "Metrc", "pos": "the POS"}


def requests_of(messages: list) -> list[list]:
    """Claimed messages cut into what goes in one request each: Metrc writes by kind, ten at
    a time; each read-back alone; the POS's in order (its webhooks take one event each)."""
    groups = defaultdict(list)
    for message in messages:
        groups[(message.target, message.kind if message.target == "metrc" else "")].append(
            message)
    cut = []
    for (target, kind), group in groups.items():
        if target != "metrc":
            cut.append(group)
        elif kind in ("transfer.received", "transfer.returned"):
            cut += [[m] for m in group]
        else:
            cut += [group[i:i + WRITE_BATCH] for i in range(0, len(group), WRITE_BATCH)]
    return cut


class Worker:
    """One sync worker; several may run against one PostgreSQL database."""

    def __init__(self, settings: dict, client: MetrcClient | None = None,
                 pos_adapter: pos.PosAdapter | None = None):
        self.settings = settings
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.heartbeat = liveness.Heartbeat(self.id)
        self.metrc = None
        if settings.get("state_system") == "metrc":
            self.metrc = client or MetrcClient.from_settings(settings)
        self.pos = pos_adapter or pos_link.adapter(settings)
        self.sales = sales_pulls.SalesPuller(settings, self.metrc, self.pos)
        self._given = client is not None or pos_adapter is not None
        self._home = threading.current_thread()
        self._local = threading.local()  # each sending thread's own HTTP sessions
        self._in_flight = 0  # requests being sent (the heartbeat beats meanwhile)
        self._lock = threading.Lock()
        self._probing = threading.Lock()  # one probe at a time from this process
        self.pull_every = dt.timedelta(minutes=float(settings.get("sync_pull_minutes", 5)))
        self.last_pull: dt.datetime | None = None
        self._health_written: dict[str, dt.datetime] = {}

    @property
    def busy(self) -> bool:
        return self._in_flight > 0

    def configured(self) -> tuple[str, ...]:
        # A POS link that only reads (Dutchie: sales and stock) is sent nothing.
        sends_pos = self.pos is not None and getattr(self.pos, "sends", True)
        return tuple(t for t, on in (("metrc", self.metrc), ("pos", sends_pos)) if on)

    def grace(self) -> float:
        """Seconds a request we stopped waiting for may still take to land (the longest
        timeout of our clients)."""
        return max([float(getattr(c, "timeout", 0) or 0) for c in (self.metrc, self.pos) if c]
                   or [0.0])

    def _clients(self):
        """This thread's Metrc client and POS adapter (an HTTP session is not shared across
        threads)."""
        if self._given or threading.current_thread() is self._home:
            return self.metrc, self.pos
        if not hasattr(self._local, "metrc"):
            self._local.metrc = MetrcClient.from_settings(self.settings) if self.metrc else None
            self._local.pos = pos_link.adapter(self.settings) if self.pos else None
        return self._local.metrc, self._local.pos

    # -- which targets may be sent to ------------------------------------------------------
    def targets(self, now: dt.datetime) -> tuple[str, ...]:
        """The targets to send to now: configured, not paused (by this worker or another: a
        pause is shared through the target's recorded health), and, if taken as down,
        answering a probe again."""
        return tuple(t for t in self.configured() if self._ready(t, now, probe=True))

    @staticmethod
    def _paused(target: str, now: dt.datetime) -> dict | None:
        """The target's pause if it is still running, else None."""
        state = outbox.health(target).get("pause")
        until = pauses.until(state)
        return state if until is not None and until > now else None

    def _ready(self, target: str, now: dt.datetime, probe: bool) -> bool:
        """Not paused, and not down, or (``probe``) answering a probe again. A target with
        no probe of its own (the POS) is sent its next message instead."""
        state = outbox.health(target).get("pause")
        until = pauses.until(state)
        if until is not None and until > now:
            return False
        if not pauses.probing(state) or target != "metrc":
            return True
        if not probe or not self._probing.acquire(blocking=False):
            return False  # another thread of ours is probing right now
        try:
            if self._paused(target, clock.now()):  # it failed again while we looked
                return False
            return self._probe()
        finally:
            self._probing.release()

    def _probe(self) -> bool:
        """Ask Metrc, taken as down, whether it answers again."""
        try:
            self.metrc.probe()
        except MetrcError as exc:
            if pauses.kind_of(exc) is not None:
                self._failed("metrc", TargetUnavailable.of(exc), clock.now())
                return False
        log.info("Metrc answers again; sending resumes")
        self._healthy("metrc")
        return True

    # -- claiming and sending ------------------------------------------------------------
    def claim(self, limit: int = CLAIM_LIMIT) -> list[list]:
        """Take over dead workers' messages, claim due ones, and cut them into requests."""
        now = clock.now()
        targets = self.targets(now)
        if not targets:
            return []
        taken = outbox.take_over(targets, self.id, now, self.grace())
        if taken:
            log.warning("took over %d message(s) from a sync worker that stopped", taken)
        return requests_of(outbox.claim(targets, self.id, limit, now, self.heartbeat))

    def send(self, request: list) -> None:
        """Send one request's messages and record what happened to them."""
        target = request[0].target
        sent_at = clock.now()
        with self._lock:
            self._in_flight += 1
        try:
            if not self._ready(target, clock.now(), probe=False):
                outbox.release(request)  # paused since it was claimed: never tried
                return
            metrc, pos_adapter = self._clients()
            try:
                if target == "metrc":
                    deliver_metrc(metrc, request, may_send=self.heartbeat.may_send)
                else:
                    deliver_pos(pos_adapter, request)
            except TargetUnavailable as exc:
                self._failed(target, exc, clock.now(), sent_at)
                return
            self._healthy(target)
        except BaseException:
            outbox.hand_back(request)  # unknown how far it got: looked up before re-sending
            raise
        finally:
            with self._lock:
                self._in_flight -= 1

    def round(self) -> int:
        """Claim and send one set of due messages, one request at a time; returns how many
        messages were claimed."""
        requests = self.claim()
        for request in requests:
            self.send(request)
        return sum(len(r) for r in requests)

    def drain(self, max_rounds: int = 100000) -> None:
        """Rounds until nothing is due (``--once``)."""
        for _ in range(max_rounds):
            if not self.round():
                return

    # -- target health -------------------------------------------------------------------
    def _failed(self, target: str, exc: TargetUnavailable, now: dt.datetime,
                sent_at: dt.datetime | None = None) -> None:
        state = pauses.after_failure(outbox.health(target).get("pause") or {}, exc.kind, now,
                                     exc.retry_after, exc.status, sent_at)
        outbox.set_health(target, False, str(exc), now, pause=state)
        self._health_written.pop(target, None)
        log.warning("%s: %s", target, pauses.describe(NAMES.get(target, target), state, now)
                    or exc)

    def _healthy(self, target: str) -> None:
        """Record a success: at once after trouble (it ends the pause and the run of
        failures, for every worker), otherwise every HEALTH_EVERY, to keep writes down."""
        now = clock.now()
        last = self._health_written.get(target)
        recorded = outbox.health(target)
        if last is not None and now - last < HEALTH_EVERY and recorded.get("ok") \
                and not recorded.get("pause"):
            return
        outbox.set_health(target, True, now=now,
                          pause=pauses.after_success(recorded.get("pause"), now))
        self._health_written[target] = now

    def pull_if_due(self, force: bool = False) -> None:
        now = clock.now()
        if self.metrc is None:
            return
        if self._paused("metrc", now) or pauses.probing(outbox.health("metrc").get("pause")):
            return  # paused or down: the senders' probes find out when it is back
        if not force and self.last_pull and now - self.last_pull < self.pull_every:
            return
        self.last_pull = now
        client = self._clients()[0]
        try:
            new = pulls.pull_transfers(client, now)
            stock_pulls.pull(client, now)  # packages' figures (counts), adjust reasons
        except MetrcError as exc:
            if pauses.kind_of(exc) is None:  # this pull was refused; sending is not at fault
                outbox.set_health("metrc", False, f"Pulling from Metrc: {exc}")
                self._health_written.pop("metrc", None)
                return
            failure = TargetUnavailable.of(exc)
            failure.args = (f"Pulling from Metrc: {exc}",)
            self._failed("metrc", failure, clock.now())
            return
        if new:
            log.info("%d new manifest(s) from Metrc", new)
        self._healthy("metrc")


def deliver_pos(adapter: pos.PosAdapter, messages: list) -> None:
    """Send POS messages one by one (webhooks carry one event each)."""
    for index, message in enumerate(messages):
        if message.kind not in pos.POS_KINDS:
            outbox.needs_attention(message, f"The syncer does not know how to send "
                                            f"'{message.kind}' to the POS.")
            continue
        try:
            adapter.push(message.kind, message.payload, message.external_key)
        except (NotSent, Ambiguous, RateLimited) as exc:
            # Webhooks carry an idempotency key, so repeating after any failure is safe; a
            # lost answer still waits out the timeout, so a late one cannot overtake the next.
            lost = isinstance(exc, Ambiguous) and not exc.status
            wait = float(getattr(adapter, "timeout", 0) or 0) if lost else 0.0
            outbox.not_sent([message], str(exc), clock.now(), wait=wait)
            outbox.release(messages[index + 1:])
            raise TargetUnavailable.of(exc) from None
        except Refused as exc:
            outbox.needs_attention(message, str(exc))
            continue
        outbox.delivered([message], clock.now())


def run(settings: dict, once: bool = False, stop: threading.Event | None = None) -> None:
    """``kiosk sync``: deliver and pull until ``stop`` is set; ``once``: until nothing is due.

    Up to ``SENDERS`` requests go out at once, each from its own thread; this thread claims
    as soon as one is free. Pulls run in a thread of their own so a slow manifest pull never
    delays delivery, and the heartbeat in another, so a worker waiting on a slow Metrc is
    still known to be alive.
    """
    if db.database.obj is None:
        db.init(settings["database"])
        audit_key.use(settings.get("audit_key"))
    worker = Worker(settings)
    stop = stop or threading.Event()
    if once:
        with db.connection():
            worker.pull_if_due(force=True)
            worker.sales.pull_if_due(force=True)
            worker.drain()
            closing_pdfs.make_due(settings)  # before the anchor: keeping one is audited
            anchors.write_quietly()
        return
    log.info("sync worker %s started (targets: %s)", worker.id,
             ", ".join(worker.configured()) or "none")
    helpers = [threading.Thread(target=loop, args=(worker, stop), daemon=True, name=name)
               for loop, name in ((_pull_loop, "sync-pull"), (_beat_loop, "sync-heartbeat"),
                                  (_report_loop, "sync-reports"))]
    for thread in helpers:
        thread.start()
    with db.connection(), ThreadPoolExecutor(SENDERS, thread_name_prefix="sync-send") as pool:
        in_flight: set = set()
        while not stop.is_set():
            free = SENDERS - len(in_flight)
            requests = []
            if free > 0:
                try:
                    requests = worker.claim(free * WRITE_BATCH)
                except Exception:  # e.g. the database briefly unavailable: log, wait, go on
                    log.exception("claiming messages failed")
            in_flight |= {pool.submit(_send, worker, request) for request in requests}
            if in_flight:
                # Claim again as soon as a request is done (or after a moment, if some are
                # still free and new messages may have come).
                done, in_flight = wait(in_flight, timeout=0 if requests and len(in_flight)
                                       < SENDERS else IDLE_POLL, return_when=FIRST_COMPLETED)
            elif not requests:
                stop.wait(IDLE_POLL)
        wait(in_flight)
    for thread in helpers:
        # Wait for each to see the stop, however long its current pull takes (every request
        # has its timeout): a helper left running would touch the database after whoever
        # started the worker has closed it.
        thread.join()
    with db.connection():
        worker.heartbeat.stop()
        anchors.write_quietly()


def _send(worker: Worker, request: list) -> None:
    with db.connection():
        try:
            worker.send(request)
        except Exception:  # recorded (handed back); the next claim takes it again
            log.exception("sending %d message(s) failed", len(request))


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


def _report_loop(worker: Worker, stop: threading.Event) -> None:
    """The day's report PDF of each signed closing, kept within seconds of the signature
    (a thread of its own: laying a PDF out takes seconds, and pulls must not wait)."""
    with db.connection():
        while not stop.is_set():
            try:
                closing_pdfs.make_due(worker.settings)
            except Exception:  # e.g. the database briefly away: the next look tries again
                log.exception("keeping the reports of signed closings failed")
            stop.wait(REPORT_LOOK)


def _beat_loop(worker: Worker, stop: threading.Event) -> None:
    with db.connection():
        while not stop.wait(liveness.HEARTBEAT):
            # The chain's head, out of the database's reach (at most once a minute).
            anchors.write_quietly(every=anchors.EVERY_SECONDS)
            if worker.busy:
                try:
                    worker.heartbeat.beat()
                except Exception:  # the next beat may get through; a missed one is logged
                    log.exception("sync heartbeat failed")


__all__ = ["METRC_KINDS", "Worker", "deliver_pos", "requests_of", "run"]

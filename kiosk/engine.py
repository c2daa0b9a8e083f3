"""The workflow interpreter. Sans-IO: no Flask, no devices, no network.

A workflow is data: a tuple of steps of a fixed set of kinds (instruct, scan, count, weigh,
choose, confirm, sign_off, print, text). ``submit`` takes one screen's answer for one step and,
in one write transaction, checks that the screen is current (``rev``), parses the answer, runs the
step's guards, appends a ``StepEvent``, runs the step's effect (ledger movements, outbox
messages, print jobs: plain records) and moves the run on. Everything commits together or
not at all, so a crash leaves either the whole step or none of it. In a server of several
processes on SQLite that transaction runs in the step writer (``step_writer``), shared with
the steps other screens sent at the same moment, each in a savepoint of its own. A
signature's badge and PIN are judged just before, in a transaction of their own
(``auth.attempt``), so that refusing the step cannot undo the record of the attempt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from kiosk import auth, chain_cover, clock, ledger, limits, scans, step_writer
from kiosk.db import database, grouped, is_sqlite, locked, savepoint, together, write
from kiosk.models import Employee, OutboxMessage, PrintJob, Run, Signature, StepEvent, dumps
from kiosk.words import Known, Number, _, keep

FINISH = "__finish__"  # what a scan step's Finish button submits
BACK = "__back__"  # what a step's Back button submits
SCANS_TAKEN = ("scan", "text")  # step kinds a scanner's code may answer
# What to do instead, said to someone whose scan arrived at a step that takes no scan.
INSTEAD = {"instruct": _("press the button to go on"),
           "count": _("enter the count on the keypad"),
           "weigh": _("put it on the scale and press Take reading"),
           "choose": _("choose one of the buttons"), "confirm": _("press Yes or No"),
           "sign_off": _("sign with your badge and PIN"), "print": _("press Print")}
KINDS = ("instruct", "scan", "count", "weigh", "choose", "confirm", "sign_off", "print", "text")
MEANINGS = ("performed", "witnessed", "approved")
# What a signature's meaning (kept in English on the record) reads as on a screen.
MEANING_WORDS = {"performed": _("performed"), "witnessed": _("witnessed"),
                 "approved": _("approved")}


def words_of(exc: Exception) -> str:
    """A refusal's words as raised: a phrase stays one, to be said in the reader's language."""
    if exc.args and isinstance(exc.args[0], str):
        first = exc.args[0]
        return getattr(first, "said", first)
    return str(exc)


class Refuse(Exception):
    """Raised by an effect to refuse the step with a message; nothing it wrote is kept."""


class Offer(str):
    """A refusal's words with the procedure that is the way out, one tap away: a guard may
    return one (an effect may raise ``Refuse`` with one), and the screen shows a button that
    starts ``workflow`` with the package ``tag`` already scanned. Where the words name more
    than one way out, ``also`` gives the others as (workflow, label) pairs: a button each."""

    def __new__(cls, text: str, workflow: str, label: str, tag: str = "",
                also: tuple[tuple[str, str], ...] = ()):
        made = super().__new__(cls, text)
        made.said = text  # the words as given: a phrase is said in the reader's language
        made.offer = {"workflow": workflow, "label": label, "tag": tag,
                      "also": [{"workflow": w, "label": lbl, "tag": tag} for w, lbl in also]}
        return made


class NoSuchRun(LookupError):
    """The step names a run that does not exist."""


@dataclass(frozen=True)
class Option:
    """One button of a ``choose`` step; ``next`` overrides the step's next."""

    value: str
    label: str
    next: str | None = None
    danger: bool = False


@dataclass(frozen=True)
class Signer:
    """One signature a ``sign_off`` step needs: who may give it and what it means."""

    roles: tuple[str, ...]
    meaning: str
    label: str = ""


@dataclass(frozen=True)
class Back:
    """A step's Back button: return to an earlier step to change what was chosen there.

    ``step`` is a step id, or ``step(run)`` returning one. Going back is an event of its
    own that supersedes the event being changed (the latest taken at ``step``), and drops
    the ``forget`` keys from the run's data, so the earlier screen asks afresh.
    """

    step: str | Callable
    label: str = "Back"
    forget: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """One step. Callables take ``(run, value)``; effects also get the ``Context``."""

    id: str
    kind: str
    prompt: str
    help: str = ""
    guards: tuple[Callable, ...] = ()
    effect: Callable | None = None
    next: str | Callable | None = None
    skip_if: Callable | None = None
    # Reached only when an earlier answer sends the run here (a reject reason, a stopped
    # delivery): "Step n of m" counts it once the run has taken it, not before.
    detour: bool = False
    show: Callable | None = None  # show(run) -> dict for the screen (progress, lists)
    expect: tuple[str, ...] = ()  # scan: accepted scan kinds
    unit: str = ""  # count, weigh (the unit a typed weight is in)
    # count: unit_for(run) -> the unit of measure when it depends on the run (an item's
    # "Each" or "Grams"); it sets the count's range and decimals (``limits.MEASURES``).
    unit_for: Callable | None = None
    minimum: Decimal | None = Decimal(0)
    maximum: Decimal | None = None
    whole: bool = False
    options: tuple[Option, ...] = ()  # choose
    # choose: options_for(run) -> [Option] when the buttons depend on the run (e.g. "Accept
    # 46 of 48"); the answer is checked against the same list, computed again at submit.
    options_for: Callable | None = None
    signers: tuple[Signer, ...] = ()  # sign_off
    jobs: Callable | None = None  # print: jobs(run) -> [{"device", "layout", "data"}]
    optional: bool = False  # print: may be skipped with a reason
    # scan: a "Finish" button goes to this step id ("__end__": done). Its answer is FINISH,
    # a plain string, not a Scan: the step's guards see it first and may refuse it.
    finish: str | None = None
    finish_label: str = "Finish"
    pattern: str = ""  # text: a regular expression the whole answer must match
    example: str = ""  # text: shown under the box and in the message when it does not match
    max_length: int = 80  # text
    back: Back | None = None  # a Back button to an earlier step (see Back)

    def choices(self, run) -> tuple[Option, ...]:
        """The buttons of a ``choose`` step for this run."""
        return tuple(self.options_for(run)) if self.options_for is not None else self.options


def instruct(id, prompt, **kw) -> Step:
    return Step(id, "instruct", prompt, **kw)


def scan(id, prompt, expect, **kw) -> Step:
    return Step(id, "scan", prompt, expect=tuple(expect), **kw)


def count(id, prompt, unit="", **kw) -> Step:
    return Step(id, "count", prompt, unit=unit, **kw)


def weigh(id, prompt, unit="g", **kw) -> Step:
    """A weight from the scale, or typed with a reason (then marked as keyed)."""
    return Step(id, "weigh", prompt, unit=unit, **kw)


def choose(id, prompt, options, **kw) -> Step:
    return Step(id, "choose", prompt, options=tuple(options), **kw)


def confirm(id, prompt, **kw) -> Step:
    return Step(id, "confirm", prompt, **kw)


def sign_off(id, prompt, signers, **kw) -> Step:
    return Step(id, "sign_off", prompt, signers=tuple(signers), **kw)


def print_step(id, prompt, jobs, **kw) -> Step:
    return Step(id, "print", prompt, jobs=jobs, **kw)


def text(id, prompt, **kw) -> Step:
    """A short typed answer (a driver's name, a licence number); ``pattern`` checks it."""
    return Step(id, "text", prompt, **kw)


@dataclass(frozen=True)
class Workflow:
    """A standard operating procedure as the kiosk runs it."""

    key: str
    title: str
    sop: str
    version: int
    roles: tuple[str, ...]
    steps: tuple[Step, ...]
    description: str = ""
    summary: Callable | None = None  # summary(run) -> one line for lists of runs
    # in_hand(run, step) -> what to finish first (e.g. "finish package …000122 first: choose
    # its condition"), said when a scan arrives at a step that takes none; None: the default.
    in_hand: Callable | None = None
    # on_cancel(run, ctx): undo what the run did, in the cancel's transaction; words it puts
    # in ctx.message are kept with the cancelled run and shown on its screen.
    on_cancel: Callable | None = None
    # False: started only from elsewhere (claiming a pick request), not from the home tiles.
    menu: bool = True

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def index(self, step_id: str) -> int:
        return [s.id for s in self.steps].index(step_id)


@dataclass
class Context:
    """What an effect may touch: who, where, settings, and sinks for plain records."""

    actor: Employee
    station: str
    settings: dict
    run: Run
    event: StepEvent | None = None
    training: bool = False
    message: str = ""  # an effect may set the words shown after the step is taken
    # A scan sent again with the reason the screen asked for (taking a package other than
    # the kiosk's choice); kept in the step's event with the rest of the answer.
    reason: str = ""
    # "warn" when the accepted step recorded a problem (a shortage, a rejection, a count
    # that does not match): the screen answers in amber, not in the colour of success.
    tone: str = ""
    # A signature's badge + PIN, already judged and recorded by ``auth.attempt`` in a
    # transaction of its own before this step's (None when the answer carried no PIN).
    signer: auth.AuthResult | None = None

    def supersede(self, old_event_id: int) -> None:
        """Mark this step's event as a correction of an earlier one (kept, never edited)."""
        StepEvent.update(supersedes=old_event_id).where(StepEvent.id == self.event.id).execute()

    def audit(self, action: str, subject: str = "", detail: dict | None = None):
        return ledger.audit(action, subject, detail, actor=self.actor, station=self.station)

    def movement(self, package, quantity, kind, **kw):
        """A ledger movement attributed to this step."""
        return ledger.record(package, quantity, kind, actor=self.actor, station=self.station,
                             run_id=self.run.id, step_event_id=self.event.id, **kw)

    def outbox(self, target: str, kind: str, payload: dict, ordering_key: str = "",
               key: str | None = None) -> OutboxMessage:
        """A message for the state system or the POS, sent later by the syncer."""
        now = clock.now()
        external_key = key or f"run{self.run.id}-ev{self.event.id}-{target}-{kind}-{ordering_key}"
        return OutboxMessage.create(
            target=target, kind=kind, payload=payload, external_key=external_key,
            ordering_key=ordering_key, next_attempt_at=now, created_at=now,
            run_id=self.run.id, step_event_id=self.event.id)

    def print_job(self, device: str, layout: str, data: dict, copies: int = 1) -> PrintJob:
        """A label or slip for the print worker."""
        return PrintJob.create(
            device=device, layout=layout, data=data, copies=copies, created_at=clock.now(),
            run_id=self.run.id, step_event_id=self.event.id, requested_by_id=self.actor.id,
            station=self.station, training=self.training)


@dataclass
class Outcome:
    """What the screen needs after a submission."""

    accepted: bool
    message: str
    tone: str  # ok | warn (accepted, a problem recorded) | error | stale | done
    run: Run
    event: StepEvent | None = None
    value: object = None
    extra: dict = field(default_factory=dict)


def _policy(settings: dict) -> auth.Policy:
    return auth.Policy(failures=settings.get("lockout_failures", 5),
                       lock_seconds=settings.get("lockout_seconds", 300),
                       idle_seconds=settings.get("idle_seconds", 90),
                       warning_seconds=settings.get("idle_warning_seconds", 20))


def start(workflow: Workflow, actor: Employee, station: str, settings: dict) -> Run:
    """Begin a run at the workflow's first step that applies."""
    if not actor.has_any(workflow.roles):
        raise PermissionError(_("{name} may not run {title}.", name=actor.name,
                                title=workflow.title))
    with write():
        now = clock.now()
        run = Run.create(workflow=workflow.key, version=workflow.version,
                         current_step=workflow.steps[0].id, operator=actor, station=station,
                         started_at=now, updated_at=now, data={})
        first = _next_applicable(workflow, run, 0)
        run.current_step = first.id
        run.save()
        ledger.audit("run.start", f"run:{run.id}", {"workflow": workflow.key,
                                                    "version": workflow.version},
                     actor=actor, station=station)
    return run


def _next_applicable(workflow: Workflow, run: Run, index: int) -> Step | None:
    while index < len(workflow.steps):
        step = workflow.steps[index]
        if step.skip_if is None or not step.skip_if(run):
            return step
        index += 1
    return None


def _following(workflow: Workflow, run: Run, step: Step, value, chosen: Option | None):
    target = chosen.next if chosen and chosen.next else step.next
    if callable(target):
        target = target(run, value)
    if target == "__end__":
        return None
    if target:
        return _next_applicable(workflow, run, workflow.index(target))
    return _next_applicable(workflow, run, workflow.index(step.id) + 1)


def position(workflow: Workflow, run: Run) -> tuple[int, int]:
    """Where the run is, as "Step n of m", counting only the steps that apply to this run:
    those it has been through, the one it is at, and those ahead that are not detours and
    that their skip rule does not skip as things stand now."""
    steps = workflow.steps
    current = workflow.index(run.current_step)
    if not any(s.skip_if is not None or s.detour for s in steps):
        return current + 1, len(steps)  # every step applies: no need to ask the records
    taken = {step_id for (step_id,) in StepEvent.select(StepEvent.step_id).distinct()
             .where(StepEvent.run == run.id, StepEvent.accepted == True).tuples()}  # noqa: E712
    applying = [i for i, step in enumerate(steps)
                if i == current or step.id in taken
                or (i > current and not step.detour and not _skipped_now(step, run))]
    return applying.index(current) + 1, len(applying)


def _skipped_now(step: Step, run: Run) -> bool:
    """The step's skip rule, asked ahead of time. A rule that cannot answer yet (what it
    reads is not in the run: the delivery is not chosen) counts the step as applying."""
    if step.skip_if is None:
        return False
    try:
        return bool(step.skip_if(run))
    except KeyError:
        return False


def record_hash(run: Run) -> str:
    """A hash of what a signature signs: the run's data and every accepted event so far."""
    events = list(StepEvent.select(StepEvent.id, StepEvent.step_id, StepEvent.value,
                                   StepEvent.actor, StepEvent.at)
                  .where(StepEvent.run == run.id, StepEvent.accepted == True)  # noqa: E712
                  .order_by(StepEvent.id).tuples())
    return chain_cover.signed_hash(run.id, run.workflow, run.version, run.data, events)


def pending_signers(run: Run, step: Step) -> list[Signer]:
    """The signatures this sign-off step still needs, in order."""
    done = run.data.get("_sign", {}).get(step.id, [])
    return list(step.signers[len(done):])


def _scan_not_taken(code: str, step: Step, run: Run, workflow: Workflow | None) -> str:
    """The refusal of a scan that came to a step that takes none (a second scan that came
    fast behind the first, say): it was not recorded, and what to finish first."""
    instead = workflow.in_hand(run, step) if workflow and workflow.in_hand else None
    if instead:
        return _("That scan ({code}) was not recorded: {instead}.", code=scans.short(code),
                 instead=instead)
    return _("That scan ({code}) was not recorded: this step takes no scan; {instead}.",
             code=scans.short(code), instead=INSTEAD.get(step.kind, _("go on here")))


def _parse(step: Step, raw: dict, run: Run, ctx: Context, settings: dict,
           workflow: Workflow | None = None):
    """Turn the screen's answer into the step's typed value; ValueError carries the message."""
    limits.answer(raw)
    text = str(raw.get("value", "")).strip()
    if text == BACK and step.back is not None:
        return BACK
    if raw.get("source") == "scanner" and step.kind not in SCANS_TAKEN:
        raise ValueError(_scan_not_taken(text, step, run, workflow))
    if step.kind == "instruct":
        return None
    if step.kind == "scan":
        if text == FINISH and step.finish:
            return FINISH
        try:
            return scans.parse(text, step.expect)
        except scans.ScanError as exc:
            raise ValueError(exc.words) from None  # a phrase, said in the reader's words
    if step.kind == "count":
        unit = step.unit_for(run) if step.unit_for is not None else step.unit
        return limits.quantity(text, unit, minimum=step.minimum, maximum=step.maximum,
                               whole=step.whole)
    if step.kind == "weigh":
        return _parse_weight(step, raw, run, ctx, settings)
    if step.kind == "choose":
        for option in step.choices(run):
            if option.value == text:
                return option
        raise ValueError(_("Choose one of the buttons."))
    if step.kind == "text":
        return _parse_text(step, text)
    if step.kind == "confirm":
        if text == "pass":
            return {"ok": True, "reason": ""}
        if text == "fail":
            reason = str(raw.get("reason", "")).strip()
            if not reason:
                raise ValueError(_("Say what is wrong before you continue."))
            return {"ok": False, "reason": reason}
        raise ValueError(_("Press Yes or No."))
    if step.kind == "sign_off":
        return _parse_signature(step, raw, run, ctx, settings)
    if step.kind == "print":
        if text == "print":
            return {"printed": True}
        if text == "skip" and step.optional:
            reason = str(raw.get("reason", "")).strip()
            if not reason:
                raise ValueError(_("Say why nothing is printed."))
            return {"printed": False, "reason": reason}
        raise ValueError(_("Press Print."))
    raise ValueError(f"Unknown step kind {step.kind}")


def _parse_weight(step: Step, raw: dict, run: Run, ctx: Context, settings: dict) -> dict:
    """A weight the view read from the scale (``raw["scale"]``: a screen cannot send one),
    or one typed by hand, which needs a reason and is kept marked as keyed."""
    reading = raw.get("scale")
    if reading:
        if reading.get("status") != "stable" or reading.get("value") is None:
            raise ValueError(reading.get("words") or _("The scale gave no stable weight. Take "
                                                        "the reading again."))
        weight = Decimal(reading["value"])
        if step.minimum is not None and weight < step.minimum:
            raise ValueError(_("The scale reads {weight} {unit}: zero the empty scale, then "
                               "take the reading again.",
                               weight=Number(weight, format(weight, "f")), unit=reading["unit"]))
        return {"weight": weight, "unit": reading["unit"], "keyed": False}
    if not str(raw.get("value", "")).strip():
        raise ValueError(_("Put it on the scale and press Take reading, or type the weight "
                           "and say why."))
    weight = _parse(replace(step, kind="count", whole=False), raw, run, ctx, settings)
    reason = str(raw.get("reason", "")).strip()
    if not reason:
        raise ValueError(_("A weight typed by hand needs a reason: say why the scale was not "
                           "used."))
    return {"weight": weight, "unit": step.unit, "keyed": True, "reason": reason}


def _parse_text(step: Step, text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise ValueError(_("Type the answer, then press Enter."))
    if len(text) > step.max_length:
        raise ValueError(_("That is too long: at most {count} characters.", count=step.max_length))
    if step.pattern and not re.fullmatch(step.pattern, text):
        if step.example:
            raise ValueError(_("{text} is not in the right form. It should look like {example}.",
                               text=text, example=step.example))
        raise ValueError(_("{text} is not in the right form.", text=text))
    return text


def _parse_signature(step: Step, raw: dict, run: Run, ctx: Context, settings: dict):
    signers = pending_signers(run, step)
    if not signers:
        raise ValueError(_("This step is already signed."))
    result = ctx.signer
    if not str(raw.get("badge", "")).strip():
        raise ValueError(_("Scan a badge or type a badge number."))
    if result is None or result.needs_pin:
        raise ValueError(_("Type the PIN on the keypad, then press Sign."))
    if not result.ok:
        raise ValueError(result.message)
    employee, wanted = result.employee, signers[0]
    already = run.data.get("_sign", {}).get(step.id, [])
    if employee.id in already:
        raise ValueError(_("{name} has already signed here. A different person must sign as "
                           "{signer}.", name=employee.name, signer=_signer_words(wanted)))
    if not employee.has_any(wanted.roles):
        raise ValueError(_("{name} can't sign as {signer}: it needs a {roles}.",
                           name=employee.name, signer=_signer_words(wanted),
                           roles=role_list(wanted.roles)))
    role = next((r for r in wanted.roles if r in employee.role_set), "admin")
    return {"employee": employee, "signer": wanted, "role": role}


# Roles as a screen names them (the record keeps the role's key).
ROLE_WORDS = {"receiver": _("receiver"), "vault": _("vault"), "runner": _("runner"),
              "counter": _("counter"), "manager": _("manager"), "admin": _("admin")}


def role_list(roles):
    """'receiver or manager', in the reader's language."""
    named = [ROLE_WORDS.get(r, r) for r in roles]
    if len(named) == 1:
        return named[0]
    return _("{first} or {rest}", first=named[0], rest=role_list(roles[1:]))


def _signer_words(signer: Signer):
    """Who a signature is for: its label (a phrase), else its meaning."""
    return signer.label or MEANING_WORDS.get(signer.meaning, signer.meaning)


def submit(run_id: int, step_id: str, rev: int, raw: dict, actor: Employee, station: str,
           settings: dict, workflows) -> Outcome:
    """Take one answer for one step. See the module docstring for what happens, in order.

    An answer carrying a PIN is first judged as a signature attempt (``auth.attempt``), in
    a write transaction of its own: the attempt is kept and counts towards the badge's
    lockout whatever becomes of the step, since a refused step undoes everything it wrote.
    """
    signer = _signature_attempt(raw, station, settings) if raw.get("pin") else None
    if step_writer.in_use():  # a multi-process server: its writer runs the step
        return step_writer.send((run_id, step_id, rev, raw, actor, station, signer))
    return grouped(lambda: _submit(run_id, step_id, rev, raw, actor, station, settings,
                                   workflows, signer))


def write_steps(requests: list[tuple], settings: dict, workflows) -> list[tuple]:
    """The step writer's work (``step_writer``): the steps other processes sent, as
    ``submit`` takes them, in one transaction; each one's (outcome, error).

    An outcome goes back with what the screen needs (the run as the step left it, the words
    and the tone), not the records the step made.
    """

    def step(request):
        run_id, step_id, rev, raw, actor, station, signer = request

        def work():
            outcome = _submit(run_id, step_id, rev, raw, actor, station, settings, workflows,
                              signer)
            return Outcome(outcome.accepted, outcome.message, outcome.tone, outcome.run,
                           extra=outcome.extra)

        return work

    database.connect(reuse_if_open=True)  # the writer's own, kept open between batches
    return together([step(request) for request in requests])


def _signature_attempt(raw: dict, station: str, settings: dict) -> auth.AuthResult | None:
    """A signature's badge + PIN, judged and recorded (see ``submit``); None without a
    badge, which is no attempt."""
    badge = str(raw.get("badge", ""))
    if not badge.strip():
        return None
    return auth.attempt(badge, str(raw.get("pin", "")), station=station, purpose="signature",
                        policy=_policy(settings))


def _submit(run_id, step_id, rev, raw, actor, station, settings, workflows,
            signer: auth.AuthResult | None) -> Outcome:
    """The step's transaction (``grouped`` opens it)."""
    run = _locked_run(run_id)
    workflow = workflows.get(run.workflow)
    stale = _refusal(run, step_id, rev, workflow, actor)
    if stale:
        return _replayed(run, step_id, rev, raw, actor) or Outcome(False, stale, "stale", run)
    # This revision is taken: the run is locked (BEGIN IMMEDIATE on SQLite, FOR UPDATE
    # elsewhere), so a second tab or a double tap with the same rev waits, then is stale.
    run.rev = rev + 1
    step = workflow.step(step_id)
    ctx = Context(actor=actor, station=station, settings=settings, run=run,
                  training=bool(settings.get("training")), signer=signer,
                  reason=" ".join(str(raw.get("reason", "")).split())[:200])
    try:
        with savepoint():
            value = _parse(step, raw, run, ctx, settings, workflow)
            for guard in () if value == BACK else step.guards:
                message = guard(run, value)
                if message:
                    raise ValueError(message)
            return _accept(workflow, step, run, value, raw, ctx)
    except (ValueError, Refuse) as exc:
        run = _locked_run(run.id)  # the effect's in-memory changes were rolled back
        run.rev = rev + 1
        _save(run)
        # A refused answer may be anything anyone typed: kept, but never whole if too big.
        kept = {name: limits.storable(name, value) for name, value in raw.items()}
        event = StepEvent.create(run=run, rev=run.rev, step_id=step.id, kind=step.kind,
                                 value=_storable(kept, None), accepted=False,
                                 message=str(exc), actor=actor, station=station,
                                 at=clock.now())
        ledger.audit("step.refused", f"run:{run.id}",
                     {"step": step.id, "message": str(exc), "event": event.id},
                     actor=actor, station=station)
        offer = getattr(exc.args[0], "offer", None) if exc.args else None
        return Outcome(False, words_of(exc), "error", run, event,
                       extra={"offer": offer} if offer else {})


def _replayed(run: Run, step_id: str, rev: int, raw: dict, actor) -> Outcome | None:
    """The outcome this very answer already had, when it is sent again.

    A screen whose request got no answer (the server restarted, the network dropped) sends
    the same scan again with the same ``scan_id`` and the revision it was first sent at. If
    the first one was taken, its step event is the one at ``rev + 1``; the screen gets that
    outcome again (the scan is not recorded twice, and is not an error to the person).
    """
    scan_id = str(raw.get("scan_id", ""))
    if not scan_id:
        return None
    event = StepEvent.get_or_none(StepEvent.run == run.id, StepEvent.rev == rev + 1)
    if (event is None or event.step_id != step_id or event.actor_id != actor.id
            or (event.value or {}).get("scan_id") != scan_id):
        return None
    if not event.accepted:
        return Outcome(False, Known(event.message), "error", run, event)
    code = (event.value or {}).get("value", "")
    return Outcome(True, _("{code} was recorded before the connection dropped; it is not "
                           "counted twice.", code=code), "ok", run, event)


def _locked_run(run_id: int) -> Run:
    """The run, locked for this write transaction (raises NoSuchRun)."""
    try:
        if is_sqlite():
            return Run.get_by_id(run_id)  # BEGIN IMMEDIATE already holds the whole database
        return locked(Run.select().where(Run.id == run_id)).get()
    except Run.DoesNotExist:
        raise NoSuchRun(f"There is no run {run_id}.") from None


# A run's status as a screen names it (the record keeps the key).
STATUS_WORDS = {"active": _("active"), "completed": _("completed"), "cancelled": _("cancelled")}


def _refusal(run: Run, step_id: str, rev: int, workflow: Workflow | None, actor) -> str:
    if workflow is None:
        return _("This procedure is no longer installed on this kiosk. Ask a manager.")
    if run.status != "active":
        return _("This run is {status}; nothing more can be recorded in it.",
                 status=STATUS_WORDS.get(run.status, run.status))
    if run.version != workflow.version:
        return _("This run was started on version {started} of {title} and this kiosk now has "
                 "version {now}. A manager can cancel it with a reason and start a new one.",
                 started=run.version, title=workflow.title, now=workflow.version)
    if not actor.has_any(workflow.roles):
        return _("{name} may not work on {title}.", name=actor.name, title=workflow.title)
    if step_id != run.current_step or rev != run.rev:
        return _("That was already recorded or the screen was out of date; nothing new was "
                 "saved. Here is the current step.")
    return ""


def _storable(raw: dict, value) -> dict:
    """What goes into StepEvent.value: the input without secrets, plus the typed reading."""
    kept = {k: v for k, v in raw.items() if k not in ("pin",)}
    if isinstance(value, scans.Scan):
        kept["scan"] = {"kind": value.kind, "value": value.value, "fields": value.fields}
    elif isinstance(value, Decimal):
        kept["number"] = str(value)
    elif isinstance(value, Option):
        kept["option"] = value.value
    elif isinstance(value, dict) and "employee" in value:
        kept["signer"] = value["employee"].id
    elif isinstance(value, dict):
        kept.update(value)
    elif isinstance(value, str) and value not in (FINISH, BACK):
        kept["text"] = value
    return kept


def _accept(workflow: Workflow, step: Step, run: Run, value, raw: dict, ctx: Context) -> Outcome:
    now = clock.now()
    event = StepEvent.create(run=run, rev=run.rev, step_id=step.id, kind=step.kind,
                             value=_storable(raw, value), accepted=True, actor=ctx.actor,
                             station=ctx.station, at=now)
    ctx.event = event
    if value == BACK:
        return _go_back(workflow, step, run, event, ctx, now)
    if step.kind == "sign_off":
        # The data as signed goes into the chain with the signature, so `kiosk verify` can
        # compute the record hash again (the run's data moves on after the signing).
        signed_data = json.loads(dumps(run.data))
        signature = Signature.create(
            run=run, step_event=event, step_id=step.id, employee=value["employee"],
            printed_name=value["employee"].name, role=value["role"],
            meaning=value["signer"].meaning, record_hash=record_hash(run),
            station=ctx.station, at=now)
        signed = run.data.setdefault("_sign", {}).setdefault(step.id, [])
        signed.append(value["employee"].id)
        ctx.audit("signature", f"run:{run.id}",
                  {"step": step.id, "signer": value["employee"].id, "meaning":
                   signature.meaning, "record_hash": signature.record_hash,
                   "signature": signature.id, "event": event.id, "data": signed_data})
        if pending_signers(run, step):
            _save(run)
            return Outcome(True, _("Signed by {name}. Next signature, please.",
                                   name=signature.printed_name),
                           "ok", run, event, value)
        value = [Employee.get_by_id(i) for i in signed]
    if step.kind == "print" and value.get("printed") and step.jobs:
        for job in step.jobs(run):
            ctx.print_job(job["device"], job["layout"], job["data"], job.get("copies", 1))
    if value == FINISH and step.kind == "scan" and step.finish:
        ctx.audit("step", f"run:{run.id}", {"step": step.id, "event": event.id, "finish": True})
        return _move_on(workflow, run, step, _next_applicable(
            workflow, run, workflow.index(step.finish)) if step.finish != "__end__" else None,
            event, value, ctx, now)
    if step.effect is not None:
        step.effect(run, value, ctx)
    ctx.audit("step", f"run:{run.id}", {"step": step.id, "event": event.id})
    chosen = value if isinstance(value, Option) else None
    following = _following(workflow, run, step, value, chosen)
    return _move_on(workflow, run, step, following, event, value, ctx, now)


def _go_back(workflow: Workflow, step: Step, run: Run, event: StepEvent, ctx: Context,
             now) -> Outcome:
    """Back to an earlier step: this event supersedes the one that is being changed."""
    target = step.back.step(run) if callable(step.back.step) else step.back.step
    changed = (StepEvent.select(StepEvent.id)
               .where(StepEvent.run == run.id, StepEvent.step_id == target,
                      StepEvent.accepted == True)  # noqa: E712
               .order_by(StepEvent.id.desc()).first())
    if changed is not None:
        ctx.supersede(changed.id)
    for key in step.back.forget:
        run.data.pop(key, None)
    ctx.audit("step.back", f"run:{run.id}", {"step": step.id, "to": target, "event": event.id,
                                             "changes": changed.id if changed else None})
    following = _next_applicable(workflow, run, workflow.index(target))
    ctx.message = _("Back one step: answer it again (the earlier answer stays on the record).")
    return _move_on(workflow, run, step, following, event, BACK, ctx, now)


def _move_on(workflow, run, step, following, event, value, ctx, now) -> Outcome:
    if following is None:
        run.status, run.finished_at = "completed", now
        ctx.audit("run.complete", f"run:{run.id}", {"workflow": run.workflow,
                                                    "data": _data_digest(run)})
        _save(run)
        return Outcome(True, ctx.message or _("{title} is complete.", title=workflow.title),
                       ctx.tone or "done", run, event, value)
    if following.id != step.id:
        run.data.get("_sign", {}).pop(following.id, None)
    run.current_step = following.id
    _save(run)
    return Outcome(True, ctx.message or _("Done."), ctx.tone or "ok", run, event, value)


def _save(run: Run) -> None:
    """Write the run's place, data and revision (hand-written: this runs at every step)."""
    p = database.param
    run.updated_at = clock.now()
    database.execute_sql(
        f"UPDATE run SET current_step = {p}, status = {p}, finished_at = {p}, data = {p}, "
        f"rev = {p}, updated_at = {p} WHERE id = {p}",
        (run.current_step, run.status, Run.finished_at.db_value(run.finished_at),
         Run.data.db_value(run.data), run.rev, Run.updated_at.db_value(run.updated_at), run.id))


def cancel(run_id: int, actor: Employee, station: str, reason: str,
           workflow: Workflow | None = None, settings: dict | None = None) -> Run:
    """Stop a run for good, with who and why (the operator or a manager).

    The cancel is an event of its own; the workflow's ``on_cancel`` runs in the same
    transaction, so what it undoes (its corrections point at this event) is undone with the
    cancel or not at all. Its words, if any, are kept with the run (``_cancel_note``).
    """
    reason = limits.text(reason, limits.REASON, "The reason")
    with write():
        run = _locked_run(run_id)
        if run.status != "active":
            raise ValueError(_("This run is already {status}.",
                               status=STATUS_WORDS.get(run.status, run.status)))
        if actor.id != run.operator_id and not actor.has_any(("manager",)):
            raise PermissionError(_("Only the person who started this run or a manager can "
                                    "cancel it."))
        if not reason:
            raise ValueError(_("Say why the run is cancelled."))
        now = clock.now()
        run.status, run.finished_at, run.rev = "cancelled", now, run.rev + 1
        event = StepEvent.create(run=run, rev=run.rev, step_id=run.current_step, kind="cancel",
                                 value={"reason": reason}, accepted=True, actor=actor,
                                 station=station, at=now)
        if workflow is not None and workflow.on_cancel is not None:
            settings = settings or {}
            ctx = Context(actor=actor, station=station, settings=settings, run=run, event=event,
                          training=bool(settings.get("training")))
            workflow.on_cancel(run, ctx)
            if ctx.message:  # kept whole, to be said in the reader's language
                run.data["_cancel_note"] = keep(ctx.message)
        _save(run)
        Run.update(cancel_reason=reason, cancelled_by=actor).where(Run.id == run.id).execute()
        ledger.audit("run.cancel", f"run:{run.id}", {"reason": reason, "event": event.id,
                                                     "data": _data_digest(run)},
                     actor=actor, station=station)
    return Run.get_by_id(run_id)


def _data_digest(run: Run) -> str:
    """The hash of a finished run's data as ``_save`` writes it, kept in its last entry."""
    return chain_cover.data_digest(Run.data.db_value(run.data))


def check(workflow: Workflow) -> list[str]:
    """Structural problems in a workflow definition (empty when sound)."""
    problems = []
    ids = [s.id for s in workflow.steps]
    if len(set(ids)) != len(ids):
        problems.append("step ids are not unique")
    if not isinstance(workflow.version, int) or not workflow.sop:
        problems.append("needs an integer version and an SOP id")
    for step in workflow.steps:
        if step.kind not in KINDS:
            problems.append(f"{step.id}: unknown kind {step.kind}")
        targets = [step.next, step.finish] + [o.next for o in step.options]
        if step.back is not None:
            targets.append(step.back.step)
            if callable(step.back.step) and not step.back.step.__doc__:
                problems.append(f"{step.id}: its Back needs a docstring")
        for target in targets:
            if isinstance(target, str) and target != "__end__" and target not in ids:
                problems.append(f"{step.id}: next step {target} does not exist")
        if step.kind == "sign_off":
            if not step.signers:
                problems.append(f"{step.id}: a sign-off needs at least one signer")
            for signer in step.signers:
                if not signer.roles or signer.meaning not in MEANINGS:
                    problems.append(f"{step.id}: each signer needs roles and a meaning")
        index = ids.index(step.id)
        before = workflow.steps[index - 1] if index else None
        goes_on = before is None or (before.next is None and not (
            before.options and all(o.next for o in before.options)))
        if step.detour and goes_on:
            problems.append(f"{step.id}: a detour must not be reached by simply going on from "
                            "the step before it")
        if step.kind == "scan" and not step.expect:
            problems.append(f"{step.id}: a scan step must say what it expects")
        if step.kind == "choose" and not step.options and step.options_for is None:
            problems.append(f"{step.id}: a choose step needs options")
        if step.kind == "print" and step.jobs is None:
            problems.append(f"{step.id}: a print step needs jobs")
        for fn in (*step.guards, step.effect, step.skip_if, step.jobs, step.options_for,
                   step.unit_for):
            if fn is not None and (not fn.__doc__ or fn.__name__ == "<lambda>"):
                problems.append(f"{step.id}: {getattr(fn, '__name__', fn)} needs a name and a "
                                "docstring")
    return problems


def describe(workflow: Workflow) -> str:
    """The workflow as a Markdown table a store manager can check against the paper SOP."""
    lines = [f"# {workflow.title} ({workflow.key}, {workflow.sop}, version {workflow.version})",
             "", f"Who: {', '.join(workflow.roles)}", ""]
    if workflow.on_cancel is not None:
        undo = " ".join((workflow.on_cancel.__doc__ or workflow.on_cancel.__name__).split())
        lines += [f"If it is cancelled: {undo}", ""]
    lines += ["| # | Step | Kind | What the person does | Checks | Then | Sign-off |",
              "|---|---|---|---|---|---|---|"]
    for number, step in enumerate(workflow.steps, 1):
        checks = "; ".join((g.__doc__ or g.__name__).strip().splitlines()[0] for g in step.guards)
        if step.kind == "scan":
            checks = "; ".join(filter(None, ["expects " + " or ".join(step.expect), checks]))
        if step.next is None:
            then = "next step"
        elif callable(step.next):
            then = (step.next.__doc__ or step.next.__name__).strip().splitlines()[0]
        else:
            then = step.next
        if step.options:
            then = ", ".join(f"{o.label} → {o.next or 'next'}" for o in step.options)
        elif step.options_for is not None:
            then = (step.options_for.__doc__ or step.options_for.__name__).strip().splitlines()[0]
        if step.finish:
            then += f"; {step.finish_label} → {'end' if step.finish == '__end__' else step.finish}"
        if step.back is not None:
            back = step.back.step
            then += f"; {step.back.label} → " + (back if isinstance(back, str) else
                                                  (back.__doc__ or "").strip().splitlines()[0])
        if step.skip_if is not None:
            then += f" (skipped when: {(step.skip_if.__doc__ or '').strip().splitlines()[0]})"
        if step.detour:
            then += " (only when an earlier answer sends the run here)"
        signoff = "; ".join(f"{s.meaning} by {'/'.join(s.roles)}" for s in step.signers)
        lines.append(f"| {number} | {step.id} | {step.kind} | {step.prompt} | {checks} | "
                     f"{then} | {signoff} |")
    return "\n".join(lines)

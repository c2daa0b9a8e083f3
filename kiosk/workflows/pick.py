"""Pick a request from the queue. SOP §4 "Fulfilment: pick queue and restock", revision 1.

A runner claims a request on the pick queue screen, which starts this procedure. For each
line the kiosk shows which package to take: the one soonest to expire where an expiry is
set, otherwise the oldest by receive date (FEFO before FIFO), with its shelf, the end of its
tag and its received date. The runner scans each package taken:

- a package of an item the request does not ask for is refused, in words;
- a package on hold (quarantine, recall: any status but active) can never be taken;
- a newer package of the right item than the kiosk's choice is refused unless the runner
  chooses why (the reason is kept with the pick).

When the vault has too little, the runner finishes short with a reason, and the screen says
what is missing. An online order's bag gets a label. At the hand-off the runner scans the
sales-floor (or pickup shelf) label, or the budtender scans their badge; in that step's
transaction every package taken moves there, and Metrc (package location) and the POS (stock
moved) are told. The request keeps when it was asked for, claimed, picked and handed off.
"""

from __future__ import annotations

from kiosk import pick_stock, picks, words
from kiosk.engine import FINISH, Option, Refuse, Workflow, choose, print_step, scan
from kiosk.models import Employee, Location, Package, StepEvent
from kiosk.models.picks import IN_HAND, PickRequest
from kiosk.pick_queue import amount, day, line_name, tag_end, titled
from kiosk.words import Known, Number, Phrase, _, joined, n_

PICK_ROLES = ("runner", "vault", "manager")

# Why a runner took a newer package than the kiosk's choice.
TAKE_ANOTHER = (_("The first one is damaged"), _("The first one is not on its shelf"),
                _("The first one can't be reached"), _("The customer asked for this one"))

SHORT = (
    Option("stock", _("Not enough in the vault")),
    Option("damaged", _("Packages are damaged")),
    Option("missing", _("Can't find them on the shelf")),
    Option("stop", _("The store asked to stop")),
    Option("back", _("Go back and keep picking"), next="take"),
)


def the_request(run) -> PickRequest:
    return PickRequest.get_by_id(run.data["request"])


def _open_items(run) -> Phrase:
    names = [line_name(s.line) for s in pick_stock.line_states(run.data["request"]) if s.open]
    if not names:
        return _("nothing more")
    listed = names[-1]
    for name in reversed(names[:-1]):
        listed = _("{first} and {rest}", first=name, rest=listed)
    return listed if isinstance(listed, Phrase) else joined([listed])


def _english_reason(reason: str) -> str:
    """A reason tapped on a screen in another language, kept in English like the rest of
    the record (one typed or not on the list is kept as it is)."""
    for phrase in TAKE_ANOTHER:
        if reason in {words.say(phrase, language) for language in words.LANGUAGES}:
            return str(phrase)
    return reason


# -- taking packages --------------------------------------------------------------------------
def package_is_ours(run, scanned):
    """The tag is one of this store's packages."""
    if scanned == FINISH:
        return None
    if Package.one(tag=scanned.value) is None:
        return _("{tag} is not a package in this store's stock. Check the tag.",
                 tag=scanned.value)
    return None


def never_on_hold(run, scanned):
    """A package on hold (quarantine, recall) can never be picked."""
    if scanned == FINISH:
        return None
    package = Package.one(tag=scanned.value)
    if package.status != "active":
        return _("Package {tag} is {status}: it can never be picked. Set it aside and tell a "
                 "manager.", tag=tag_end(package.tag),
                 status=Known(package.status.replace("_", " ")))
    return None


def asked_for(run, scanned):
    """The package is of an item this request still needs."""
    if scanned == FINISH:
        return None
    package = Package.one(tag=scanned.value)
    if pick_stock.open_line_for(run.data["request"], package.item_id) is not None:
        return None
    name = package.item.name
    if any(s.line.item_id == package.item_id for s in pick_stock.line_states(run.data["request"])):
        return _("You already have enough {item}. Still needed: {items}.", item=name,
                 items=_open_items(run))
    return _("That is {item}, which this request does not ask for. It needs {items}.",
             item=name, items=_open_items(run))


def in_the_vault(run, scanned):
    """The package is on a vault shelf and not already taken for a request."""
    if scanned == FINISH:
        return None
    package = pick_stock.locked_package(scanned.value)  # until this step commits
    place = package.location
    if place is None or place.kind != "vault":
        where = place.name if place else _("nowhere in the ledger")
        return _("Package {tag} is on {place}, not in the vault.", tag=tag_end(package.tag),
                 place=where)
    holder = pick_stock.holder_of(package)
    if holder is not None:
        if holder.id == run.data["request"]:
            return _("Package {tag} is already taken for this request.",
                     tag=tag_end(package.tag))
        return _("Package {tag} is taken for {request} by {name}.", tag=tag_end(package.tag),
                 request=titled(holder), name=picks.holder_name(holder))
    if package.quantity <= 0:
        return _("Package {tag} is empty in the ledger.", tag=tag_end(package.tag))
    return None


def take_package(run, scanned, ctx):
    """Take it, unless it is newer than the kiosk's choice and no reason was chosen."""
    request = the_request(run)
    if request.status not in IN_HAND or request.run_id != run.id:
        raise Refuse(_("This request is no longer yours to pick. Go back to the queue."))
    package = Package.one(tag=scanned.value)
    line = pick_stock.open_line_for(request.id, package.item_id)
    choice = pick_stock.choice_for(line)
    other = choice is not None and choice.id != package.id and (
        line.tag or pick_stock.order_key(package) > pick_stock.order_key(choice))
    if other and not ctx.reason:
        first = _("the one the POS sold") if line.tag else _("the one to take first")
        raise Refuse(_("Not taken: {tag} is not {first}. Take {choice} from {place} (received "
                       "{day}), or choose below why you took this one.",
                       tag=tag_end(package.tag), first=first, choice=tag_end(choice.tag),
                       place=choice.location.name, day=day(choice.received_at)))
    reason = _english_reason(ctx.reason) if other else ""
    everything = pick_stock.take(request, line, package, reason, ctx)
    done = _("Everything is taken.") if everything else _("Next: {items}.",
                                                           items=_open_items(run))
    ctx.message = _("Took {tag} ({item}). {done}", tag=tag_end(package.tag),
                    item=package.item.name, done=done)


def after_taking(run, value):
    """The next package until every line has enough; then on to the hand-off."""
    return "take" if any(s.open for s in pick_stock.line_states(run.data["request"])) else "short"


def picking_screen(run):
    """The package to take (shelf, tag ending, received date), and every line's progress."""
    request = the_request(run)
    states = pick_stock.line_states(request.id)
    facts, warnings = [], []
    for state in states:
        choice = pick_stock.choice_for(state.line) if state.open else None
        if choice is not None and not facts:
            facts = [(_("Take"), _("{item} ({amount} more)", item=state.line.name,
                                   amount=amount(state.missing, state.line.unit))),
                     (_("Shelf"), choice.location.name), (_("Tag ends"), tag_end(choice.tag)),
                     (_("Received"), day(choice.received_at))]
            if choice.expires_on:
                facts.append((_("Expires"), day(choice.expires_on)))
            facts.append((_("In the package"), _in_package(choice)))
        elif state.open and choice is None:
            warnings.append(_("No more {item} can be taken from the vault: {amount} missing. "
                              "Press Finish short to say why.", item=line_name(state.line),
                              amount=amount(state.missing, state.line.unit)))
    for pick in pick_stock.withdrawn_in_run(request.id, run.id):
        warnings.append(_("{reason} Set it aside; it was not counted.",
                          reason=Known(pick.withdraw_reason)))
    if request.note:
        warnings.append(_("Note: {note}", note=request.note))
    shown = {"progress": titled(request),
             "facts": facts, "warnings": warnings, "table": _lines_table(states)}
    reasons = _reasons_for_last_refusal(run, states)
    if reasons:
        shown["reasons"] = reasons
    return shown


def _reasons_for_last_refusal(run, states):
    """After a newer package was refused, the reasons the runner may choose to take it."""
    last = (StepEvent.select().where(StepEvent.run == run.id).order_by(StepEvent.id.desc())
            .first())
    if last is None or last.accepted or last.step_id != "take" or last.value.get("reason"):
        return None
    package = Package.one(tag=str(last.value.get("value", "")).strip().upper())
    if package is None or package.status != "active":
        return None
    line = next((s.line for s in states if s.open and s.line.item_id == package.item_id), None)
    choice = pick_stock.choice_for(line) if line else None
    if choice is None or choice.id == package.id or pick_stock.holder_of(package) is not None:
        return None
    return {"title": _("Why take {tag} instead of {choice}?", tag=tag_end(package.tag),
                       choice=tag_end(choice.tag)),
            "value": package.tag, "options": TAKE_ANOTHER}


def _in_package(package) -> Phrase:
    """"3.5 Grams": how much the package holds, in its unit."""
    value = package.quantity.normalize()
    return _("{number} {unit}", number=Number(value, f"{value:f}"),
             unit=words.UNIT_WORDS.get(package.unit, package.unit))


def _decimal(value) -> Phrase:
    value = value.normalize()
    return joined([Number(value, f"{value:f}")])


def _lines_table(states):
    rows = [(s.line.name if s.line.item_id
             else _("{item} (not in this store's catalogue)", item=line_name(s.line)),
             amount(s.line.quantity, s.line.unit),
             _decimal(s.taken),
             _("done") if s.complete
             else (_("short: {reason}", reason=Known(s.line.short_reason))
                   if s.line.short_reason else _("{number} to take",
                                                 number=Number(s.missing.normalize(),
                                                               f"{s.missing.normalize():f}"))))
            for s in states]
    return {"title": _("This request"),
            "columns": (_("Item"), _("Wanted"), _("Taken"), ""), "rows": rows}


# -- finishing short ----------------------------------------------------------------------------
def nothing_missing(run):
    """Every line has enough."""
    return not any(s.open for s in pick_stock.line_states(run.data["request"]))


def record_short(run, option, ctx):
    """The lines still open are finished short with the reason; with nothing taken at all,
    the request is closed as unfilled."""
    if option.value == "back":
        return
    request = the_request(run)
    reason = option.label
    pick_stock.finish_short(request, reason, ctx)
    if not pick_stock.taken(request.id):
        picks.close(request, "unfilled", _("Nothing could be picked: {reason}.", reason=reason),
                    ctx.actor, ctx.station, end_run=False)
        ctx.message = _("Nothing was picked; the request is closed and the floor can see why.")
        return
    pick_stock.mark_picked(request, ctx)
    ctx.message = _("Finished short ({reason}). Hand off what you have.", reason=reason)


def after_short(run, option):
    """The end when nothing was taken; otherwise the bag label or the hand-off."""
    return "__end__" if the_request(run).status == "unfilled" else "bag_label"


def missing_screen(run):
    """What is missing, line by line."""
    states = pick_stock.line_states(run.data["request"])
    missing = [_("{item}: {amount} missing", item=line_name(s.line),
                 amount=amount(s.missing, s.line.unit))
               for s in states if s.open]
    return {"items": {"title": _("Missing"), "rows": missing}, "table": _lines_table(states)}


# -- the bag label and the hand-off ---------------------------------------------------------------
def not_an_online_order(run):
    """Only online orders are bagged."""
    return the_request(run).kind != "online"


def bag_labels(run):
    """A bag label for every package in an online order's bag."""
    request = the_request(run)
    return [{"device": "label", "layout": "pick_label",
             "data": {"order": request.external_id, "customer": request.customer,
                      "item": pick.package.item.name, "tag": pick.package.tag,
                      "quantity": f"{pick.quantity.normalize():f}", "unit": pick.package.unit,
                      "location": pick.package.location.name if pick.package.location else ""}}
            for pick in pick_stock.taken(request.id)]


def the_right_hand_off(run, scanned):
    """The label of the place the request goes, or the badge of another active person."""
    request = the_request(run)
    destination = Location.one(id=request.destination_id) if request.destination_id else None
    if destination is None:
        return _("This store has no sales floor location to hand off to. Ask a manager.")
    if scanned.kind == "location":
        if scanned.value != destination.code:
            return _("That is not {place}. Scan the {place} label.", place=destination.name)
        return None
    person = Employee.one(badge=scanned.value)
    if person is None or not person.active:
        return _("Badge {badge} is not an active employee's.", badge=scanned.value)
    if person.id == run.operator_id:
        return _("You picked it: the person taking it scans their own badge.")
    return None


def hand_over(run, scanned, ctx):
    """Move every package taken to the floor or the bag and tell Metrc and the POS."""
    request = the_request(run)
    if request.status not in IN_HAND or request.run_id != run.id:
        raise Refuse(_("This request is no longer yours to hand off."))
    destination = Location.get_by_id(request.destination_id)
    person = Employee.one(badge=scanned.value) if scanned.kind == "badge" else None
    moved, held = pick_stock.hand_off(request, destination, person, ctx)
    minutes = int((ctx.event.at - request.requested_at).total_seconds() // 60)
    said = n_("{count} package handed off to {name}", "{count} packages handed off to {name}",
              len(moved), name=person.name if person else destination.name)
    if held:
        said = _("{handed}. Not handed off, on hold: {tags}: take them to quarantine",
                 handed=said, tags=", ".join(tag_end(p.tag) for p in held))
    ctx.message = _("{handed}. {minutes} min from request to hand-off.", handed=said,
                    minutes=minutes)


def hand_off_screen(run):
    """Where it goes and what goes."""
    request = the_request(run)
    destination = Location.one(id=request.destination_id) if request.destination_id else None
    rows = [f"{tag_end(p.package.tag)} {p.package.item.name}"
            for p in pick_stock.taken(request.id)]
    facts = [(_("Hand off at"),
              f"{destination.name} ({destination.code})" if destination else "?")]
    if request.customer:
        facts.append((_("Customer"), request.customer))
    warnings = [_("{reason} Set it aside; it will not be handed off.",
                  reason=Known(pick.withdraw_reason))
                for pick in pick_stock.withdrawn_in_run(request.id, run.id)]
    return {"progress": titled(request), "facts": facts,
            "warnings": warnings, "items": {"title": _("Packages"), "rows": rows}}


def hand_back(run, ctx):
    """The request goes back to the queue at once, and the screen says what to put back."""
    request = the_request(run)
    if request.status not in IN_HAND or request.run_id != run.id:
        return
    ctx.message = picks.put_back_list(request.id)
    reason = (ctx.event.value or {}).get("reason", "")
    picks.release(request, _("{name} stopped picking it ({reason}).", name=ctx.actor.name,
                             reason=Known(reason)), end_run=False)


def summary(run):
    """One line for lists of runs: which request."""
    request = PickRequest.get_or_none(PickRequest.id == run.data.get("request", 0))
    return titled(request) if request else _("Pick")


WORKFLOW = Workflow(
    key="pick",
    title=_("Pick"),
    sop="SOP §4 Fulfilment: pick queue",
    version=1,
    roles=PICK_ROLES,
    description=_("Take what a request asks for from the vault and hand it off."),
    summary=summary,
    on_cancel=hand_back,
    menu=False,
    steps=(
        scan("take", _("Scan each package you take."), expect=("package_tag",),
             guards=(package_is_ours, never_on_hold, asked_for, in_the_vault),
             effect=take_package, next=after_taking, show=picking_screen,
             finish="short", finish_label=_("Finish short…")),
        choose("short", _("Some of this request can't be picked. Why?"), SHORT,
               skip_if=nothing_missing, effect=record_short, next=after_short,
               show=missing_screen),
        print_step("bag_label", _("Print the bag labels and stick them on the bag."),
                   jobs=bag_labels, optional=True, skip_if=not_an_online_order),
        scan("handoff", _("Hand it off: scan the label where it goes, or the budtender scans "
                          "their badge."), expect=("location", "badge"),
             guards=(the_right_hand_off,), effect=hand_over, show=hand_off_screen,
             finish="take", finish_label=_("Go back and take more")),
    ),
)

"""Two-person vault entry and exit. SOP §1 "Vault entry (two-person)", revision 1.

Two different active employees identify themselves with badge and PIN and say why they are
going in; the kiosk logs who, with whom, when, why and at which screen, prints an access
slip, and records the exit the same way when both come out. A signed-in visitor going in
with them is named in the log and on the slip: their badge is scanned (or their name
tapped), and their escort must be one of the two going in. Without a visitor inside, that
step is not asked.
"""

from __future__ import annotations

import datetime as dt

from kiosk import clock, visitors
from kiosk.engine import FINISH, Option, Signer, Workflow, choose, print_step, scan, sign_off
from kiosk.models import Employee, VaultVisit
from kiosk.words import Known, _

VAULT_ROLES = ("vault", "manager", "receiver", "runner", "counter")

PURPOSES = (
    Option("count", _("Cycle count")),
    Option("restock", _("Restock or pick")),
    Option("putaway", _("Put away a delivery")),
    Option("quarantine", _("Quarantine or returns")),
    Option("inspection", _("Inspection or audit")),
    Option("other", _("Other work")),
)


def record_purpose(run, option, ctx):
    """Keep the purpose for the access log."""
    run.data["purpose"] = option.value
    run.data["purpose_label"] = option.label


def record_entry(run, signers, ctx):
    """Both signatures are in: write the access-log entry."""
    first, second = signers
    VaultVisit.create(run=run, purpose=run.data["purpose_label"], station=ctx.station,
                      first_person=first, second_person=second, entered_at=ctx.event.at)
    run.data["entrants"] = [first.id, second.id]
    run.data["entered_at"] = ctx.event.at.isoformat(timespec="seconds")
    ctx.audit("vault.enter", f"run:{run.id}", {"people": [first.id, second.id],
                                               "purpose": run.data["purpose"]})
    ctx.message = _("{first} and {second} are signed into the vault.", first=first.name,
                    second=second.name)


def _visitors_to_take(run) -> list:
    """Visitors inside now, escorted by one of the two going in, not yet taken in."""
    entrants, taken = run.data.get("entrants", []), run.data.get("visitors", [])
    return [v for v in visitors.inside_now()
            if v.escort_id in entrants and v.id not in taken and not visitors.expired(v)]


def nobody_to_take_in(run):
    """No visitor inside now is escorted by one of the two going in (or all are taken)."""
    return not _visitors_to_take(run)


def visitor_may_go_in(run, scanned):
    """The visitor is signed in now, their badge is good today, and their escort is one
    of the two going in (going on without more visitors needs no check)."""
    if scanned == FINISH:
        return None
    visitor = visitors.find(scanned.value)
    if visitor is None:
        return _("{code} is not a visitor badge of this store. Sign the visitor in first (Sign "
                 "a visitor in).", code=scanned.raw.strip())
    if visitors.exit_of(visitor.id) is not None:
        return _("{who} is signed out. Sign them in again to take them in.",
                 who=visitors.who(visitor))
    if visitor.id in run.data.get("visitors", []):
        return _("{who} is already going in with you.", who=visitors.who(visitor))
    if visitors.expired(visitor):
        return _("{who}'s badge was good until {time} on its day. Sign them out and in again.",
                 who=visitors.who(visitor),
                 time=clock.local(visitor.valid_until).strftime("%H:%M"))
    if visitor.escort_id not in run.data.get("entrants", []):
        return _("{who} is escorted by {escort}, who is not going in. {escort} must go in with "
                 "them, or sign them in again with one of you as escort.",
                 who=visitors.who(visitor), escort=visitor.escort.name)
    return None


def take_visitor_in(run, scanned, ctx):
    """The visitor goes in with this entry: named in the access log and on the slip."""
    visitor = visitors.find(scanned.value)
    entry = VaultVisit.one(run=run.id)
    visitors.take_into_vault(entry.id, visitor, ctx.event.at)
    run.data.setdefault("visitors", []).append(visitor.id)
    ctx.audit("vault.visitor", f"run:{run.id}", {"visitor": visitor.id, "code": visitor.code})
    ctx.message = _("{who} goes in with you, escorted by {escort}.", who=visitors.who(visitor),
                    escort=visitor.escort.name)


def visitors_to_take(run):
    """The visitors who may go in (tap one, or scan their badge), and those already in."""
    shown = {}
    rows = [{"value": v.code, "label": visitors.who(v),
             "detail": _("escort {name}", name=v.escort.name)}
            for v in _visitors_to_take(run)]
    if rows:
        shown["choices"] = {"title": _("Signed-in visitors who may go in with you"),
                            "rows": rows}
    taken = [visitors.who(visitors.find(i)) for i in run.data.get("visitors", [])]
    if taken:
        shown["items"] = {"title": _("Going in with you"), "rows": taken}
    return shown


def access_slip(run):
    """The vault access slip: who went in, with whom, why, when, where, and any visitors."""
    people = [Employee.get_by_id(i).name for i in run.data["entrants"]]
    guests = [visitors.find(i) for i in run.data.get("visitors", [])]
    return [{"device": "receipt", "layout": "vault_access_slip",
             "data": {"people": people, "purpose": run.data["purpose_label"],
                      "entered_at": _on_store_clock(run.data["entered_at"]), "station": run.station,
                      "run": run.id,
                      "visitors": [{"name": v.name, "company": v.company, "code": v.code,
                                    "escort": v.escort.name} for v in guests]}}]


def _on_store_clock(utc_text: str) -> str:
    """The slip is read by people: the entry time on the store's clock."""
    return clock.local(dt.datetime.fromisoformat(utc_text)).isoformat(timespec="seconds")


def _listed(names: list[str]):
    """Names in a sentence: "Ana", "Ana and Ben", "Ana and Ben and Cy" (as ever in English)."""
    if len(names) < 2:
        return "".join(names)
    return _("{names} and {last}", names=_listed(names[:-1]), last=names[-1])


def one_of_the_entrants(run, value):
    """Only the two people who went in can sign the exit."""
    if value["employee"].id not in run.data.get("entrants", []):
        names = _listed([Employee.get_by_id(i).name for i in run.data["entrants"]])
        return _("{name} did not sign in. {names} must sign out.",
                 name=value["employee"].name, names=names)
    return None


def record_exit(run, signers, ctx):
    """Both are out: close the access-log entry."""
    VaultVisit.update(exited_at=ctx.event.at).where(VaultVisit.run == run.id).execute()
    ctx.audit("vault.exit", f"run:{run.id}", {"people": [s.id for s in signers]})
    guests = [visitors.find(i).name for i in run.data.get("visitors", [])]
    ctx.message = (_("Vault exit recorded, with {guests}. Thank you.",
                     guests=_listed(guests)) if guests else
                   _("Vault exit recorded. Thank you."))


def summary(run):
    """One line for lists of runs: the purpose."""
    return Known(run.data["purpose_label"]) if "purpose_label" in run.data else \
        _("Choosing purpose")


WORKFLOW = Workflow(
    key="vault_entry",
    title=_("Vault entry"),
    sop="SOP §1 Vault entry (two-person)",
    version=1,
    roles=VAULT_ROLES,
    description=_("Two people sign into the vault with a purpose, and sign out when they "
                  "leave."),
    summary=summary,
    steps=(
        choose("purpose", _("Why are you going into the vault?"), PURPOSES,
               effect=record_purpose),
        sign_off("enter", _("Both people entering: scan your badge and enter your PIN."),
                 signers=(Signer(VAULT_ROLES, "performed", _("first person entering")),
                          Signer(VAULT_ROLES, "witnessed", _("second person entering"))),
                 effect=record_entry),
        scan("visitors", _("Is a visitor going in with you? Scan their visitor badge, or tap "
                           "their name."), expect=("visitor",), guards=(visitor_may_go_in,),
             effect=take_visitor_in, next="visitors", finish="slip",
             finish_label=_("No more visitors: go on"), skip_if=nobody_to_take_in,
             show=visitors_to_take),
        print_step("slip", _("Print the vault access slip."), jobs=access_slip, optional=True),
        sign_off("exit", _("When you have both left the vault, sign out: badge and PIN each."),
                 signers=(Signer(VAULT_ROLES, "performed", _("first person leaving")),
                          Signer(VAULT_ROLES, "witnessed", _("second person leaving"))),
                 guards=(one_of_the_entrants,), effect=record_exit),
    ),
)

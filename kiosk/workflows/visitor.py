"""Sign a visitor into a limited-access area. The visitor log (4 CCR §15042; CO Rule 3-205,
WAC 314-55-083 and like rules), revision 1.

Anyone who is not an employee (a driver, a vendor, a contractor, an inspector) is signed in
before they go past the public area: where they are going (the vault or receiving), their
name, company and why they are here, and the photo ID checked in person (only its kind and
last four characters are kept; never a picture or copy of it). An employee with access to
that area escorts them and signs for them with badge and PIN; nobody escorts more than
five visitors at once. The visitor gets a printed badge (name, company, escort, the day and
until when it is good, and a barcode); scanning it at any screen's home signs them out, as
does "Sign out" on the list of visitors inside. A visitor still inside at closing holds
closing until a manager resolves them (``kiosk/visitors.py``).
"""

from __future__ import annotations

from kiosk import visitors
from kiosk.engine import Back, Option, Signer, Workflow, choose, print_step, sign_off, text
from kiosk.models import Signature
from kiosk.words import Known, _
from kiosk.workflows.receiving import WITNESS_ROLES
from kiosk.workflows.vault_entry import VAULT_ROLES

# Who may escort a visitor in each area: whoever may work there (the vault entry's people;
# receiving's receivers and witnesses).
ESCORTS = {"vault": VAULT_ROLES, "receiving": WITNESS_ROLES}
NAME_MAX = 80  # a person's or a company's name, in characters
NOTE_MAX = 120  # why they are here, in their words

WHERE = (Option("vault", _("The vault")),
         Option("receiving", _("Receiving and the back rooms")))
PURPOSES = (
    Option("delivery", _("Delivering or collecting (driver)"), next="id_kind"),
    Option("vendor", _("Vendor or sales visit"), next="id_kind"),
    Option("contractor", _("Contractor, repair or cleaning"), next="id_kind"),
    Option("inspection", _("Inspection or audit (regulator)"), next="id_kind"),
    Option("other", _("Something else: say what")),
)
ID_KINDS = (
    Option("driver_licence", _("Driver licence")),
    Option("state_id", _("State ID card")),
    Option("passport", _("Passport")),
    Option("other_id", _("Other government photo ID")),
)


def record_area(run, option, ctx):
    """Keep where the visitor is going."""
    run.data["area"] = option.value


def plain_words(run, typed):
    """A name, company or reason: words with letters in them, nothing hidden."""
    if not typed.isprintable():
        return _("That has a hidden character in it. Clear it and type it again.")
    if not any(ch.isalpha() for ch in typed):
        return _("{typed} has no letters in it. Type it in letters, as the visitor says it.",
                 typed=typed)
    return None


def record_name(run, typed, ctx):
    """Keep the visitor's name."""
    run.data["name"] = typed


def record_company(run, typed, ctx):
    """Keep the visitor's company."""
    run.data["company"] = typed


def record_purpose(run, option, ctx):
    """Keep why the visitor is here (Something else asks for the words next)."""
    run.data["purpose"] = option.label if option.value != "other" else ""


def record_purpose_note(run, typed, ctx):
    """Keep why the visitor is here, in their words."""
    run.data["purpose"] = typed


def no_note_needed(run):
    """The purpose was one of the buttons."""
    return bool(run.data.get("purpose"))


def record_id_kind(run, option, ctx):
    """Keep which ID was checked."""
    run.data["id_kind"] = option.label


def record_id_last4(run, typed, ctx):
    """Keep the ID number's last four characters, and nothing else of it."""
    run.data["id_last4"] = typed.upper()


def facts(run):
    """What the escort signs for."""
    data = run.data
    rows = [(_("Going to"), visitors.AREAS.get(data.get("area"), "")),
            (_("Name"), data.get("name", "")), (_("Company"), data.get("company", "")),
            (_("Why"), Known(data.get("purpose", ""))),
            (_("ID checked"), _("{kind} …{last4}", kind=Known(data.get("id_kind", "")),
                                last4=data.get("id_last4", "")))]
    if data.get("code"):
        rows.append((_("Badge"), data["code"]))
    return {"facts": rows}


def escort_has_room(run, value):
    """The escort escorts fewer than five visitors now."""
    escort = value["employee"]
    if visitors.escorting(escort.id) >= visitors.MAX_PER_ESCORT:
        return _("{name} already escorts {count} visitors, the most one person may. Another "
                 "person must escort this visitor, or sign one of them out first.",
                 name=escort.name, count=visitors.MAX_PER_ESCORT)
    return None


def not_to_the_vault(run):
    """The visitor is going to receiving."""
    return run.data.get("area") != "vault"


def not_to_receiving(run):
    """The visitor is going to the vault."""
    return run.data.get("area") != "receiving"


def sign_visitor_in(run, signers, ctx):
    """The escort has signed: the visitor is signed in from this moment."""
    escort = signers[0]
    signature = Signature.one(step_event=ctx.event.id)
    visitor = visitors.sign_in(run, run.data, escort, signature.id, ctx.station, ctx.event.at)
    run.data["visitor"], run.data["code"] = visitor.id, visitor.code
    ctx.message = _("{who} is signed in, escorted by {escort}. Print their badge.",
                    who=visitors.who(visitor), escort=escort.name)


def badge_label(run):
    """The visitor badge: a label to wear, whose barcode signs the visitor out."""
    visitor = visitors.find(run.data["visitor"])
    return [{"device": "label", "layout": "visitor_badge", "data": visitors.badge_data(visitor)}]


def badge_given(run, value, ctx):
    """Say how the visitor is signed out when they leave."""
    ctx.message = _("{name} is signed in with badge {code}. When they leave, scan the badge "
                    "at any screen's home, or sign them out on Visitors inside.",
                    name=run.data["name"], code=run.data["code"])


def sign_out_if_signed_in(run, ctx):
    """A visitor already signed in by this run is signed out with the cancel's reason."""
    if run.data.get("visitor"):
        visitors.cancel_sign_in(run.data["visitor"], ctx.actor, ctx.station,
                                ctx.event.value.get("reason", ""))
        ctx.message = _("{name} was signed in and is now signed out again, because the "
                        "sign-in was cancelled. Take back their badge.", name=run.data["name"])


def summary(run):
    """One line for lists of runs: the visitor."""
    if run.data.get("name"):
        return " · ".join(filter(None, (run.data["name"], run.data.get("company"))))
    return _("Signing a visitor in")


WORKFLOW = Workflow(
    key="visitor",
    title=_("Sign a visitor in"),
    sop="Visitor log (4 CCR §15042)",
    version=1,
    roles=VAULT_ROLES,
    description=_("A driver, vendor, contractor or inspector: name, ID checked, an escort, a "
                  "badge."),
    summary=summary,
    on_cancel=sign_out_if_signed_in,
    steps=(
        choose("area", _("Where is the visitor going?"), WHERE, effect=record_area),
        text("name", _("Type the visitor's full name, as on their ID."), example="Jane Doe",
             max_length=NAME_MAX, guards=(plain_words,), effect=record_name,
             back=Back("area", _("Back: change where"))),
        text("company", _("Type the visitor's company or agency."), example="Golden Coast "
             "Distribution", max_length=NAME_MAX, guards=(plain_words,),
             effect=record_company, back=Back("name", _("Back: change the name"))),
        choose("purpose", _("Why is the visitor here?"), PURPOSES, effect=record_purpose,
               back=Back("company", _("Back: change the company"))),
        text("purpose_note", _("Say why the visitor is here."), example=_("Fire alarm test"),
             max_length=NOTE_MAX, guards=(plain_words,), effect=record_purpose_note,
             skip_if=no_note_needed, back=Back("purpose", _("Back: choose again"))),
        choose("id_kind", _("Check the visitor's photo ID in person. Which ID is it?"),
               ID_KINDS,
               help=_("Look at it, then hand it back: the kiosk keeps no picture or copy of "
                      "it."),
               effect=record_id_kind, back=Back("purpose", _("Back: change why"))),
        text("id_last4", _("Type the last four letters or digits of the ID's number."),
             pattern=r"[A-Za-z0-9]{4}", example="4821", max_length=4, effect=record_id_last4,
             help=_("Only these four are kept, to tell which ID was shown."),
             back=Back("id_kind", _("Back: change the ID"))),
        sign_off("escort_vault", _("The escort signs: badge and PIN. Stay with the visitor "
                                   "until they leave."),
                 signers=(Signer(ESCORTS["vault"], "approved", _("escort in the vault")),),
                 guards=(escort_has_room,), skip_if=not_to_the_vault, effect=sign_visitor_in,
                 show=facts),
        sign_off("escort_receiving", _("The escort signs: badge and PIN. Stay with the "
                                       "visitor until they leave."),
                 signers=(Signer(ESCORTS["receiving"], "approved", _("escort in receiving")),),
                 guards=(escort_has_room,), skip_if=not_to_receiving, effect=sign_visitor_in,
                 show=facts),
        print_step("badge", _("Print the visitor badge and give it to the visitor to wear."),
                   jobs=badge_label, optional=True, effect=badge_given, show=facts),
    ),
)

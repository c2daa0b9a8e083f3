"""Two-person vault entry and exit. SOP §1 "Vault entry (two-person)", revision 1.

Two different active employees identify themselves with badge and PIN and say why they are
going in; the kiosk logs who, with whom, when, why and at which screen, prints an access
slip, and records the exit the same way when both come out.
"""

from __future__ import annotations

import datetime as dt

from kiosk import clock
from kiosk.engine import Option, Signer, Workflow, choose, print_step, sign_off
from kiosk.models import Employee, VaultVisit

VAULT_ROLES = ("vault", "manager", "receiver", "runner", "counter")

PURPOSES = (
    Option("count", "Cycle count"),
    Option("restock", "Restock or pick"),
    Option("putaway", "Put away a delivery"),
    Option("quarantine", "Quarantine or returns"),
    Option("inspection", "Inspection or audit"),
    Option("other", "Other work"),
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
    ctx.message = f"{first.name} and {second.name} are signed into the vault."


def access_slip(run):
    """The vault access slip: who went in, with whom, why, when, where."""
    people = [Employee.get_by_id(i).name for i in run.data["entrants"]]
    return [{"device": "receipt", "layout": "vault_access_slip",
             "data": {"people": people, "purpose": run.data["purpose_label"],
                      "entered_at": _on_store_clock(run.data["entered_at"]), "station": run.station,
                      "run": run.id}}]


def _on_store_clock(utc_text: str) -> str:
    """The slip is read by people: the entry time on the store's clock."""
    return clock.local(dt.datetime.fromisoformat(utc_text)).isoformat(timespec="seconds")


def one_of_the_entrants(run, value):
    """Only the two people who went in can sign the exit."""
    if value["employee"].id not in run.data.get("entrants", []):
        names = " and ".join(Employee.get_by_id(i).name for i in run.data["entrants"])
        return f"{value['employee'].name} did not sign in. {names} must sign out."
    return None


def record_exit(run, signers, ctx):
    """Both are out: close the access-log entry."""
    VaultVisit.update(exited_at=ctx.event.at).where(VaultVisit.run == run.id).execute()
    ctx.audit("vault.exit", f"run:{run.id}", {"people": [s.id for s in signers]})
    ctx.message = "Vault exit recorded. Thank you."


def summary(run):
    """One line for lists of runs: the purpose."""
    return run.data.get("purpose_label", "Choosing purpose")


WORKFLOW = Workflow(
    key="vault_entry",
    title="Vault entry",
    sop="SOP §1 Vault entry (two-person)",
    version=1,
    roles=VAULT_ROLES,
    description="Two people sign into the vault with a purpose, and sign out when they leave.",
    summary=summary,
    steps=(
        choose("purpose", "Why are you going into the vault?", PURPOSES, effect=record_purpose),
        sign_off("enter", "Both people entering: scan your badge and enter your PIN.",
                 signers=(Signer(VAULT_ROLES, "performed", "first person entering"),
                          Signer(VAULT_ROLES, "witnessed", "second person entering")),
                 effect=record_entry),
        print_step("slip", "Print the vault access slip.", jobs=access_slip, optional=True),
        sign_off("exit", "When you have both left the vault, sign out: badge and PIN each.",
                 signers=(Signer(VAULT_ROLES, "performed", "first person leaving"),
                          Signer(VAULT_ROLES, "witnessed", "second person leaving")),
                 guards=(one_of_the_entrants,), effect=record_exit),
    ),
)

"""The verdict on one package at the dock: the conditions it can be in, the reasons it can
be rejected for, which choices its checks allow (accept, accept short or over, reject for
each reason that applies) and the words kept for a rejection. The receiving workflow asks
these on its condition, count and decision screens.
"""

from __future__ import annotations

from decimal import Decimal

from kiosk.engine import Option
from kiosk.manifests import quantity_text

CONDITIONS = (
    Option("intact", "Intact, seal unbroken"),
    Option("damaged", "Damaged", danger=True),
    Option("tampered", "Tampered or seal broken", danger=True),
)

REASONS = {
    "damaged": "Damaged",
    "tampered": "Tampered or seal broken",
    "coa_failed": "Lab test failed",
    "coa_missing": "No COA",
    "potency": "Potency does not match the label",
    "count": "Count does not match the manifest",
    "unordered": "Not on our purchase order",
    "wrong_item": "Wrong item or label",
    "expired": "Expired or too close to expiry",
    "not_delivered": "Not in the delivery",
}


def problems_found(run) -> list[str]:
    """Reason codes that forbid accepting the package."""
    found = [run.data["condition"]] if run.data.get("condition") in ("damaged", "tampered") else []
    found += {"failed": ["coa_failed"], "missing": ["coa_missing"],
              "potency": ["potency"]}.get(run.data["held"]["coa"], [])
    if Decimal(run.data["counted"]) == 0:
        found.append("not_delivered")
    return found


def decision_options(run):
    """Accept (short or over with the count) when nothing forbids it; reject with each reason."""
    held = run.data["held"]
    counted, shipped, unit = Decimal(run.data["counted"]), Decimal(held["shipped"]), held["unit"]
    problems = problems_found(run)
    options = []
    if not problems:
        if counted == shipped:
            options.append(Option("accept", f"Accept {quantity_text(counted, unit)}"))
        elif counted < shipped:
            options.append(Option("short", f"Accept short: {quantity_text(counted)} of "
                                           f"{quantity_text(shipped, unit)}"))
        else:
            extra = quantity_text(counted - shipped)
            options.append(Option("over", f"Accept {quantity_text(counted, unit)} "
                                          f"({extra} more than shipped)"))
    if counted != shipped and "not_delivered" not in problems:
        problems.append("count")
    if held["item"] in run.data.get("unordered", []):
        problems.append("unordered")
    options += [Option(f"reject:{code}", f"Reject: {REASONS[code]}", danger=True)
                for code in problems]
    options.append(Option("reject", "Reject for another reason…", next="reason", danger=True))
    return options


def reason_words(run, line, code: str) -> str:
    """The words kept for a rejection: the kiosk's own finding when it has one."""
    held = run.data["held"]
    found = {"coa_failed": "failed", "coa_missing": "missing", "potency": "potency"}
    if found.get(code) == held["coa"]:
        return held["coa_message"]
    if code == "count" and Decimal(run.data["counted"]) != Decimal(held["shipped"]):
        return (f"Count does not match: {quantity_text(run.data['counted'])} counted, "
                f"{quantity_text(line.shipped_quantity)} shipped")
    return REASONS[code]

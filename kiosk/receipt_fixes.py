"""The corrections reconciliation sends Metrc: the receipts it should hold so that it
agrees with the POS on a package (``kiosk/reconciliation.py`` finds the differences).

A package Metrc holds too few of gets the missing units added to the Metrc receipt of the
POS's own receipt number, or a new receipt at the time of its last sale; one Metrc holds too
many of is taken off its receipts, those of a voided POS sale first, then those no POS
receipt matches, and a receipt left with nothing is voided. Fixes are worked out from what
the receipts will hold once the fixes already sent land (``MetrcReceipt.corrected``), so two
fixes of one receipt build on each other; each is one outbox message, and those of one
receipt go in order.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kiosk import clock
from kiosk.models import MetrcReceipt
from kiosk.models.reconciliation import DayDifference
from kiosk.models.sync import PosSale
from kiosk.reconciliation import amount_text, q, standing
from kiosk.words import Phrase, _, joined


def _sold(receipt_lines: list[dict], tag: str) -> Decimal:
    return sum((q(line["quantity"]) for line in receipt_lines if line["tag"] == tag),
               Decimal(0))


def metrc_time(at: dt.datetime) -> str:
    """A naive-UTC time as Metrc's ``SalesDateTime``: the facility's clock, no offset."""
    return clock.local(at.replace(microsecond=0)).isoformat(timespec="milliseconds")


def _changed(lines: list[dict], tag: str, by: Decimal, unit: str, amount: Decimal
             ) -> list[dict]:
    """``lines`` with ``tag``'s quantity changed by ``by`` (a line added or dropped)."""
    out, done = [], False
    for line in lines:
        if line["tag"] == tag and not done:
            done = True
            quantity = q(line["quantity"]) + by
            if quantity > 0:
                share = q(line["amount"]) * quantity / q(line["quantity"]) if q(
                    line["quantity"]) else amount
                out.append({**line, "quantity": str(quantity),
                            "amount": str(share.quantize(Decimal("0.01")))})
            continue
        out.append(line)
    if not done and by > 0:
        out.append({"tag": tag, "quantity": str(by), "unit": unit, "amount": str(amount)})
    return out


def plan(difference: DayDifference) -> list[dict]:
    """The receipts Metrc should hold so that it agrees with the POS on this package, as
    operations: ``{"op": "create"|"update"|"void", "receipt", "lines", "sold_at", ...}``;
    empty when nothing can be worked out from the receipts (explain or escalate it then).

    Worked out from the receipts as they will stand once fixes already sent land, so two
    fixes of one receipt (two packages of one voided cart) build on each other."""
    tag, unit = difference.tag, difference.unit
    held = _held(difference)
    now_metrc = sum((_sold(standing(r), tag) for r in held), Decimal(0))
    delta = q(difference.pos) - now_metrc
    if delta == 0:
        return []
    sales = [p for p in difference.detail.get("pos", []) if p[1] == "sale"]
    voided = {p[0] for p in difference.detail.get("pos", []) if p[1] == "void"}
    per_unit = _unit_price(difference)
    if delta > 0:
        mine = [r for r in held if r.external_number in {p[0] for p in sales}]
        if mine:
            receipt = mine[-1]
            return [_update(receipt, _changed(standing(receipt), tag, delta, unit,
                                              per_unit * delta))]
        last = (PosSale.select(PosSale.sold_at)
                .where(PosSale.tag == tag, PosSale.kind == "sale",
                       PosSale.receipt.in_([p[0] for p in sales] or [""]))
                .order_by(PosSale.sold_at.desc()).first())
        at = last.sold_at if last else clock.store_day_bounds(difference.day,
                                                              difference.day)[0]
        return [{"op": "create", "sold_at": metrc_time(at),
                 "lines": [{"tag": tag, "quantity": str(delta), "unit": unit,
                            "amount": str((per_unit * delta).quantize(Decimal("0.01")))}]}]
    need, ops = -delta, []
    order = sorted((r for r in held if _sold(standing(r), tag) > 0),
                   key=lambda r: (r.external_number not in voided, r.external_number in
                                  {p[0] for p in sales}, -r.sold_at.timestamp()))
    for receipt in order:
        take = min(need, _sold(standing(receipt), tag))
        left = _changed(standing(receipt), tag, -take, unit, Decimal(0))
        ops.append(_update(receipt, left) if left else {"op": "void",
                                                        "receipt": receipt.metrc_id})
        need -= take
        if need == 0:
            return ops
    return []


def _held(difference: DayDifference) -> list[MetrcReceipt]:
    """The day's receipts a fix of this package may touch: those that held it when it was
    compared, and those of the POS's own receipt numbers for it (not voided in Metrc)."""
    ids = [m[0] for m in difference.detail.get("metrc", [])]
    numbers = [p[0] for p in difference.detail.get("pos", [])]
    return list(MetrcReceipt.select().where(
        MetrcReceipt.sold_on == difference.day, MetrcReceipt.archived == False,  # noqa: E712
        MetrcReceipt.metrc_id.in_(ids or [0]) | MetrcReceipt.external_number.in_(numbers or [""]))
        .order_by(MetrcReceipt.sold_at))


def _unit_price(difference: DayDifference) -> Decimal:
    sold = PosSale.select().where(PosSale.tag == difference.tag, PosSale.kind == "sale",
                                  PosSale.amount.is_null(False)).order_by(PosSale.id.desc())
    for sale in sold.limit(1):
        if q(sale.quantity):
            return q(sale.amount) / q(sale.quantity)
    return Decimal(0)


def _update(receipt: MetrcReceipt, lines: list[dict]) -> dict:
    return {"op": "update", "receipt": receipt.metrc_id, "lines": lines,
            "sold_at": receipt.sold_local, "external_number": receipt.external_number,
            "customer_type": receipt.customer_type}


# What a plan sends Metrc, each as the first words of a button and as the words after it.
PLAN_WORDS = {
    "create": (_("Send Metrc a receipt for {amount}"), _("send Metrc a receipt for {amount}")),
    "void": (_("Void Metrc receipt {receipt}"), _("void Metrc receipt {receipt}")),
    "update": (_("Fix Metrc receipt {receipt} to {amount}"),
               _("fix Metrc receipt {receipt} to {amount}")),
    "take_off": (_("Take …{tag} off Metrc receipt {receipt}"),
                 _("take …{tag} off Metrc receipt {receipt}")),
}


def plan_words(difference: DayDifference, ops: list[dict]) -> Phrase:
    """One button's words for a plan: what Metrc will be sent."""
    parts = []
    for op in ops:
        first = 0 if not parts else 1
        if op["op"] == "create":
            said = PLAN_WORDS["create"][first]
            args = {"amount": amount_text(q(op["lines"][0]["quantity"]), difference.unit)}
        elif op["op"] == "void":
            said, args = PLAN_WORDS["void"][first], {"receipt": op["receipt"]}
        else:
            now = _sold(op["lines"], difference.tag)
            said, args = ((PLAN_WORDS["update"][first],
                           {"receipt": op["receipt"], "amount": amount_text(now, difference.unit)})
                          if now else
                          (PLAN_WORDS["take_off"][first],
                           {"receipt": op["receipt"], "tag": difference.tag[-6:]}))
        parts.append(Phrase(said.message, args))
    return joined(parts, "; ")


def send_plan(difference: DayDifference, ops: list[dict], ctx) -> list[str]:
    """Queue the plan's messages for Metrc (in the step's transaction) and remember what
    each fixed receipt will hold; returns the messages' keys."""
    keys = []
    for number, op in enumerate(ops, 1):
        key = f"run{ctx.run.id}-ev{ctx.event.id}-{number}"
        if op["op"] == "create":
            ctx.outbox("metrc", "sale.receipt", {"sold_at": op["sold_at"], "lines": op["lines"],
                                                 "customer_type": "Consumer",
                                                 "tag": difference.tag},
                       ordering_key="", key=key)
        else:
            payload = {"receipt_id": op["receipt"], "tag": difference.tag}
            if op["op"] == "update":
                payload.update(sold_at=op["sold_at"], lines=op["lines"],
                               external_number=op["external_number"],
                               customer_type=op["customer_type"])
            ctx.outbox("metrc", f"sale.receipt.{op['op']}", payload,
                       ordering_key=f"receipt-{op['receipt']}", key=key)
            MetrcReceipt.update(corrected=op.get("lines", [])).where(
                MetrcReceipt.metrc_id == op["receipt"]).execute()
        keys.append(key)
    return keys

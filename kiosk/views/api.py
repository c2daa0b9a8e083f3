"""Inbound webhooks from the POS: sales (for reconciliation), its inventory figures (for
cycle counts) and pick requests.

These are machine requests, not browser ones: instead of the CSRF token they must carry an
HMAC signature (``X-Kiosk-Signature``, see ``kiosk.sync.pos``) made with the shared POS
secret and no older than five minutes. Anything unsigned, wrongly signed or stale is refused
with 401 and nothing is stored.
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, request

from kiosk import picks
from kiosk.sync import pos

bp = Blueprint("api", __name__, url_prefix="/api")


def _verified():
    """The decoded JSON body, or a refusal response."""
    body = request.get_data()
    problem = pos.verify(str(current_app.config["KIOSK"].get("pos_secret") or ""),
                         request.headers.get(pos.SIGNATURE_HEADER), body)
    if problem:
        return None, (jsonify(error=f"Refused: {problem}."), 401)
    try:
        data = json.loads(body)
    except ValueError:
        return None, (jsonify(error="The body is not JSON."), 400)
    if not isinstance(data, dict):
        return None, (jsonify(error="The body must be a JSON object."), 400)
    return data, None


@bp.post("/pos/sales")
def sales():
    """``{"receipt", "sold_at", "lines": [{"tag", "quantity", "unit", "amount"}]}``"""
    data, refusal = _verified()
    if refusal:
        return refusal
    try:
        lines = data.get("lines") or []
        if not lines:
            raise ValueError("a sale needs at least one line")
        new = sum(pos.record_sale("webhook", data.get("receipt", ""), line.get("tag", ""),
                                  line.get("quantity"), data.get("sold_at"),
                                  unit=line.get("unit") or "Each", amount=line.get("amount"))
                  for line in lines)
    except (ValueError, AttributeError, TypeError) as exc:
        return jsonify(error=f"Not stored: {exc}."), 400
    return jsonify(ok=True, new=new)


@bp.post("/pos/inventory")
def inventory():
    """``{"as_of", "lines": [{"tag", "quantity", "unit", "room"}]}``: what the POS holds."""
    data, refusal = _verified()
    if refusal:
        return refusal
    lines = data.get("lines")
    if not isinstance(lines, list) or not lines:
        return jsonify(error="Not stored: an inventory report needs at least one line."), 400
    try:
        kept, older = pos.record_inventory("webhook", lines, data.get("as_of"))
    except ValueError as exc:
        return jsonify(error=f"Not stored: {exc}."), 400
    return jsonify(ok=True, kept=kept, older=older)


@bp.post("/pos/pick-requests")
def pick_requests():
    """``{"id", "lines": [{"tag" or "item", "quantity"}], "note", "requested_at", "kind":
    "sale" | "online" | "restock", "priority": "normal" | "urgent", "customer"}``: a request
    for the vault's live pick queue (``kiosk.picks``). The same id again changes nothing."""
    data, refusal = _verified()
    if refusal:
        return refusal
    try:
        requested_at = data.get("requested_at")
        _, new = picks.intake(data.get("id"), data.get("lines"), kind=data.get("kind") or "sale",
                              priority=data.get("priority"), note=str(data.get("note") or ""),
                              customer=str(data.get("customer") or ""),
                              requested_at=pos.when(requested_at) if requested_at else None,
                              training=bool(current_app.config["KIOSK"].get("training")))
    except ValueError as exc:
        return jsonify(error=f"Not stored: {exc}."), 400
    return jsonify(ok=True, new=new)


@bp.post("/pos/pick-requests/cancel")
def cancel_pick_request():
    """``{"id", "reason"}``: the POS withdrew an order; its request leaves the queue."""
    data, refusal = _verified()
    if refusal:
        return refusal
    try:
        done = picks.cancel_from_pos(data.get("id"), str(data.get("reason") or ""))
    except LookupError as exc:
        return jsonify(error=f"Not found: {exc}."), 404
    return jsonify(ok=True, result=done)

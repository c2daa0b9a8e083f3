"""Inbound webhooks from the POS: sales (for reconciliation), its inventory figures (for
cycle counts) and pick requests.

These are machine requests, not browser ones: instead of the CSRF token they must carry an
HMAC signature (``X-Kiosk-Signature``, see ``kiosk.sync.pos``) made with the shared POS
secret and no older than five minutes. Anything unsigned, wrongly signed or stale is refused
with 401 and nothing is stored. Anyone on the store's network can post here, so the
signature header's size and the body's are checked before the body is read, and a signed
body must still have the shape ``pos_schema`` gives it (400 with the reason otherwise).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from kiosk import db, engine, limits, picks, words
from kiosk.sync import pos, pos_schema
from kiosk.views.language import store_language
from kiosk.words import Known, _

bp = Blueprint("api", __name__, url_prefix="/api")


# A body larger than any form, and a whole store's inventory larger still.
BODY_CAPS = {"api.inventory": limits.INVENTORY_BODY}


@bp.before_request
def _room_for_a_report():
    request.max_content_length = BODY_CAPS.get(request.endpoint, limits.WEBHOOK_BODY)


def _refusal(message, status: int):
    """A refusal for the POS, in the store's language (no person reads it on a screen)."""
    return jsonify(error=words.say(message, store_language())), status


def _words(exc: Exception):
    """An exception's words, a phrase where it was raised as one."""
    said = engine.words_of(exc)
    return said if isinstance(said, words.Phrase) else Known(str(exc))


@bp.errorhandler(413)
def _too_large(exc):
    return _refusal(_("Refused: the body is larger than {size} bytes.",
                      size=str(request.max_content_length)), 413)


def _verified(schema: dict):
    """The body as ``schema`` allows it, or a refusal response."""
    header = request.headers.get(pos.SIGNATURE_HEADER) or ""
    if not header or len(header) > limits.SIGNATURE_HEADER:
        return None, _refusal(_("Refused: the request is not signed."), 401)
    if request.content_length is None:
        return None, _refusal(_("Refused: send the body with a Content-Length."), 411)
    if request.content_length > request.max_content_length:
        return None, _too_large(None)  # before a byte of it is read
    body = request.get_data()
    problem = pos.verify(str(current_app.config["KIOSK"].get("pos_secret") or ""), header,
                         body)
    if problem:
        return None, _refusal(_("Refused: {problem}.", problem=problem), 401)
    try:
        return pos_schema.read(body, schema), None
    except ValueError as exc:
        return None, _refusal(_("Not stored: {problem}.", problem=_words(exc)), 400)


@bp.post("/pos/sales")
def sales():
    """``{"receipt", "sold_at", "lines": [{"tag", "quantity", "unit", "amount"}]}``"""
    data, refusal = _verified(pos_schema.SALE)
    if refusal:
        return refusal
    try:
        with db.write():  # every line or none: a refused line undoes the ones before it
            new = sum(pos.record_sale("webhook", data["receipt"], line["tag"],
                                      line["quantity"], data["sold_at"],
                                      unit=line.get("unit") or "Each",
                                      amount=line.get("amount"))
                      for line in data["lines"])
    except ValueError as exc:
        return _refusal(_("Not stored: {problem}.", problem=_words(exc)), 400)
    return jsonify(ok=True, new=new)


@bp.post("/pos/inventory")
def inventory():
    """``{"as_of", "lines": [{"tag", "quantity", "unit", "room"}]}``: what the POS holds."""
    data, refusal = _verified(pos_schema.INVENTORY)
    if refusal:
        return refusal
    try:
        kept, older = pos.record_inventory("webhook", data["lines"], data.get("as_of"))
    except ValueError as exc:
        return _refusal(_("Not stored: {problem}.", problem=_words(exc)), 400)
    return jsonify(ok=True, kept=kept, older=older)


@bp.post("/pos/pick-requests")
def pick_requests():
    """``{"id", "lines": [{"tag" or "item", "quantity"}], "note", "requested_at", "kind":
    "sale" | "online" | "restock", "priority": "normal" | "urgent", "customer"}``: a request
    for the vault's live pick queue (``kiosk.picks``). The same id again changes nothing."""
    data, refusal = _verified(pos_schema.PICK)
    if refusal:
        return refusal
    try:
        requested_at = data.get("requested_at")
        _request, new = picks.intake(
            data.get("id"), data.get("lines"), kind=data.get("kind") or "sale",
            priority=data.get("priority"), note=str(data.get("note") or ""),
            customer=str(data.get("customer") or ""),
            requested_at=pos.when(requested_at) if requested_at else None,
            training=bool(current_app.config["KIOSK"].get("training")))
    except ValueError as exc:
        return _refusal(_("Not stored: {problem}.", problem=_words(exc)), 400)
    return jsonify(ok=True, new=new)


@bp.post("/pos/pick-requests/cancel")
def cancel_pick_request():
    """``{"id", "reason"}``: the POS withdrew an order; its request leaves the queue."""
    data, refusal = _verified(pos_schema.WITHDRAW)
    if refusal:
        return refusal
    try:
        done = picks.cancel_from_pos(data.get("id"), str(data.get("reason") or ""))
    except LookupError as exc:
        return _refusal(_("Not found: {problem}.", problem=_words(exc)), 404)
    return jsonify(ok=True, result=done)

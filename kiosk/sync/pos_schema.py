"""What the POS may send to the kiosk's webhooks, as JSON Schema, and the check of a body.

The schemas say the shape: which fields, their types, how long text may be and that it holds
no control characters. What a quantity may be in its unit (range and decimals) is
``limits.quantity``'s rule, applied where a line is stored (``pos.record_sale``,
``pos.record_pick``), so a sales report imported as CSV meets the same rule. Each leaf says
in its ``description`` what it must be; that is the reason a refusal gives.
"""

from __future__ import annotations

import json
from decimal import Decimal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from kiosk import limits

_PLAIN_TEXT = r"^[^\x00-\x1f\x7f-\x9f]*$"


def _text(cap: int, required: bool = True) -> dict:
    return {"type": "string", "minLength": int(required), "maxLength": cap,
            "pattern": _PLAIN_TEXT,
            "description": f"text of {'1 to ' if required else 'at most '}{cap} characters "
                           "without control characters"}


_TAG = {"type": "string", "pattern": "^[0-9A-Za-z]{24}$",
        "description": "a 24-character package tag"}
_QUANTITY = {"type": ["number", "string"], "description": "a number (or one in quotes)"}
_TIME = {**_text(limits.TIME), "description": "an ISO 8601 date and time"}
_UNIT = _text(limits.UNIT)

SALE = {
    "type": "object",
    "description": "a sale: an object with receipt, sold_at and lines",
    "required": ["receipt", "sold_at", "lines"],
    "additionalProperties": False,
    "properties": {
        "receipt": _text(limits.RECEIPT),
        "sold_at": _TIME,
        "lines": {"type": "array", "minItems": 1, "maxItems": 500,
                  "description": "a list of 1 to 500 lines",
                  "items": {"type": "object", "required": ["tag", "quantity"],
                            "additionalProperties": False,
                            "description": "a line with a tag and a quantity",
                            "properties": {"tag": _TAG, "quantity": _QUANTITY, "unit": _UNIT,
                                           "amount": {**_QUANTITY,
                                                      "type": ["number", "string", "null"]}}}},
    },
}

PICK = {
    "type": "object",
    "description": "a pick request: an object with id and lines",
    "required": ["id", "lines"],
    "additionalProperties": False,
    "properties": {
        "id": _text(limits.RECEIPT),
        "note": _text(limits.NOTE, required=False),
        "customer": _text(limits.NAME, required=False),
        "kind": {"enum": ["sale", "online", "restock", None],
                 "description": "sale, online or restock"},
        "priority": {"enum": ["normal", "urgent", "", None],
                     "description": "normal or urgent"},
        "requested_at": {**_TIME, "type": ["string", "null"]},
        "lines": {"type": "array", "minItems": 1, "maxItems": 50,
                  "description": "a list of 1 to 50 lines",
                  "items": {"type": "object", "required": ["quantity"],
                            "additionalProperties": False,
                            "description": "a line with a tag or an item, and a quantity",
                            "anyOf": [{"required": ["tag"]}, {"required": ["item"]}],
                            "properties": {"tag": _TAG, "item": _text(limits.NAME),
                                           "quantity": _QUANTITY, "unit": _UNIT}}},
    },
}

WITHDRAW = {
    "type": "object",
    "description": "a withdrawal: an object with the request's id and why",
    "required": ["id"],
    "additionalProperties": False,
    "properties": {"id": _text(limits.RECEIPT), "reason": _text(limits.REASON, required=False)},
}

INVENTORY = {
    "type": "object",
    "description": "an inventory report: an object with lines",
    "required": ["lines"],
    "additionalProperties": False,
    "properties": {
        "as_of": {**_TIME, "type": ["string", "null"]},
        "lines": {"type": "array", "minItems": 1, "maxItems": limits.INVENTORY_LINES,
                  "description": f"a list of 1 to {limits.INVENTORY_LINES:,} lines",
                  "items": {"type": "object", "required": ["tag", "quantity"],
                            "additionalProperties": False,
                            "description": "a line with a tag and a quantity",
                            "properties": {"tag": _TAG, "quantity": _QUANTITY, "unit": _UNIT,
                                           "room": _text(limits.NAME, required=False)}}},
    },
}

_VALIDATORS = {id(schema): Draft202012Validator(schema) for schema in (SALE, PICK, WITHDRAW,
                                                                       INVENTORY)}


def _where(path: list) -> str:
    """A place in the body as the POS's people would say it: "line 2: tag", "receipt"."""
    if len(path) >= 2 and path[0] == "lines" and isinstance(path[1], int):
        rest = ".".join(str(p) for p in path[2:])
        return f"line {path[1] + 1}" + (f": {rest}" if rest else "")
    return ".".join(str(p) for p in path) or "the body"


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number")


def read(body: bytes, schema: dict) -> dict:
    """The body as the schema allows it (numbers as Decimal, never float); ValueError with
    the reason otherwise."""
    try:
        data = json.loads(body, parse_float=Decimal, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    except ValueError as exc:  # not JSON, not UTF-8, NaN or Infinity, a 5,000-digit number
        raise ValueError(f"the body is not JSON we can read ({limits.excerpt(exc, 80)})"
                         ) from None
    error = best_match(_VALIDATORS[id(schema)].iter_errors(data))
    if error is not None:
        where = _where(list(error.path))
        description = error.schema.get("description") if isinstance(error.schema, dict) else ""
        if description and error.validator not in ("required", "additionalProperties"):
            raise ValueError(f"{where} must be {description}, not "
                             f"{limits.excerpt(json.dumps(error.instance, default=str), 40)}")
        raise ValueError(f"{where}: {limits.excerpt(error.message, 160)}")
    return data

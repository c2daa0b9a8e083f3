"""The base model every record uses, and a JSON field that works on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from decimal import Decimal

import peewee

from kiosk.db import database


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def dumps(value) -> str:
    """Canonical JSON: sorted keys, no spaces (hashes depend on it being stable)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_default)


class JSONField(peewee.TextField):
    """JSON stored as text, so the same schema runs on SQLite and PostgreSQL."""

    def db_value(self, value):
        return None if value is None else dumps(value)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class QuantityField(peewee.DecimalField):
    """Stock quantities: 4 decimal places (grams to the milligram-ish, units as whole numbers)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 4)
        kwargs.setdefault("auto_round", True)
        super().__init__(**kwargs)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False

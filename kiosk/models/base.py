"""The base model every record uses, and a JSON field that works on SQLite and PostgreSQL.

A scan runs a dozen statements, and peewee builds each one's SQL afresh from expression
objects, which cost several times what the database takes to run it. So the statements every
step runs (``Model.one``, ``Model.create``, following a foreign key) are written out once per
shape and reused. They are plain, portable SQL: double-quoted names and the driver's own
parameter mark.
"""

from __future__ import annotations

import json
from decimal import Decimal

import peewee

from kiosk.db import database, is_sqlite


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


_compiled: dict[tuple, str] = {}  # (model, shape, parameter mark) -> SQL


def _columns(model) -> str:
    return ", ".join(f'"{f.column_name}"' for f in model._meta.sorted_fields)


def _select_sql(model, shape: tuple) -> str:
    p = database.param
    key = (model, "one", shape, p)
    sql = _compiled.get(key)
    if sql is None:
        fields = model._meta.fields
        where = " AND ".join(
            f'"{fields[name].column_name}" ' + ("IS NULL" if is_null else f"= {p}")
            for name, is_null in shape)
        sql = _compiled[key] = (f'SELECT {_columns(model)} FROM "{model._meta.table_name}" '
                                f"WHERE {where} LIMIT 1")
    return sql


def _insert_sql(model, names: tuple, returning: str | None) -> str:
    p = database.param
    key = (model, "insert", names, returning, p)
    sql = _compiled.get(key)
    if sql is None:
        fields = model._meta.fields
        sql = (f'INSERT INTO "{model._meta.table_name}" '
               f'({", ".join(chr(34) + fields[n].column_name + chr(34) for n in names)}) '
               f"VALUES ({', '.join([p] * len(names))})")
        if returning:
            sql += f' RETURNING "{returning}"'
        _compiled[key] = sql
    return sql


class Relation(peewee.ForeignKeyAccessor):
    """Following a foreign key (``package.location``) loads the row with ``Model.one``."""

    def get_rel_instance(self, instance):
        key = instance.__data__.get(self.name)
        if self.name in instance.__rel__ or key is None or not self.field.lazy_load:
            return super().get_rel_instance(instance)
        related = self.rel_model.one(**{self.field.rel_field.name: key})
        if related is None:
            raise self.rel_model.DoesNotExist(f"{self.rel_model.__name__} {key} does not exist")
        instance.__rel__[self.name] = related
        return related


class ForeignKey(peewee.ForeignKeyField):
    """A foreign key whose related row is loaded by a compiled statement."""

    accessor_class = Relation


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False

    @classmethod
    def one(cls, **equals):
        """The first row whose fields equal ``equals`` (None means IS NULL), or None."""
        shape = tuple((name, value is None) for name, value in equals.items())
        fields = cls._meta.fields
        params = [fields[name].db_value(value) for name, value in equals.items()
                  if value is not None]
        row = database.execute_sql(_select_sql(cls, shape), params).fetchone()
        return None if row is None else cls.from_row(row)

    @classmethod
    def from_row(cls, row):
        """An instance from a row of all columns in field order, as peewee itself builds one
        (filling ``__data__`` directly rather than through each field's setter)."""
        found = cls.__new__(cls)
        found.__data__ = {f.name: (None if value is None else f.python_value(value))
                          for f, value in zip(cls._meta.sorted_fields, row, strict=True)}
        found._dirty = set()
        found.__rel__ = {}
        return found

    @classmethod
    def get_by_id(cls, key):
        found = cls.one(**{cls._meta.primary_key.name: key})
        if found is None:
            raise cls.DoesNotExist(f"{cls.__name__} {key} does not exist")
        return found

    @classmethod
    def create(cls, **values):
        """Insert one row (defaults filled as peewee fills them) and return it."""
        made = cls(**values)
        data = made.__data__
        key = cls._meta.primary_key
        auto = bool(cls._meta.auto_increment) and data.get(key.name) is None
        names = tuple(n for n in cls._meta.sorted_field_names
                      if n in data and not (auto and n == key.name))
        fields = cls._meta.fields
        sqlite = is_sqlite()
        cursor = database.execute_sql(
            _insert_sql(cls, names, key.column_name if auto and not sqlite else None),
            [fields[n].db_value(data[n]) for n in names])
        if auto:
            made._pk = cursor.lastrowid if sqlite else cursor.fetchone()[0]
        made._dirty.clear()
        return made

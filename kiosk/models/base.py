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


class DecimalField(peewee.DecimalField):
    """A decimal that reads back the same from either database: PostgreSQL's NUMERIC
    returns the column's scale (``22.00``) where SQLite returns what was stored (``22``),
    and the figure goes on labels, slips and messages as written. So trailing zeros are
    dropped, never the digits of a whole number (``100`` stays ``100``)."""

    def python_value(self, value):
        value = super().python_value(value)
        if value is None:
            return None
        plain = value.normalize()
        return plain.quantize(Decimal(1)) if plain.as_tuple().exponent > 0 else plain


class QuantityField(DecimalField):
    """Stock quantities: 4 decimal places (grams to the milligram-ish, units as whole numbers)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 4)
        kwargs.setdefault("auto_round", True)
        super().__init__(**kwargs)


_compiled: dict[tuple, str] = {}  # (model, shape, parameter mark) -> SQL


def _columns(model) -> str:
    return ", ".join(f'"{f.column_name}"' for f in model._meta.sorted_fields)


def _where(model, shape: tuple, table: str = "") -> str:
    p, fields = database.param, model._meta.fields
    return " AND ".join(f'{table}"{fields[name].column_name}" '
                        + ("IS NULL" if is_null else f"= {p}") for name, is_null in shape)


def _select_sql(model, shape: tuple) -> str:
    key = (model, "one", shape, database.param)
    sql = _compiled.get(key)
    if sql is None:
        sql = _compiled[key] = (f'SELECT {_columns(model)} FROM "{model._meta.table_name}" '
                                f"WHERE {_where(model, shape)} LIMIT 1")
    return sql


def _joined_sql(model, relation: str, shape: tuple) -> str:
    key = (model, "with", relation, shape, database.param)
    sql = _compiled.get(key)
    if sql is None:
        fk = model._meta.fields[relation]
        other = fk.rel_model
        columns = ", ".join([f'a."{f.column_name}"' for f in model._meta.sorted_fields]
                            + [f'b."{f.column_name}"' for f in other._meta.sorted_fields])
        sql = _compiled[key] = (
            f'SELECT {columns} FROM "{model._meta.table_name}" AS a JOIN '
            f'"{other._meta.table_name}" AS b ON b."{fk.rel_field.column_name}" = '
            f'a."{fk.column_name}" WHERE {_where(model, shape, "a.")} LIMIT 1')
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


_readers: dict[type, tuple] = {}  # model -> ((field name, conversion or None), ...)
_kept_as_is: dict[type, frozenset] = {}  # model -> names of fields the driver takes as they are


def _as_stored(field) -> bool:
    """True where the driver gives and takes the field's Python value as it is (integers and
    text, on SQLite and PostgreSQL alike), so a row need not go through the field for it."""
    if isinstance(field, peewee.ForeignKeyField):
        field = field.rel_field
    return (type(field).python_value is peewee.Field.python_value
            and type(field).db_value is peewee.Field.db_value
            and isinstance(field, peewee.IntegerField | peewee.CharField | peewee.TextField))


def _reader(model) -> tuple:
    readers = _readers.get(model)
    if readers is None:
        readers = _readers[model] = tuple(
            (f.name, None if _as_stored(f) else f.python_value) for f in model._meta.sorted_fields)
    return readers


def _params(model, data: dict, names: tuple) -> list:
    """The values of ``names`` as the driver takes them (an int or a str of a plain integer or
    text field as it is; everything else through its field)."""
    plain = _kept_as_is.get(model)
    if plain is None:
        plain = _kept_as_is[model] = frozenset(
            f.name for f in model._meta.sorted_fields if _as_stored(f))
    fields, values = model._meta.fields, []
    for name in names:
        value = data[name]
        if value is not None and not (name in plain and type(value) in (int, str)):
            value = fields[name].db_value(value)
        values.append(value)
    return values


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
        shape, params = cls._shape(equals)
        row = database.execute_sql(_select_sql(cls, shape), params).fetchone()
        return None if row is None else cls.from_row(row)

    @classmethod
    def one_with(cls, relation: str, **equals):
        """As ``one``, with the record its foreign key ``relation`` names read in the same
        statement (a join), so following it costs no second query. A row whose key names
        no record is not found, as with any inner join."""
        shape, params = cls._shape(equals)
        row = database.execute_sql(_joined_sql(cls, relation, shape), params).fetchone()
        if row is None:
            return None
        split = len(cls._meta.sorted_fields)
        found = cls.from_row(row[:split])
        found.__rel__[relation] = cls._meta.fields[relation].rel_model.from_row(row[split:])
        return found

    @classmethod
    def _shape(cls, equals: dict) -> tuple[tuple, list]:
        shape = tuple((name, value is None) for name, value in equals.items())
        return shape, _params(cls, equals, tuple(n for n, is_null in shape if not is_null))

    @classmethod
    def from_row(cls, row):
        """An instance from a row of all columns in field order, as peewee itself builds one
        (filling ``__data__`` directly rather than through each field's setter, and
        converting only the values the driver does not already give as they are kept)."""
        found = cls.__new__(cls)
        found.__data__ = {name: value if read is None or value is None else read(value)
                          for (name, read), value in zip(_reader(cls), row, strict=True)}
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
        """Insert one row (defaults filled as peewee fills them) and return it.

        ``values`` name fields, or foreign keys by their column (``run_id``); a related
        record given for a foreign key is kept on the new one, as peewee keeps it.
        """
        meta = cls._meta
        data, related = meta.get_default_dict(), {}
        for name, value in values.items():
            field = meta.combined.get(name)
            if field is None:
                raise TypeError(f"{cls.__name__} has no field {name}")
            if isinstance(field, peewee.ForeignKeyField) and isinstance(value, field.rel_model):
                related[field.name] = value
                value = getattr(value, field.rel_field.name)
            data[field.name] = value
        made = cls.__new__(cls)
        made.__data__, made._dirty, made.__rel__ = data, set(), related
        key = meta.primary_key
        auto = bool(cls._meta.auto_increment) and data.get(key.name) is None
        names = tuple(n for n in cls._meta.sorted_field_names
                      if n in data and not (auto and n == key.name))
        sqlite = is_sqlite()
        cursor = database.execute_sql(
            _insert_sql(cls, names, key.column_name if auto and not sqlite else None),
            _params(cls, data, names))
        if auto:
            data[key.name] = cursor.lastrowid if sqlite else cursor.fetchone()[0]
        return made

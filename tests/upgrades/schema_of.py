"""A database's schema as the database itself reports it (SQLite or PostgreSQL)."""

from __future__ import annotations


def schema(database) -> dict[str, dict]:
    """Every table's columns (type, null, primary key), indexes (columns, unique) and
    foreign keys."""
    found = {}
    for table in database.get_tables():
        found[table] = {
            "columns": {c.name: (c.data_type.lower(), c.null, c.primary_key)
                        for c in database.get_columns(table)},
            "indexes": {(tuple(i.columns), i.unique) for i in database.get_indexes(table)},
            "foreign keys": {(k.column, k.dest_table, k.dest_column)
                             for k in database.get_foreign_keys(table)},
        }
    return found

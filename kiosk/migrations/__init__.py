"""Numbered schema migrations, applied in order by ``kiosk db upgrade``.

Each module is ``NNNN_name.py`` with ``up(database)``. Numbers are never reused or edited
once released; a change to a shipped table is a new migration.
"""

"""Numbered schema migrations, applied in order by ``kiosk db upgrade``.

Each module is ``NNNN_name.py`` with ``up(database)``. Numbers are never reused or edited
once released; a change to a shipped table is a new migration. A migration makes its tables
from its own frozen copy of their fields (``frozen``), never from ``kiosk.models``, which move
on; ``tests/upgrades`` checks that the migrations make exactly the models' tables.
"""

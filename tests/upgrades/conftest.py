"""An empty database of either kind the kiosk runs on."""

from __future__ import annotations

import pytest

from kiosk import db


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request, tmp_path):
    """Makes empty databases of one kind (each call another): SQLite files in the test's
    folder, or databases on the real PostgreSQL server the tests start."""
    made = []

    def make() -> str:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / f'kiosk-{len(made)}.db'}"
        else:
            url = request.getfixturevalue("new_postgres_database")()
        made.append(url)
        return url

    yield make
    if db.database.obj is not None:
        if not db.database.is_closed():
            db.database.close()
        if hasattr(db.database.obj, "close_all"):
            db.database.obj.close_all()

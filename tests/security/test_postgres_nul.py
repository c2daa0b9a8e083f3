"""On PostgreSQL a NUL character cannot even be sent in a query (the driver raises), so any
that got past the checks was a 500. Each place anyone can type one is tried here."""

from __future__ import annotations

import pytest
from attacks import SECRET, Screen, feedback, signed, to_step

from kiosk import db, demo
from kiosk.models import LoginAttempt, StepEvent

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(postgres_url, tmp_path, fixed_clock):
    db.init(postgres_url)
    db.upgrade()
    with db.connection():
        demo.build(packages=4)
    yield {"database": postgres_url, "secret_key": "test", "station": "receiving-1",
           "pos_secret": SECRET, "label_printer": f"file://{tmp_path / 'spool'}",
           "receipt_printer": f"file://{tmp_path / 'spool'}", "metrc_url": "http://127.0.0.1:9"}
    db.database.close_all()


def test_nul_characters_are_refused_before_they_reach_postgresql(app, kiosk):
    kiosk.http.set_cookie("kiosk_session", "abc\x00")
    assert kiosk.get("/").status_code == 200
    assert feedback(kiosk.post("/login/badge", {"value": "1002\x00"}))["tone"] == "error"
    assert feedback(kiosk.post("/login/pin", {"badge": "1002\x00", "pin": "1"}))["tone"] == \
        "error"
    screen = Screen(kiosk).login()
    assert kiosk.get("/packages/1A4050100000000000005001%00/label").status_code == 404
    to_step(screen, "paper_manifest", "driver")
    assert "hidden control character" in screen.refused(value="Dana\x00Reyes")
    assert "hidden control character" in screen.refused(value="Dana", source="typed\x00")
    to_step(screen, "vault_entry", "enter")
    assert "hidden control character" in screen.refused(badge="1003", pin="3456\x00")
    sale = {"receipt": "R\x00", "sold_at": "2026-11-23T12:00:00Z",
            "lines": [{"tag": "1A4050100000000000005001", "quantity": 1}]}
    assert signed(app.test_client(), "/api/pos/sales", sale).status_code == 400
    with db.connection():
        refused = StepEvent.select().where(StepEvent.accepted == False).count()  # noqa: E712
        assert refused == 3 and LoginAttempt.select().count() == 1  # Ben's own login

"""The manager's sync screen: what is waiting, what needs a person, retry and resolve."""

from __future__ import annotations

import datetime as dt

import pytest
from bs4 import BeautifulSoup

from kiosk import clock, db
from kiosk.models import AuditEntry, OutboxMessage
from kiosk.models.sync import Discrepancy

TAG = "1A4060300003779000000011"


@pytest.fixture
def manager(kiosk, make_employee):
    make_employee("Femi Adeyemi", "1006", "6789", "manager,vault")
    kiosk.login("1006", "6789")
    return kiosk


def test_only_managers_see_the_sync_screen(kiosk, make_employee):
    make_employee("Ana Reyes", "1001", "1234", "receiver")
    kiosk.login("1001", "1234")
    assert kiosk.get("/manager/sync").status_code == 403


def test_the_screen_shows_backlog_age_health_and_refusals(manager, message, fixed_clock):
    refused = message("package.adjust", {"tag": TAG, "quantity": -1, "reason": "Bogus"})
    message("package.note", {"tag": "1A4060300003779000000012", "note": "x"})
    with db.write():
        OutboxMessage.update(status="attention", last_error="Metrc refused this for "
                             f"{TAG}: Adjustment reason 'Bogus' is not valid for this facility."
                             ).where(OutboxMessage.id == refused.id).execute()
    # Age the backlog (moving the clock instead would end the manager's idle session).
    with db.write():
        OutboxMessage.update(created_at=clock.now() - dt.timedelta(hours=19)).execute()
    page = manager.get("/manager/sync").get_data(as_text=True)
    assert 'id="sync-pending">1<' in page and 'id="sync-attention">1<' in page
    assert "19 h 0 min" in page and "the state's deadline is 24 h" in page
    assert "Adjustment reason &#39;Bogus&#39; is not valid for this facility." in page
    assert "kept, not counted" not in page, "no POS message is kept"
    message("stock.moved", {"tag": TAG, "location": "Sales Floor"}, target="pos")
    page = manager.get("/manager/sync").get_data(as_text=True)
    assert ("Not sent: no POS configured (KIOSK_POS is none); 1 kept, not counted as "
            "waiting.") in page
    assert 'id="sync-pending">1<' in page, "a POS that is switched off is no backlog"
    with db.write():
        OutboxMessage.update(created_at=clock.now() - dt.timedelta(hours=25)).execute()
    page = manager.get("/manager/sync").get_data(as_text=True)
    assert "past the state's 24 h deadline" in page


def test_resolve_needs_a_reason_and_records_who(manager, message, reload, fixed_clock):
    m = message("package.adjust", {"tag": TAG, "quantity": -1, "reason": "Bogus"})
    with db.write():
        OutboxMessage.update(status="attention", last_error="refused").where(
            OutboxMessage.id == m.id).execute()
    page = manager.post(f"/manager/sync/messages/{m.id}/resolve", {"why": "  "})
    assert "Say why" in page.get_data(as_text=True) and reload(m).status == "attention"
    page = manager.post(f"/manager/sync/messages/{m.id}/resolve",
                        {"why": "Entered by hand in Metrc"})
    assert "Resolved" in page.get_data(as_text=True)
    assert reload(m).status == "resolved" and reload(m).resolved_note == "Entered by hand in Metrc"
    entry = AuditEntry.get(AuditEntry.action == "sync.resolve")
    assert entry.actor_name == "Femi Adeyemi"


def test_retry_queues_a_parked_message_again(manager, message, reload, fixed_clock):
    m = message("package.note", {"tag": TAG, "note": "x"})
    with db.write():
        OutboxMessage.update(status="attention", last_error="refused").where(
            OutboxMessage.id == m.id).execute()
    manager.post(f"/manager/sync/messages/{m.id}/retry", {})
    assert reload(m).status == "pending" and reload(m).next_attempt_at == clock.now()
    assert AuditEntry.get(AuditEntry.action == "sync.retry").actor_name == "Femi Adeyemi"


def test_a_read_back_difference_is_shown_until_resolved(manager, fixed_clock):
    with db.write():
        d = Discrepancy.create(manifest_number="0000104501", tag=TAG, field="received quantity",
                               ours="98", theirs="100", detected_at=clock.now())
    page = manager.get("/manager/sync").get_data(as_text=True)
    assert f"Package {TAG}: we recorded received quantity 98, Metrc shows 100." in page
    manager.post(f"/manager/sync/differences/{d.id}/resolve", {"why": "Recounted: 100"})
    page = manager.get("/manager/sync").get_data(as_text=True)
    assert "Metrc shows 100" not in page
    assert Discrepancy.get_by_id(d.id).resolved_note == "Recounted: 100"


def test_pull_now_says_when_metrc_did_not_answer(manager, fixed_clock):
    page = manager.post("/sync/pull", {"fragment": "sentence"}).get_data(as_text=True)
    assert "Metrc did not answer; showing what we had at no earlier pull." in page


def test_the_screen_says_why_each_waiting_message_waits(manager, sync_settings, sandbox, message,
                                                        fixed_clock):
    from kiosk.sync.sandbox_data import tag
    from kiosk.sync.worker import Worker

    worker = Worker(sync_settings)
    refused = message("package.location", {"tag": tag(12), "location_name": "The Moon"})
    worker.drain()
    first = message("package.note", {"tag": tag(11), "note": "first"})
    behind = message("package.location", {"tag": tag(11), "location_name": "Vault A2"})
    sandbox.faults.rate_limited, sandbox.faults.retry_after = 1, 40
    worker.drain()
    at = clock.local(clock.now() + dt.timedelta(seconds=40)).strftime("%H:%M:%S")

    def why(m) -> str:
        page = BeautifulSoup(manager.get("/manager/sync").data, "html.parser")
        row = page.select_one(f"#waiting-{m.id} .why") or page.select_one(
            f"#message-{m.id} .error-text")
        return row.get_text(" ", strip=True)

    assert why(first) == f"Metrc is rate-limiting us: next try at {at}"
    assert why(behind) == f"waiting behind message {first.id} for the same package"
    assert why(refused) == (f"needs a person: Metrc refused this for {tag(12)}: Location "
                            "'The Moon' does not exist.")
    page = BeautifulSoup(manager.get("/manager/sync").data, "html.parser")
    assert page.select_one(f"#waiting-{first.id}").get_text(" ", strip=True).startswith(
        f"Message {first.id} · Note · package {tag(11)} · to Metrc:")

    sandbox.faults.errors_500 = 10 ** 6
    fixed_clock.advance(seconds=40)
    for pause in (0.5, 1.0):
        worker.drain()
        fixed_clock.advance(seconds=pause)
    worker.drain()
    assert why(first) == "paused: Metrc answered 500 three times; probing every 5 s"
    page = BeautifulSoup(manager.get("/manager/sync").data, "html.parser")
    assert page.select_one("#target-metrc").get_text(" ", strip=True) == (
        "Metrc 3 Paused: Metrc answered 500 three times; probing every 5 s. Last error: "
        "Metrc had a server error (500): An error has occurred.")

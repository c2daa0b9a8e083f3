"""Bounded input: bodies are refused before they are read, every field is capped by what it
holds, hidden characters are refused in words, and what anyone may type before logging in
reaches the records only as a short, cut, escaped excerpt."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from attacks import SECRET, feedback, signed, to_step
from bs4 import BeautifulSoup

from kiosk import auth, clock, db, demo, limits, scans
from kiosk.models import AuditEntry, LoginAttempt, OutboxMessage, Run, StepEvent
from kiosk.sync import pos

FIFTY_MB = 50 * 1024 * 1024
TEMPLATES = Path(__file__).resolve().parents[2] / "kiosk" / "templates"


class CountingStream(io.RawIOBase):
    """A request body of ``size`` bytes that counts what the app reads of it."""

    def __init__(self, size: int):
        self.size, self.position, self.read_bytes = size, 0, 0

    def readable(self):
        return True

    def seekable(self):  # the test client measures the stream by seeking, without reading
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = base + offset
        return self.position

    def tell(self):
        return self.position

    def readinto(self, buffer):
        n = max(0, min(len(buffer), self.size - self.position))
        buffer[:n] = b"x" * n
        self.position += n
        self.read_bytes += n
        return n


def _records() -> tuple[int, int, int]:
    return AuditEntry.select().count(), LoginAttempt.select().count(), StepEvent.select().count()


def test_a_50_mb_login_is_refused_unread_and_nothing_is_recorded(kiosk, store):
    before = _records()
    stream = CountingStream(FIFTY_MB)
    response = kiosk.http.post("/login/pin", input_stream=stream, content_length=FIFTY_MB,
                               content_type="application/x-www-form-urlencoded",
                               headers=kiosk.headers())
    assert response.status_code == 413
    assert stream.read_bytes == 0
    assert "nothing was saved" in response.get_data(as_text=True)
    assert _records() == before


def test_a_login_badge_that_is_not_a_badge_is_never_looked_up_or_recorded(kiosk, store):
    before = _records()
    for badge in ("x" * 15000, "1002\x00", "EMP-" + "9" * 40, "1002; DROP TABLE employee"):
        response = kiosk.post("/login/pin", {"badge": badge, "pin": "2345"})
        assert feedback(response)["tone"] == "error"
        assert auth.NOT_A_BADGE in response.get_data(as_text=True)
    for pin in ("2" * (limits.PIN + 1), "2345\x00", "23\u202e45"):
        response = kiosk.post("/login/pin", {"badge": "1002", "pin": pin})
        assert feedback(response)["tone"] == "error"
        assert auth.NOT_A_PIN in response.get_data(as_text=True)
    assert _records() == before


def test_an_unknown_badge_is_recorded_as_a_short_escaped_excerpt(database, fixed_clock):
    typed = "\x00\x1b[31m\\x07" + "A" * 100_000
    with db.write():
        result = auth.authenticate(typed, "1234", station="receiving-1")
    assert not result.ok
    attempt = LoginAttempt.get()
    entry = AuditEntry.select().order_by(AuditEntry.seq.desc()).get()
    assert attempt.badge.startswith("\\x00\\x1b[31m\\\\x07AAA")
    assert attempt.badge.endswith("… (100010 characters)")
    assert len(attempt.badge) <= limits.BADGE + 30
    assert entry.subject == f"badge:{attempt.badge}"
    stored = json.dumps(entry.detail) + entry.subject + result.message
    assert "\x00" not in stored and "\x1b" not in stored and len(stored) < 400


def test_a_reason_is_capped_and_a_refused_one_is_kept_only_in_part(screen):
    to_step(screen, "receiving", "transport")
    too_long = "torn seal " * 30  # 300 characters
    message = screen.refused(value="fail", reason=too_long)
    assert message == "The reason is too long: at most 200 characters, please."
    kept = StepEvent.select().where(StepEvent.accepted == False).get()  # noqa: E712
    assert kept.value["reason"].startswith("torn seal") and len(kept.value["reason"]) < 240
    assert "stopped" not in screen.run.data
    # The same reason, the length a person types, is taken.
    taken = feedback(screen.answer(value="fail", reason="Seal on case 3 is torn"))
    assert taken["tone"] == "warn", taken  # recorded, and a problem: amber
    assert screen.run.data["stopped"] == "Seal on case 3 is torn"


def test_a_megabyte_reason_never_reaches_the_home_screen(screen):
    to_step(screen, "receiving", "transport")
    response = screen.answer(value="fail", reason="R" * (1024 * 1024))
    assert response.status_code == 413
    home = screen.kiosk.get("/").get_data(as_text=True)
    assert "RRRR" not in home and len(home) < 50_000


@pytest.mark.parametrize("hidden", ["\x00", "\x07", "\x7f", "\u202e", "\x1b[2J"])
def test_hidden_characters_are_refused_in_words(screen, hidden):
    to_step(screen, "paper_manifest", "driver")
    message = screen.refused(value=f"Dana{hidden}Reyes")
    assert message == ("The answer has a hidden control character in it. Clear it and try "
                       "again.")
    assert "driver" not in screen.run.data
    for field in ("reason", "source", "note"):
        assert "hidden control character" in screen.refused(value="Dana Reyes",
                                                            **{field: f"x{hidden}"})


def test_every_field_of_a_step_is_capped(screen):
    to_step(screen, "vault_entry", "enter")
    for field, cap in (("badge", limits.BADGE), ("pin", limits.PIN), ("source", 16),
                       ("note", limits.NOTE), ("value", limits.ANSWER)):
        message = screen.refused(**{field: "1" * (cap + 1)})
        assert f"too long: at most {cap} characters" in message, field
    events = StepEvent.select().where(StepEvent.accepted == False)  # noqa: E712
    assert all(len(json.dumps(e.value)) < 700 for e in events)


def test_a_scan_that_is_too_long_or_carries_control_characters_is_refused(screen):
    to_step(screen, "receiving", "delivery")
    assert "too long for a code" in screen.refused(value="1" * (limits.SCAN + 1))
    assert "hidden control character" in screen.refused(value="MAN-0000205101\x00")
    assert screen.run.current_step == "delivery"
    with pytest.raises(scans.ScanError, match="no barcode here carries"):
        scans.parse("EMP-1002\x00", ("badge",))
    # GS1's separator is the one control character a scan carries.
    gs1 = scans.parse("]C101" + demo.demo_upc(1).zfill(14) + "10LOT7\x1d21S9", ("gs1",))
    assert gs1.fields == {"01": demo.demo_upc(1).zfill(14), "10": "LOT7", "21": "S9"}


def test_cancelling_a_run_caps_the_reason(screen):
    to_step(screen, "receiving", "transport")
    run = screen.run
    response = screen.kiosk.post(f"/runs/{run.id}/cancel", {"reason": "x" * 201})
    assert feedback(response)["message"] == ("The reason is too long: at most 200 characters, "
                                             "please.")
    assert Run.get_by_id(run.id).status == "active"
    screen.kiosk.post(f"/runs/{run.id}/cancel", {"reason": "Driver left"})
    assert Run.get_by_id(run.id).cancel_reason == "Driver left"


def test_the_sync_screens_reason_is_capped(kiosk, store):
    kiosk.login("1006", "6789")  # Femi Adeyemi, manager
    with db.write():
        parked = OutboxMessage.create(target="metrc", kind="package.location", payload={},
                                      external_key="k1", status="attention",
                                      next_attempt_at=clock.now(), created_at=clock.now(),
                                      last_error="Metrc refused it (400)")
    page = kiosk.post(f"/manager/sync/messages/{parked.id}/resolve", {"why": "w" * 201})
    assert "too long: at most 200 characters" in page.get_data(as_text=True)
    page = kiosk.post(f"/manager/sync/messages/{parked.id}/resolve", {"why": "bad\x00"})
    assert "hidden control character" in page.get_data(as_text=True)
    assert OutboxMessage.get_by_id(parked.id).status == "attention"


def test_typing_fields_stop_where_the_server_does(screen):
    """The in-page keyboard stops at a field's maxlength: in every template, each typing
    field's matches the server's cap for it (written out, so a scan's page looks nothing
    up for it)."""
    caps = {"reason": str(limits.REASON), "why": str(limits.REASON),
            "value": str(limits.SCAN), "note": str(limits.REASON), "q": str(limits.SEARCH),
            "name": str(limits.NAME)}
    fields = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        page = BeautifulSoup(template.read_text(), "html.parser")
        fields += [(template.name, i["name"], i.get("maxlength"))
                   for i in page.select("input[data-typing]")]
    assert {(name, field) for name, field, _ in fields} >= {
        ("_step.html", "reason"), ("_step_confirm.html", "reason"), ("_step_print.html", "reason"),
        ("_step_scan.html", "value"), ("_step_text.html", "value"), ("_body.html", "why")}
    for name, field, maxlength in fields:
        wanted = {"_step_text.html": "{{ step.max_length }}",
                  "day.html": "40"}.get(name) or caps[field]  # the report's: a package tag
        assert maxlength == wanted, (name, field)
    to_step(screen, "receiving", "transport")
    page = BeautifulSoup(screen.kiosk.get(f"/runs/{screen.run_id}").data, "html.parser")
    assert [i.get("maxlength") for i in page.select("input[data-typing]")] == ["200", "200"]


def test_an_unsigned_200_mb_webhook_body_is_refused_unread(app, store):
    client = app.test_client()
    size = 200 * 1024 * 1024
    unsigned = CountingStream(size)
    response = client.post("/api/pos/sales", input_stream=unsigned, content_length=size,
                           content_type="application/json")
    assert response.status_code == 401 and unsigned.read_bytes == 0
    looks_signed = CountingStream(size)
    response = client.post("/api/pos/sales", input_stream=looks_signed, content_length=size,
                           content_type="application/json",
                           headers={pos.SIGNATURE_HEADER: pos.sign(SECRET, b"{}")})
    assert response.status_code == 413 and looks_signed.read_bytes == 0
    assert "larger than" in response.get_json()["error"]


def test_an_oversized_signature_header_is_refused_before_the_body_is_read(app, store):
    client = app.test_client()
    body = CountingStream(1000)
    response = client.post("/api/pos/sales", input_stream=body, content_length=1000,
                           content_type="application/json",
                           headers={pos.SIGNATURE_HEADER: "t=1,v1=" + "a" * 10_000})
    assert response.status_code == 401 and body.read_bytes == 0


def test_a_signed_body_just_over_the_webhook_cap_is_refused(app, store):
    sale = {"receipt": "R-1", "sold_at": "2026-11-23T12:00:00Z", "pad": "x" * limits.WEBHOOK_BODY,
            "lines": [{"tag": "1A4050100000000000005001", "quantity": 1}]}
    assert signed(app.test_client(), "/api/pos/sales", sale).status_code == 413


def test_a_webhook_body_without_a_length_is_refused_unread(app, store):
    body = CountingStream(1000)
    response = app.test_client().post(
        "/api/pos/sales", input_stream=body, content_type="application/json",
        headers={pos.SIGNATURE_HEADER: pos.sign(SECRET, b"{}"), "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 411 and body.read_bytes == 0

"""No 500s from input: each input that crashed the kiosk gets a plain answer instead."""

from __future__ import annotations

import json

import pytest
from attacks import SECRET, signed, to_step

from kiosk.models import PosSale, Run
from kiosk.sync import pos

BEYOND_64_BITS = str(2**64)


@pytest.fixture
def manager(kiosk, store):
    kiosk.login("1006", "6789")  # Femi Adeyemi
    return kiosk


@pytest.mark.parametrize("number", [BEYOND_64_BITS, "9" * 30, "9" * 5000, "١٢"])
def test_record_numbers_beyond_64_bits_are_not_found(manager, number):
    for url in (f"/runs/{number}", f"/manager/printing/{number}",
                f"/manager/printing/runs/{number}", f"/manager/printing/{number}/row"):
        assert manager.get(url).status_code == 404, url
    for url in (f"/runs/{number}/steps/delivery", f"/runs/{number}/cancel",
                f"/manager/printing/{number}/retry", f"/manager/sync/messages/{number}/resolve"):
        assert manager.post(url, {"value": "1", "reason": "x"}).status_code == 404, url


def test_a_resume_number_beyond_64_bits_is_ignored(screen):
    to_step(screen, "receiving", "transport")
    response = screen.kiosk.post("/logout", {"reason": "idle", "resume": BEYOND_64_BITS})
    assert screen.kiosk.http.get_cookie("kiosk_resume") is None
    screen.kiosk.http.set_cookie("kiosk_resume", BEYOND_64_BITS)
    response = screen.kiosk.login("1002", "2345")
    assert response.headers["HX-Redirect"] == "/"


@pytest.mark.parametrize("dates", [{"from": "0001-01-01"}, {"from": "9999-12-31"},
                                   {"from": "9999-12-31", "to": "9999-12-31"},
                                   {"to": "0001-01-01"}, {"from": "2026-02-30"},
                                   {"from": "x" * 5000}])
def test_vault_log_dates_nobody_means_show_a_notice(manager, dates):
    response = manager.get("/manager/vault-log", query_string=dates)
    assert response.status_code == 200
    assert "is not a date between 2000-01-01 and 2099-12-31" in response.get_data(as_text=True)


def test_a_signature_header_with_400_digits_is_refused(app, store):
    body = json.dumps({"receipt": "R-1"}).encode()
    for header in ("t=" + "9" * 400 + ",v1=00", "t=-" + "9" * 12 + ",v1=00", "t=1e9,v1=0",
                   "t=" + "\u0661" * 5 + ",v1=0", ",,,=,=", "v1=" + "0" * 64):
        response = signed(app.test_client(), "/api/pos/sales", body, header=header)
        assert response.status_code == 401, header
    assert pos.verify(SECRET, "t=" + "9" * 400 + ",v1=00", body) == \
        "the signature header is too long"


def test_json_nested_100000_deep_is_refused(app, store):
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
        response = signed(app.test_client(), "/api/pos/pick-requests", body)
        assert response.status_code in (400, 413)
    deep = b"[" * 50_000 + b"]" * 50_000
    response = signed(app.test_client(), "/api/pos/sales", deep)
    assert response.status_code == 400
    assert response.get_json()["error"] == "Not stored: the JSON is nested too deeply."


@pytest.mark.parametrize("constant", [b"Infinity", b"-Infinity", b"NaN", b"1e999999",
                                      b"9" * 5000])
def test_infinity_and_other_numbers_json_allows_are_refused(app, store, constant):
    body = (b'{"receipt": "R-1", "sold_at": "2026-11-23T12:00:00Z", "lines": '
            b'[{"tag": "1A4050100000000000005001", "quantity": ' + constant + b"}]}")
    response = signed(app.test_client(), "/api/pos/sales", body)
    assert response.status_code == 400
    assert PosSale.select().count() == 0


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",
                                    "0001-01-01T00:00:00", "9999-12-31T23:59:59",
                                    "2026-11-23T12:00:00+24:00", "2026-11-23T12:00:00+99:99"])
def test_extreme_time_zone_offsets_are_refused(app, store, moment):
    sale = {"receipt": "R-9", "sold_at": moment,
            "lines": [{"tag": "1A4050100000000000005001", "quantity": 1}]}
    response = signed(app.test_client(), "/api/pos/sales", sale)
    assert response.status_code == 400
    assert "the time" in response.get_json()["error"]
    pick = {"id": "P-1", "requested_at": moment,
            "lines": [{"tag": "1A4050100000000000005001", "quantity": 1}]}
    assert signed(app.test_client(), "/api/pos/pick-requests", pick).status_code == 400


def test_a_csrf_token_beyond_ascii_is_refused_not_a_crash(kiosk, store):
    kiosk.http.set_cookie("kiosk_csrf", "é")
    response = kiosk.http.post("/login/badge", data={"value": "1002"},
                               headers={"X-CSRF-Token": "é".encode().decode("latin-1")})
    assert response.status_code == 400


@pytest.mark.parametrize("token", ["\x00", "a" * 3000, "é", "tok\u202e"])
def test_a_session_cookie_that_cannot_be_one_is_no_session(kiosk, store, token):
    kiosk.http.set_cookie("kiosk_session", token)
    response = kiosk.get("/")
    assert response.status_code == 200 and "Log in" in response.get_data(as_text=True)


@pytest.mark.parametrize("tag", ["%00", "x" * 3000, "1A4050100000000000005001%0A", "%FF%FE"])
def test_a_label_page_for_something_that_is_not_a_tag_is_not_found(manager, tag):
    assert manager.get(f"/packages/{tag}/label").status_code == 404
    assert manager.post(f"/packages/{tag}/label").status_code == 404


def test_a_stale_revision_of_any_size_is_stale(screen):
    to_step(screen, "receiving", "cases")
    for rev in ("9" * 30, "9" * 5000, "-1", "x", "١"):
        response = screen.answer(value="6", rev=rev)
        assert response.status_code == 200 and "Nothing saved" in response.get_data(as_text=True)
    assert Run.get_by_id(screen.run_id).current_step == "cases"

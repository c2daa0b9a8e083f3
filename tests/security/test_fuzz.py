"""Hypothesis against every form the kiosk takes and the POS webhook: whatever is sent, the
answer is never a 500. Each target is bounded (``EXAMPLES``) so the suite stays quick; a
failure prints the input that found it."""

from __future__ import annotations

import json
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from attacks import BULK_TAG, JAR_TAG, MANIFEST, signed, to_step
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kiosk import clock, db, demo, workflows
from kiosk.models import OutboxMessage, Run
from kiosk.sync import pos

EXAMPLES = 150
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

# Inputs that have broken kiosks, or mean something to one of its parsers.
NASTY = st.sampled_from([
    "", " ", "0", "-0", "-1", "007", ".5", "5.", "1e25", "1E+20", "1e-7", "Infinity", "NaN",
    "9" * 19, "9" * 20, "9" * 400, "1_000", "١٢", "１２", "0x10", "12,5", "\x00", "\x1d",
    "\u202e", "%00", "\ud7ff", "__finish__", "pass", "fail", "print", "skip", "ok", "intact",
    "restock", "accept", "reject", "over", MANIFEST, f"MAN-{MANIFEST}", JAR_TAG, BULK_TAG,
    "EMP-1002", "1002", "1003", "2345", "3456", "LOC-V-A1", "LOC-Q", demo.demo_upc(1),
    "]C101" + demo.demo_upc(1).zfill(14) + "10LOT\x1d21S", "idle", "x" * 250, "é" * 300,
    "2026-11-23", "0001-01-01", "9999-12-31", "receiving", "vault_entry", "sentence",
])
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=120)
# What a count field might get: digits of any length, points, signs, exponents.
NUMBER = st.one_of(st.from_regex(r"-?[0-9]{1,30}(\.[0-9]{0,6})?([eE][+-]?[0-9]{1,3})?",
                                 fullmatch=True),
                   st.decimals(allow_nan=True, allow_infinity=True).map(str),
                   st.integers().map(str))
VALUE = st.one_of(NASTY, TEXT, NUMBER)
FIELDS = ["value", "reason", "badge", "pin", "source", "note", "rev", "why", "resume",
          "workflow", "fragment", "name", "kind", "scope", "due_on", "location", "category",
          "spot_size"]
FORM = st.dictionaries(st.sampled_from(FIELDS), VALUE, max_size=7)
LATIN1 = st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=80)


@contextmanager
def undone():
    """What one example does, rolled back after it, so every example starts from the same
    runs at the same steps (the app's own transactions nest inside as savepoints)."""
    db.database.connect(reuse_if_open=True)
    with db.database.atomic() as transaction:
        yield
        transaction.rollback()


def no_500(response):
    assert response.status_code < 500, response.get_data(as_text=True)[:300]


@FUZZ
@given(path=st.sampled_from(["/login/badge", "/login/pin", "/logout", "/session/ping"]),
       form=FORM)
def test_login_forms(kiosk, store, path, form):
    with undone():
        no_500(kiosk.post(path, form))


@FUZZ
@given(form=FORM, station=st.one_of(NASTY, TEXT))
def test_registering_a_screen(kiosk, store, form, station):
    """The one form an unregistered screen is served (a manager signs to register it)."""
    with undone():
        no_500(kiosk.get("/", query_string={"station": station}))
        no_500(kiosk.post("/stations/register", form))


@pytest.fixture
def runs(screen):
    """Runs waiting at a step of every kind: count (cases, and units then the decision),
    confirm, text, sign-off, print, scan."""
    waiting = [to_step(screen, "receiving", "units").run_id]
    waiting.append(to_step(screen, "paper_manifest", "driver").run_id)
    waiting.append(to_step(screen, "paper_manifest", "cases", paper="MAN-7700002").run_id)
    waiting.append(to_step(screen, "vault_entry", "enter").run_id)
    to_step(screen, "vault_entry", "enter")
    screen.ok(badge="1002", pin="2345")
    screen.ok(badge="1003", pin="3456")
    waiting.append(screen.run_id)  # at "slip"
    waiting.append(to_step(screen, "move_package", "package").run_id)
    screen.start("receiving")
    screen.ok(value="0000205102")
    waiting.append(screen.run_id)  # at "transport"
    return waiting


@settings(FUZZ, max_examples=2 * EXAMPLES)
@given(which=st.integers(0, 6), value=VALUE, form=FORM, current=st.integers(0, 4))
@example(which=0, value="1e25", form={}, current=1)  # the attacks that once got through
@example(which=2, value="1e30", form={}, current=1)
@example(which=0, value="9" * 17, form={}, current=1)
@example(which=5, value="fail", form={"reason": "R" * 10_000, "source": "\x00"}, current=1)
def test_step_answers(screen, runs, which, value, form, current):
    """An answer to a run's current step, at its revision (mostly), then what a person does
    next: the first button of the step it leads to, if that is a choice (a count of 1e25
    once passed, and the decision after it failed)."""
    with undone():
        run = Run.get_by_id(runs[which])
        form = {"value": value, **form}
        if current:  # four times in five
            form["rev"] = str(run.rev)
        no_500(screen.kiosk.post(f"/runs/{run.id}/steps/{run.current_step}", form))
        run = Run.get_by_id(run.id)
        step = workflows.get(run.workflow).step(run.current_step)
        if run.status == "active" and step.kind == "choose":
            no_500(screen.kiosk.post(f"/runs/{run.id}/steps/{step.id}",
                                     {"value": step.choices(run)[0].value,
                                      "rev": str(run.rev)}))


@FUZZ
@given(step=st.one_of(NASTY, TEXT).map(lambda s: quote(s, safe="")), form=FORM)
def test_step_answers_to_any_step(screen, runs, step, form):
    with undone():
        no_500(screen.kiosk.post(f"/runs/{runs[0]}/steps/{step or 'x'}", form))


@pytest.fixture
def manager(screen, runs):
    """Gus Lindqvist (manager and admin: every screen) at the screen, with the runs waiting
    and a message Metrc refused on the sync screen."""
    screen.kiosk.login("1007", "7890")
    with db.write():
        OutboxMessage.create(target="metrc", kind="package.location", payload={},
                             external_key="k1", status="attention", created_at=clock.now(),
                             next_attempt_at=clock.now(), last_error="refused (400)")
    return screen.kiosk


NUMBER_IN_PATH = st.one_of(st.integers(0, 2**70).map(str), st.integers(1, 8).map(str),
                           NASTY.map(lambda s: quote(s, safe="")))


@FUZZ
@given(target=st.sampled_from(["start", "cancel", "retry", "resolve", "difference", "pull",
                               "print", "unlock", "schedule", "uncount", "follow-up",
                               "count", "investigate"]),
       form=FORM, number=NUMBER_IN_PATH)
def test_manager_and_run_forms(manager, target, form, number):
    path = {"start": "/runs", "cancel": f"/runs/{number}/cancel",
            "retry": f"/manager/sync/messages/{number}/retry",
            "resolve": f"/manager/sync/messages/{number}/resolve",
            "difference": f"/manager/sync/differences/{number}/resolve",
            "pull": "/sync/pull", "print": f"/packages/{number}/label",
            "unlock": f"/manager/badges/{number}/unlock", "schedule": "/manager/counts",
            "uncount": f"/manager/counts/{number}/cancel",
            "follow-up": f"/manager/variances/{number}/follow-up",
            "count": f"/counts/{number}/start",
            "investigate": f"/variances/{number}/investigate"}[target]
    with undone():
        no_500(manager.post(path, form))


@FUZZ
@given(page=st.sampled_from(["/", "/manager/vault-log", "/manager/printing", "/manager/runs",
                             "/manager/sync", "/manager/verify", "/manager/badges",
                             "/manager/counts", "/manager/figures", "/scale/live"]),
       query=st.dictionaries(st.sampled_from(["from", "to", "show", "station", "ended", "n"]),
                             VALUE, max_size=3),
       number=NUMBER_IN_PATH)
def test_pages_paths_and_query_strings(manager, page, query, number):
    with undone():
        no_500(manager.get(page, query_string=query))
        for path in (f"/runs/{number}", f"/manager/printing/{number}",
                     f"/packages/{number}/label", f"/manager/printing/runs/{number}",
                     f"/manager/badges/{number}/unlock", f"/manager/counts/{number}",
                     f"/manager/variances/{number}"):
            no_500(manager.get(path))
        no_500(manager.post(f"/manager/printing/{number}/reprint"))


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT, NASTY),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(TEXT, st.sampled_from(
                                ["receipt", "sold_at", "lines", "tag", "quantity", "unit",
                                 "amount", "id", "item", "note", "requested_at"])), inner,
                                max_size=5)),
    max_leaves=12)
SALE = {"receipt": "R-1", "sold_at": "2026-11-23T12:00:00Z",
        "lines": [{"tag": JAR_TAG, "quantity": 1, "unit": "Each", "amount": "35.00"}]}
PICK = {"id": "P-1", "note": "online order", "requested_at": "2026-11-23T12:00:00Z",
        "lines": [{"tag": JAR_TAG, "quantity": 1, "unit": "Each"}]}
INVENTORY = {"as_of": "2026-11-23T10:00:00", "lines": [{"tag": JAR_TAG, "quantity": 7,
                                                        "unit": "Each", "room": "Vault"}]}


def _mutated(draw_value, base: dict, field: str, line_field: str | None):
    """``base`` with one field (or one field of its first line) replaced."""
    body = json.loads(json.dumps(base))
    if line_field is None:
        body[field] = draw_value
    else:
        body["lines"][0][line_field] = draw_value
    return body


WEBHOOKS = ["/api/pos/sales", "/api/pos/pick-requests", "/api/pos/inventory"]


@FUZZ
@given(path=st.sampled_from(WEBHOOKS),
       body=st.one_of(
           JSON,
           st.builds(_mutated, JSON, st.just(SALE),
                     st.sampled_from(["receipt", "sold_at", "lines"]),
                     st.sampled_from([None, "tag", "quantity", "unit", "amount"])),
           st.builds(_mutated, st.one_of(NASTY, st.floats(), st.integers()), st.just(PICK),
                     st.sampled_from(["id", "note", "requested_at", "lines"]),
                     st.sampled_from([None, "tag", "quantity", "unit"])),
           st.builds(_mutated, st.one_of(NASTY, NUMBER, st.floats(), st.integers()),
                     st.just(INVENTORY), st.sampled_from(["as_of", "lines"]),
                     st.sampled_from([None, "tag", "quantity", "unit", "room"]))))
def test_signed_webhook_bodies(app, store, path, body):
    try:
        raw = json.dumps(body).encode()  # floats go out as NaN, Infinity, 1e+300 ...
    except (ValueError, TypeError):
        return
    with undone():
        no_500(signed(app.test_client(), path, raw))


@FUZZ
@given(path=st.sampled_from(WEBHOOKS),
       header=st.one_of(st.none(), LATIN1, st.builds(lambda t, v: f"t={t},v1={v}", LATIN1,
                                                    LATIN1)),
       raw=st.one_of(st.binary(max_size=300), st.sampled_from(
           [b"[" * 5000, b'{"a":' * 3000, b"\xff\xfe{}", b"NaN", b"1e99999", b"9" * 5000])),
       sign_it=st.booleans())
def test_webhook_headers_and_raw_bodies(app, store, path, header, raw, sign_it):
    client = app.test_client()
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers[pos.SIGNATURE_HEADER] = header
    with undone():
        if sign_it:
            no_500(signed(client, path, raw))
        no_500(client.post(path, data=raw, headers=headers))


@FUZZ
@given(csrf_header=LATIN1, csrf_cookie=LATIN1, session=LATIN1, station=LATIN1, resume=LATIN1)
def test_cookies_and_tokens(kiosk, store, csrf_header, csrf_cookie, session, station, resume):
    for name, value in (("kiosk_csrf", csrf_cookie), ("kiosk_session", session),
                        ("kiosk_station", station), ("kiosk_resume", resume)):
        kiosk.http.set_cookie(name, value)
    no_500(kiosk.http.post("/login/pin", data={"badge": "1002", "pin": "2345"},
                           headers={"X-CSRF-Token": csrf_header, "HX-Request": "true"}))
    no_500(kiosk.http.get("/"))


def test_the_fuzz_finds_a_500_when_there_is_one(app, store):
    """The check itself: a route that fails is caught, so a quiet fuzz means something."""

    @app.get("/broken")
    def broken():
        raise RuntimeError("boom")

    with pytest.raises(AssertionError):
        no_500(app.test_client().get("/broken"))

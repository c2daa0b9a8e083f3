"""Words records keep, said in the reader's language: a cancelled run's note, a person's
change history, why stock moved in a package's history, the hours a message waited on the
end-of-day report and a store time on a Spanish screen (date, hours and minutes). An
English-speaking person still reads them as they always read. Flask's test client."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup

from kiosk import clock, db, ledger, reports, staff, words
from kiosk.hardware import slips
from kiosk.models import Employee, Item, Location, OutboxMessage, Package, Run
from kiosk.views import language

TAG = "1A4060300000000000000042"
DAY = dt.date(2026, 11, 22)  # the day before the test clock's
# The English of these records; none may be left where a Spanish speaker reads them.
ENGLISH = re.compile(
    r"\b(signed in and is now signed out again|Take back their badge|Started by mistake|"
    r"opening stock|received on manifest|Short: |roles manager|manager, admin|"
    r"True|False|yes)\b")


def _text(response) -> str:
    assert response.status_code == 200, response.data[:400]
    page = BeautifulSoup(response.data, "html.parser")
    for hidden in page(["script", "style", "template"]):
        hidden.decompose()
    return page.get_text(" ", strip=True)


def no_english(text: str, where: str) -> str:
    left = sorted(set(ENGLISH.findall(text)))
    assert not left, f"{where}: English where a Spanish speaker reads: {left}\n{text}"
    return text


def _feedback(response) -> str:
    return json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]["message"]


@pytest.fixture
def store(make_employee, fixed_clock):
    """Marta, a manager who reads Spanish; Femi, one who reads English; Ben, who escorts
    visitors; Dev, a runner."""
    people = {"marta": make_employee("Marta Ruiz", "1008", "8642", "manager,vault"),
              "femi": make_employee("Femi Adeyemi", "1006", "6789", "manager,vault"),
              "ben": make_employee("Ben Okafor", "1002", "2345", "receiver,vault"),
              "dev": make_employee("Dev Patel", "1004", "4567", "runner")}
    with db.write():
        Employee.update(language="es").where(Employee.name == "Marta Ruiz").execute()
    return people


def _visitor_signed_in(kiosk) -> Run:
    """A visitor run up to its badge: the visitor is signed in, the badge not printed."""
    kiosk.post("/runs", {"workflow": "visitor"})
    run = Run.select().where(Run.workflow == "visitor").order_by(Run.id.desc()).get()
    for step, value in (("area", "vault"), ("name", "Jane Doe"), ("company", "Golden Coast"),
                        ("purpose", "delivery"), ("id_kind", "driver_licence"),
                        ("id_last4", "x821")):
        kiosk.step(run.id, step, value=value)
    kiosk.step(run.id, "escort_vault", badge="1002", pin="2345")
    assert Run.get_by_id(run.id).data.get("visitor")
    return run


SPANISH_NOTE = ("Se había registrado la entrada de Jane Doe y ahora se registra de nuevo su "
                "salida, porque se canceló el registro de entrada. Recoja su credencial.")
ENGLISH_NOTE = ("Jane Doe was signed in and is now signed out again, because the sign-in "
                "was cancelled. Take back their badge.")


def test_a_cancelled_runs_note_is_said_in_the_readers_language(kiosk, store):
    kiosk.login("1008", "8642")
    run = _visitor_signed_in(kiosk)
    cancelled = kiosk.post(f"/runs/{run.id}/cancel", {"reason": "Empezado por error"})
    assert _feedback(cancelled) == SPANISH_NOTE
    page = BeautifulSoup(cancelled.data, "html.parser")
    assert page.select_one("[data-cancel-note]").get_text(" ", strip=True) == "! " + SPANISH_NOTE
    # Kept whole with the run, and read again later in whoever's language.
    kept = Run.get_by_id(run.id).data["_cancel_note"]
    assert isinstance(kept, dict) and words.restore(kept) == ENGLISH_NOTE
    assert SPANISH_NOTE in no_english(_text(kiosk.get(f"/runs/{run.id}")), "the run, later")
    kiosk.post("/logout")
    kiosk.login("1006", "6789")
    assert ENGLISH_NOTE in _text(kiosk.get(f"/runs/{run.id}"))

    # A run cancelled before its note was kept whole keeps plain English: still shown, and
    # said in Spanish where the catalogue knows the words.
    with db.write():
        Run.update(data={**Run.get_by_id(run.id).data, "_cancel_note": "Started by mistake"}
                   ).where(Run.id == run.id).execute()
    assert "Started by mistake" in _text(kiosk.get(f"/runs/{run.id}"))
    kiosk.post("/logout")
    kiosk.login("1008", "8642")
    assert "Empezado por error" in _text(kiosk.get(f"/runs/{run.id}"))


def test_a_manager_cancelling_someones_run_reads_its_note_in_spanish(app, kiosk, store):
    from tests.conftest import KioskClient

    ben = KioskClient(app)
    ben.login("1002", "2345")
    run = _visitor_signed_in(ben)
    kiosk.login("1008", "8642")
    done = no_english(_text(kiosk.post(f"/manager/runs/{run.id}/cancel",
                                       {"reason": "Empezado por error"})), "manager cancel")
    assert "está cancelado: Empezado por error." in done and SPANISH_NOTE in done


def test_a_persons_change_history_is_in_spanish(kiosk, store):
    kiosk.login("1008", "8642")
    dev = store["dev"]
    kiosk.post(f"/manager/staff/{dev.id}/details",
               {"roles": ["runner", "receiver"], "language": "es", "badge": "1006",
                "pin": "6789"})
    history = BeautifulSoup(kiosk.get(f"/manager/staff/{dev.id}").data, "html.parser"
                            ).select_one("table.history").get_text(" ", strip=True)
    no_english(history, "change history")
    # Roles by their names, a language by its own name (each in its own language).
    assert "Roles o idioma cambiados: idioma English → Español: roles mensajero → receptor, " \
        "mensajero" in history
    # Whether someone is active is yes or no in the reader's language, never True/False.
    assert words.say(staff.value_words("active", False), "es") == "no"
    assert words.say(staff.value_words("active", True), "es") == "sí"
    assert words.say(staff.value_words("active", True), "en") == "yes"
    assert words.say(staff.value_words("language", "es"), "es") == "Español"

    kiosk.post("/logout")
    kiosk.login("1006", "6789")
    english = BeautifulSoup(kiosk.get(f"/manager/staff/{dev.id}").data, "html.parser"
                            ).select_one("table.history").get_text(" ", strip=True)
    assert "Roles or language changed: language English → Español: roles runner → receiver, " \
        "runner" in english


def _package_with_history():
    with db.write():
        item = Item.create(name="Blue Dream 3.5g", brand="Coast", category="flower",
                           gtin="00812345000012", unit="Each")
        shelf = Location.create(code="LOC-V-A1", name="Vault shelf A1", kind="vault")
        package = Package.create(tag=TAG, item=item, batch="B-7", unit="Each", location=None,
                                 created_at=clock.now())
        ledger.receive(package, Decimal("12"), to_location=shelf, reason="opening stock",
                       station="demo")
        ledger.receive(package, Decimal("46"), to_location=shelf,
                       reason="received on manifest 0000123",
                       note="Short: 46 of 48 received", station="demo")
        ledger.move(package, shelf, reason="restock", note="shelf was full, put it back",
                    station="demo")
    return package


def test_why_stock_moved_is_said_in_spanish_in_a_packages_history(kiosk, store):
    _package_with_history()
    kiosk.login("1008", "8642")
    history = no_english(_text(kiosk.get(f"/cage/package/{TAG}")), "package history")
    assert "inventario inicial" in history
    assert "recibido en el manifiesto 0000123; Incompleto: 46 de 48 recibidos" in history
    # A person's typed note is shown as they typed it.
    assert "reabastecimiento; shelf was full, put it back" in history
    kiosk.post("/logout")
    kiosk.login("1006", "6789")
    english = _text(kiosk.get(f"/cage/package/{TAG}"))
    assert "opening stock" in english
    assert "received on manifest 0000123; Short: 46 of 48 received" in english
    assert "restock; shelf was full, put it back" in english


def test_every_reason_the_kiosk_writes_on_a_movement_is_in_the_catalogue():
    for reason in ("opening stock", "restock", "putaway", "received", "picked for an order",
                   "receiving verdict changed", "into quarantine",
                   "received on manifest 0000123", "rejected on manifest 0000123",
                   "receiving of manifest 0000123 cancelled", "pick request PR-7",
                   "Inspected: nothing wrong with it (approved by Femi Adeyemi)",
                   "Returned to Golden Coast (RTV-3)", "2 Each held in Cage, 10 stay sellable",
                   "2 Each held, 10 stay sellable",
                   # why a hold ended: returned to its vendor, destroyed
                   "RTV-3 to Golden Coast; witness Femi Adeyemi",
                   "Ground and mixed with soil; witnessed by Femi Adeyemi"):
        assert words.known(reason, "es") != reason, reason
    assert words.known("Inspected: nothing wrong with it (approved by Femi Adeyemi)",
                       "es") == "Inspeccionado: no tiene nada malo (aprobado por Femi Adeyemi)"


def test_the_hours_a_message_waited_are_written_the_readers_way(kiosk, store, app):
    with db.write():
        OutboxMessage.create(target="metrc", kind="package.location", payload={},
                             external_key="waiting-1", ordering_key=TAG,
                             next_attempt_at=clock.now(),
                             created_at=dt.datetime(2026, 11, 21, 23, 0))
    report = reports.end_of_day(DAY, app.config["KIOSK"])
    assert report.waiting[0]["hours"] == 33.0
    english, spanish = "33.0", "33,0"
    cell = "#waiting-table td:nth-of-type(5)"
    said_es = BeautifulSoup(reports.document_html(report, "es"), "html.parser")
    said_en = BeautifulSoup(reports.document_html(report, "en"), "html.parser")
    assert said_es.select_one(cell).get_text(strip=True) == spanish
    assert said_en.select_one(cell).get_text(strip=True) == english
    kiosk.login("1008", "8642")
    screen = BeautifulSoup(kiosk.get(f"/manager/reports?day={DAY.isoformat()}").data,
                           "html.parser")
    assert screen.select_one(cell).get_text(strip=True) == spanish
    kiosk.post("/logout")
    kiosk.login("1006", "6789")
    screen = BeautifulSoup(kiosk.get(f"/manager/reports?day={DAY.isoformat()}").data,
                           "html.parser")
    assert screen.select_one(cell).get_text(strip=True) == english
    # The day's summary slip names the oldest waiting message with its hours the same way.
    data = reports.slip(report)
    printed = {language: [line.text for line in slips.build("day_summary", data, {},
                                                            language=language)
                          if isinstance(line, slips.Line)] for language in ("es", "en")}
    assert f"Ubicación {TAG} (33,0 h)" in printed["es"], printed["es"]
    assert f"Location {TAG} (33.0 h)" in printed["en"], printed["en"]


@pytest.mark.parametrize("reader, fmt, shown", [
    ("es", "%Y-%m-%d %H:%M", "5 dic 2026, 14:03"),
    ("es", "%Y-%m-%d %H:%M:%S", "5 dic 2026, 14:03:07"),
    ("es", "%H:%M", "14:03"),
    ("en", "%Y-%m-%d %H:%M", "2026-12-05 14:03"),
    ("en", "%Y-%m-%d %H:%M:%S", "2026-12-05 14:03:07"),
])
def test_a_store_time_has_seconds_only_where_its_format_asks(app, reader, fmt, shown):
    at = dt.datetime(2026, 12, 5, 22, 3, 7)  # UTC: 14:03:07 on the store's clock
    with app.test_request_context():
        from flask import g

        g.language = reader
        assert language.store_time(at, fmt) == shown


def test_a_kept_sentence_is_found_whatever_order_its_form_was_registered_in(monkeypatch):
    from kiosk.sync import readback

    sentence = "2 difference(s) flagged on manifest 0000123."
    said = words.known(sentence, "es")
    assert said != sentence and "0000123" in said
    # The general "{number} {unit}" first, the read-back's own form after it: still found.
    monkeypatch.setattr(words, "_FORMS", [])
    words.kept_forms(words._("{number} {unit}"))
    words.kept_forms(readback.FLAGGED)
    assert words.known(sentence, "es") == said
    monkeypatch.setattr(words, "_FORMS", [])
    words.kept_forms(readback.FLAGGED)
    words.kept_forms(words._("{number} {unit}"))
    assert words.known(sentence, "es") == said
    assert words.known("3 Grams", "es") == "3 gramos"

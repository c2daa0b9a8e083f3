"""A Spanish-speaking manager's screens are in Spanish: the menu and every screen it leads to
that this part of the kiosk shows (open runs, the vault access log, print jobs, sync, the
integrity check, staff, a person, adding a person, locked badges, registering a screen,
visitors and their log), and the visitor badge a Spanish speaker prints. An English-speaking
manager still sees them in English. Flask's test client; no browser."""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup

from kiosk import db
from kiosk.hardware import preview, zpl
from kiosk.models import Employee, PrintJob, Run, VaultVisit, Visitor

# English words these screens used to show; none may be left on a Spanish screen. (The date
# filter's From/To/Show and the sync module's own sentences are said elsewhere.)
ENGLISH = re.compile(
    r"\b(Open runs|Now|Started|Cancel|Why|Vault access log|Entered|Who|With|Purpose|Exited|"
    r"Duration|Screen|Visitors?|still inside|Integrity check|problems? found|audit chain|"
    r"Print jobs|Labels|slips|Waiting|Failed|Printed|All|Retry|Reprint|printer|"
    r"State and POS sync|Targets?|Health|Refused|Nothing|Resolve|Send again|Staff|Name|"
    r"Badge|Language|Status|Active|Inactive|Locked|Add a person|Unlock|wrong|When|"
    r"While|Answer|Changes|Signed|Record hash|Register|Escort|Sign out|in since|Receiver|"
    r"Manager|Vault|Runner|Counter|Admin|Type|Deactivate|Reset|Live picks|Counts|report|"
    r"Quarantine|Delivering|Driver licence|step|min left|Going to|Company|ID checked|"
    r"VISITOR|valid until|the|is|and)\b")
STATION = "test-1"


def _page(response) -> BeautifulSoup:
    assert response.status_code == 200, response.data[:400]
    page = BeautifulSoup(response.data, "html.parser")
    for hidden in page(["script", "style", "template"]):
        hidden.decompose()
    return page


def _text(response) -> str:
    return _page(response).get_text(" ", strip=True)


def no_english(response, where: str) -> str:
    """The screen's words, with none of the English of these screens left in them."""
    text = _text(response)
    left = sorted(set(ENGLISH.findall(text)))
    assert not left, f"{where}: English on a Spanish screen: {left}\n{text}"
    return text


def _feedback(response) -> str:
    return json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]["message"]


@pytest.fixture
def store(make_employee, fixed_clock):
    """Marta, a manager who reads Spanish; Femi, one who reads English; Ben, who escorts
    visitors; Dev, whose badge gets locked."""
    people = {"marta": make_employee("Marta Ruiz", "1008", "8642", "manager,vault"),
              "femi": make_employee("Femi Adeyemi", "1006", "6789", "manager,vault"),
              "ben": make_employee("Ben Okafor", "1002", "2345", "receiver,vault"),
              "dev": make_employee("Dev Patel", "1004", "4567", "runner")}
    with db.write():
        Employee.update(language="es").where(Employee.name == "Marta Ruiz").execute()
    return people


def _sign_visitor_in(kiosk, spanish: bool = False) -> Run:
    """The visitor workflow to its end, badge printed; each step's screen, for a Spanish
    speaker, in Spanish."""
    kiosk.post("/runs", {"workflow": "visitor"})
    run = Run.select().where(Run.workflow == "visitor").order_by(Run.id.desc()).get()
    said = []
    for step, value in (("area", "vault"), ("name", "Jane Doe"), ("company", "Golden Coast"),
                        ("purpose", "delivery"), ("id_kind", "driver_licence"),
                        ("id_last4", "x821")):
        if spanish:
            said.append(no_english(kiosk.get(f"/runs/{run.id}"), f"step {step}"))
        kiosk.step(run.id, step, value=value)
    if spanish:
        said.append(no_english(kiosk.get(f"/runs/{run.id}"), "the escort signs"))
        refused = kiosk.step(run.id, "escort_vault", badge="1004", pin="4567")
        said.append(no_english(refused, "an escort who may not"))
    signed = kiosk.step(run.id, "escort_vault", badge="1002", pin="2345")
    if spanish:
        said += [_feedback(signed), no_english(kiosk.get(f"/runs/{run.id}"), "the badge")]
    kiosk.step(run.id, "badge", value="print")
    if spanish:
        said.append(no_english(kiosk.get(f"/runs/{run.id}"), "signed in"))
        words = " ".join(said)
        for shown in ("¿A dónde va el visitante?", "Escriba el nombre completo del visitante",
                      "Entrega o recolección (chofer)", "Licencia de conducir",
                      "Va a", "Identificación revisada", "Licencia de conducir …X821",
                      "Se registró la entrada de Jane Doe (Golden Coast), acompañado por "
                      "Ben Okafor. Imprima su credencial."):
            assert shown in words, shown
    return Run.get_by_id(run.id)


def _lock(kiosk, badge: str) -> None:
    kiosk.post("/login/badge", {"value": badge})
    for _attempt in range(5):
        kiosk.post("/login/pin", {"badge": badge, "pin": "0000"})


def _open_run(app, make_employee):
    """Ben, at another screen, has started to sign a visitor in and stopped at the name."""
    from tests.conftest import KioskClient

    dev = KioskClient(app)
    dev.login("1002", "2345")
    dev.post("/runs", {"workflow": "visitor"})
    run = Run.select().order_by(Run.id.desc()).get()
    dev.step(run.id, "area", value="receiving")
    return run


def test_a_spanish_speaking_manager_sees_every_screen_in_spanish(app, kiosk, store,
                                                                  make_employee, fixed_clock):
    _lock(kiosk, "1004")
    open_run = _open_run(app, make_employee)
    kiosk.login("1008", "8642")
    signed_in = _sign_visitor_in(kiosk, spanish=True)
    visitor = Visitor.get()
    with db.write():
        VaultVisit.create(run=signed_in, purpose="Cycle count", station=STATION,
                          first_person=store["marta"], second_person=store["ben"],
                          entered_at=fixed_clock.now())

    menu = no_english(kiosk.get("/manager"), "menu")
    assert "Pantallas de gerente" in menu and "Registro de acceso a la bóveda" in menu

    runs = no_english(kiosk.get("/manager/runs"), "open runs")
    assert "Procedimientos abiertos" in runs and "Registrar la entrada de un visitante" in runs
    assert "Ahora: Escriba el nombre completo del visitante" in runs and "(paso 2 de" in runs
    cancelled = kiosk.post(f"/manager/runs/{open_run.id}/cancel",
                           {"reason": "Empezado por error"})
    assert "está cancelado: Empezado por error." in no_english(cancelled, "cancel a run")

    log = no_english(kiosk.get("/manager/vault-log"), "vault access log")
    assert "Registro de acceso a la bóveda" in log and "Conteo cíclico" in log
    assert "ninguno" in log and "Marta Ruiz" in log
    empty = no_english(kiosk.get("/manager/vault-log?from=2026-01-05&to=2026-01-06"),
                       "empty vault log")
    assert "No hay entradas a la bóveda entre el 5 ene 2026 y el 6 ene 2026." in empty

    assert "La cadena de auditoría está intacta" in no_english(kiosk.get("/manager/verify"),
                                                               "integrity check")

    jobs = no_english(kiosk.get("/manager/printing?show=all"), "print jobs")
    assert "Trabajos de impresión" in jobs and "Credencial de visitante" in jobs
    job = PrintJob.get(PrintJob.layout == "visitor_badge")
    one = no_english(kiosk.get(f"/manager/printing/{job.id}"), "a print job")
    assert f"trabajo n.º {job.id}" in one and "VISITANTE" in one

    sync = no_english(kiosk.get("/manager/sync"), "sync")
    assert "Sincronización con el estado y el POS" in sync and "Destinos" in sync

    people = no_english(kiosk.get("/manager/staff"), "staff")
    assert "Personal" in people and "Agregar una persona" in people and "Gerente" in people
    dev = no_english(kiosk.get(f"/manager/staff/{store['dev'].id}"), "a person")
    assert "Credencial bloqueada" in dev and "PIN incorrecto" in dev and "al entrar" in dev
    for action, words in (("details", "Cambiar los roles o el idioma de Dev Patel"),
                          ("reset-pin", "Restablecer el PIN de Dev Patel"),
                          ("deactivate", "Desactivar a Dev Patel")):
        form = no_english(kiosk.get(f"/manager/staff/{store['dev'].id}/{action}"), action)
        assert words in form
    asked = kiosk.post(f"/manager/staff/{store['dev'].id}/reset-pin", {"badge": "1006"})
    assert "pulse Restablecer PIN" in no_english(asked, "a signature without a PIN")
    assert _feedback(asked) == "Escriba su PIN en el teclado y luego pulse Restablecer PIN."
    reset = kiosk.post(f"/manager/staff/{store['dev'].id}/reset-pin",
                       {"badge": "1006", "pin": "6789"})
    assert "Se restableció el PIN de Dev Patel" in no_english(reset, "a PIN reset")
    new = no_english(kiosk.get("/manager/staff/new"), "new person")
    assert "Agregar una persona" in new and "Número de credencial" in new
    refused = kiosk.post("/manager/staff/new/check", {"name": "Lu", "new_badge": "1"})
    assert "Un número de credencial tiene de 3 a 10 dígitos" in no_english(refused,
                                                                           "a refused person")

    badges = no_english(kiosk.get("/manager/badges"), "locked badges")
    assert "Credenciales bloqueadas" in badges and "Desbloquear 1004" in badges
    unlock = no_english(kiosk.get("/manager/badges/1004/unlock"), "unlock form")
    assert "Desbloquear la credencial 1004 (Dev Patel): firma un gerente" in unlock

    inside = no_english(kiosk.get("/visitors"), "visitors inside")
    assert "Visitantes dentro ahora: 1" in inside and "Bóveda" in inside
    assert "Licencia de conducir" in inside
    resolve = no_english(kiosk.get(f"/visitors/{visitor.id}/resolve"), "resolve a visitor")
    assert "Resolver a Jane Doe (Golden Coast): firma un gerente" in resolve
    out = kiosk.post(f"/visitors/{visitor.id}/sign-out")
    assert "Se registró la salida de Jane Doe (Golden Coast)" in no_english(out, "sign-out")
    visitor_log = no_english(kiosk.get("/visitors/log"), "visitor log")
    assert "Registro de visitantes" in visitor_log and "salida registrada desde la lista" \
        in visitor_log and "Entrega o recolección (chofer)" in visitor_log


def test_registering_a_screen_speaks_the_screens_language(kiosk, store):
    kiosk.http.set_cookie("kiosk_language", "es")
    page = no_english(kiosk.get("/?station=back-2"), "register a screen")
    assert "Esta pantalla se llama back-2" in page
    assert "Registrar back-2 como una pantalla de bóveda" in page
    asked = kiosk.post("/stations/register", {"name": "back-2", "kind": "vault",
                                              "badge": "1008"})
    assert "pulse Registrar" in no_english(asked, "register without a PIN")
    bad = no_english(kiosk.get("/?station=no+good"), "a name that is no station name")
    assert "El nombre de estación de esta pantalla no se puede usar." in bad


def test_an_english_speaking_manager_still_sees_english(app, kiosk, store, make_employee,
                                                        fixed_clock):
    _open_run(app, make_employee)
    kiosk.login("1006", "6789")
    _sign_visitor_in(kiosk)
    runs = _text(kiosk.get("/manager/runs"))
    assert "Open runs" in runs and "Now: Type the visitor's full name, as on their ID." in runs
    assert "(step 2 of" in runs and "Started 09:00 by Ben Okafor at test-1" in runs
    assert "Vault access log" in _text(kiosk.get("/manager"))
    assert "Print jobs" in _text(kiosk.get("/manager/printing?show=all"))
    assert "Visitor badge" in _text(kiosk.get("/manager/printing?show=all"))
    assert "State and POS sync" in _text(kiosk.get("/manager/sync"))
    people = _text(kiosk.get("/manager/staff"))
    assert "Add a person" in people and "Manager" in people and "Español" in people
    assert "Visitors inside now: 1" in _text(kiosk.get("/visitors"))
    assert "Driver licence" in _text(kiosk.get("/visitors/log"))
    asked = kiosk.post(f"/manager/staff/{store['dev'].id}/reset-pin", {"badge": "1008"})
    assert _feedback(asked) == "Type your PIN on the keypad, then press Reset PIN."
    job = PrintJob.get(PrintJob.layout == "visitor_badge")
    label = preview.job_html(job, app.config["KIOSK"])
    assert "VISITOR" in label and "Escort: Ben Okafor" in label and "valid until" in label


def test_a_visitor_badge_printed_for_a_spanish_speaker_is_in_spanish(app, kiosk, store):
    kiosk.login("1008", "8642")
    _sign_visitor_in(kiosk)
    job = PrintJob.get(PrintJob.layout == "visitor_badge")
    settings = app.config["KIOSK"]
    label = BeautifulSoup(preview.job_html(job, settings), "html.parser").get_text(" ")
    assert "VISITANTE" in label and "Acompañante: Ben Okafor" in label
    assert "23 nov hasta 23:59" in label
    assert not re.search(r"\b(VISITOR|Escort|valid until)\b", label)
    # What goes to the printer: the same words, in Spanish.
    printed = zpl.label_zpl(job.layout, job.data, settings, language="es")
    assert "VISITANTE" in printed and "VISITOR" not in printed


def test_a_packages_history_is_said_in_the_readers_language(database, fixed_clock, store):
    from kiosk import ledger, words
    from kiosk.models import Item, Location, Package
    from kiosk.timeline import package_timeline

    with db.write():
        shelf = Location.create(code="LOC-V-A1", name="Vault shelf A1", kind="vault")
        floor = Location.create(code="LOC-FLOOR", name="Sales floor", kind="sales_floor")
        package = Package.create(tag="1A4060300000000000000077",
                                 item=Item.create(name="Gummies", category="Edible"),
                                 created_at=fixed_clock.now())
        ledger.receive(package, 10, to_location=shelf)
        ledger.move(package, floor, actor=store["marta"])
    rows = package_timeline(package.tag)
    # English, as every record, test and report has read it.
    assert rows[0][:2] == ["2026-11-23 09:00", "Received +10"]
    said = [[words.say(cell, "es") for cell in row] for row in rows]
    assert said[0][:2] == ["23/11/2026 09:00", "Recibido +10"]
    assert said[1][1] == "Movido" and said[1][3] == "Vault shelf A1 → Sales floor"


def test_a_run_from_another_day_says_its_day_the_languages_way(app, kiosk, store,
                                                               make_employee, fixed_clock):
    _open_run(app, make_employee)
    fixed_clock.advance(days=1)
    kiosk.login("1008", "8642")
    runs = no_english(kiosk.get("/manager/runs"), "open runs of yesterday")
    assert "Iniciado lun 23 nov 09:00 por Ben Okafor en test-1" in runs
    kiosk.login("1006", "6789")
    assert "Started Mon 23 Nov 09:00 by Ben Okafor" in _text(kiosk.get("/manager/runs"))


def test_a_text_steps_example_and_refusals_are_in_spanish(kiosk, store):
    # The engine's own refusals (an empty answer, one in the wrong form, a button that is
    # not there) and a step's example, for a Spanish-speaking manager signing a visitor in.
    kiosk.login("1008", "8642")
    kiosk.post("/runs", {"workflow": "visitor"})
    run = Run.select().where(Run.workflow == "visitor").order_by(Run.id.desc()).get()
    kiosk.step(run.id, "area", value="vault")
    kiosk.step(run.id, "name", value="Jane Doe")
    kiosk.step(run.id, "company", value="Golden Coast")
    assert _feedback(kiosk.step(run.id, "purpose", value="picnic")) == (
        "Elija uno de los botones.")
    kiosk.step(run.id, "purpose", value="other")
    assert "Por ejemplo: Prueba de la alarma de incendios" in _text(kiosk.get(f"/runs/{run.id}"))
    assert _feedback(kiosk.step(run.id, "purpose_note", value="  ")) == (
        "Escriba la respuesta y presione Ingresar.")
    kiosk.step(run.id, "purpose_note", value="Prueba de alarma")
    kiosk.step(run.id, "id_kind", value="driver_licence")
    assert _feedback(kiosk.step(run.id, "id_last4", value="x8")) == (
        "x8 no tiene la forma correcta. Debe parecerse a 4821.")

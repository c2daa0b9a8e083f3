"""Printing in Spanish: a printer's problem as a Spanish-speaking manager reads it on the
print jobs screen and a Spanish-speaking person at a print step, while the job keeps its
English and an English speaker reads what they always did; dates on a Spanish label and
slip with the month's name ("5 dic 2026", never digits a US reader could take the wrong
way round); and a pick ticket the POS sent, in the store's language."""

from __future__ import annotations

import datetime as dt
import re
import socket
from decimal import Decimal
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from escpos_reader import read

from kiosk import clock, db, picks
from kiosk.hardware import queue, samples
from kiosk.models import Employee, Item, Package, PrintJob, Run

# English a printer problem is worded with, on a screen that should be in Spanish.
ENGLISH = re.compile(r"\b(The|printer|refused|connection|Check|press|Retry|switched|spool|"
                     r"folder|cannot|written|disk|print head|open|Close|could not|found|"
                     r"connected)\b")


def closed_port() -> int:
    """A port on this computer nobody listens on: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def person(make_employee, name, badge, pin, roles, language):
    employee = make_employee(name, badge, pin, roles)
    with db.write():
        Employee.update(language=language).where(Employee.id == employee.id).execute()
    return employee


def page(response):
    assert response.status_code == 200, response.data[:500]
    return BeautifulSoup(response.data, "html.parser")


def job(device="label", layout="quarantine_label", data=None, run_id=None,
        requested_by_id=None) -> PrintJob:
    with db.write():
        return PrintJob.create(device=device, layout=layout,
                               data=data or (samples.LABELS[layout] if device == "label"
                                             else samples.SLIPS[layout]),
                               created_at=clock.now(), run_id=run_id, station="test-1",
                               requested_by_id=requested_by_id)


def failed(made: PrintJob, settings: dict) -> PrintJob:
    queue.run_worker(settings, once=True)
    made = PrintJob.get_by_id(made.id)
    assert made.status == "failed", made.status
    return made


def error_of(html, made: PrintJob) -> str:
    return html.find(id=f"job-{made.id}").find(class_="job-error").text.strip()


@pytest.fixture
def broken_jobs(settings, tmp_path, zebra_printer):
    """Three jobs a printer would not take: a refused connection, a spool folder that
    cannot be made (its path is a file's), and a Zebra whose print head is open."""
    refused = failed(job(), {**settings, "label_printer": f"zpl+tcp://127.0.0.1:{closed_port()}"})
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the spool folder should be")
    unwritable = failed(job("receipt", "vault_access_slip"),
                        {**settings, "receipt_printer": f"file://{blocker / 'spool'}"})
    zebra_printer.head_open = True
    head_open = failed(job(), {**settings,
                               "label_printer": f"zpl+tcp://127.0.0.1:{zebra_printer.port}"})
    return refused, unwritable, head_open


def test_a_spanish_manager_reads_printer_problems_in_spanish(kiosk, make_employee,
                                                             broken_jobs, tmp_path):
    refused, unwritable, head_open = broken_jobs
    # The jobs keep today's English: records, logs and the English screen read it.
    assert refused.last_error.startswith("The label printer at 127.0.0.1:")
    assert refused.last_error.endswith(" refused the connection. Check that it is switched on "
                                       "and press Retry.")
    assert unwritable.last_error.startswith(
        f"The receipt printer's spool folder {tmp_path / 'not-a-folder' / 'spool'} cannot be "
        "written (")
    assert head_open.last_error == ("The label printer's print head is open. Close the print "
                                    "head and press Retry.")

    person(make_employee, "Lucía Herrera", "2101", "2468", "manager", "es")
    kiosk.login("2101", "2468")
    html = page(kiosk.get("/manager/printing"))
    where = refused.last_error.split(" at ", 1)[1].split(" ", 1)[0]
    assert error_of(html, refused) == (f"La impresora de etiquetas en {where} rechazó la "
                                       "conexión. Revise que esté encendida y pulse Reintentar.")
    folder_error = error_of(html, unwritable)
    assert folder_error.startswith(
        "La impresora de comprobantes: no se puede escribir en su carpeta de cola "
        f"{tmp_path / 'not-a-folder' / 'spool'} (")
    assert folder_error.endswith("). Revise el disco y luego pulse Reintentar.")
    assert error_of(html, head_open) == ("La impresora de etiquetas: el cabezal de impresión "
                                         "está abierto. Cierre el cabezal y pulse Reintentar.")
    for made in broken_jobs:
        # The folder and the operating system's own words for it are data, said as given.
        said = error_of(html, made).replace(str(tmp_path / "not-a-folder" / "spool"), "")
        said = said.split(" (")[0] + said.rsplit(")", 1)[-1]
        assert not ENGLISH.search(said), said

    kiosk.post("/logout")
    person(make_employee, "Mark Hill", "2102", "1357", "manager", "en")
    kiosk.login("2102", "1357")
    html = page(kiosk.get("/manager/printing"))
    for made in broken_jobs:
        assert error_of(html, made) == made.last_error


def test_a_kiosk_stopped_mid_send_and_a_layout_that_cannot_be_made_in_spanish(
        kiosk, make_employee, settings, fixed_clock):
    stopped = job()
    assert queue.claim_next(("label",)).id == stopped.id  # taken, then the power went
    fixed_clock.advance(seconds=queue.CLAIM_SECONDS + 1)
    bad = job(layout="price_tag", data={"tag": "x"})
    queue.run_worker(settings, once=True)
    stopped, bad = PrintJob.get_by_id(stopped.id), PrintJob.get_by_id(bad.id)
    assert stopped.last_error.startswith("The kiosk stopped while this was being sent")
    assert bad.last_error == ("This price tag could not be made: There is no label layout "
                              "called 'price_tag'.")
    person(make_employee, "Lucía Herrera", "2101", "2468", "manager", "es")
    kiosk.login("2101", "2468")
    html = page(kiosk.get("/manager/printing"))
    assert error_of(html, stopped) == ("El quiosco se detuvo mientras esto se enviaba a la "
                                       "impresora. Revise si se imprimió; si no, pulse "
                                       "Reintentar.")
    assert error_of(html, bad) == ("No se pudo preparar la impresión (price tag): No hay "
                                   "ningún diseño de etiqueta llamado 'price_tag'.")


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_person_at_a_print_step_reads_the_problem_in_their_language(
        kiosk, app, make_employee, language):
    settings = app.config["KIOSK"]
    settings["receipt_printer"] = f"escpos+tcp://127.0.0.1:{closed_port()}"  # refuses
    person(make_employee, "Ben Okafor", "1002", "2345", "vault", language)
    make_employee("Carla Peña", "1003", "3456", "vault")
    kiosk.login("1002", "2345")
    kiosk.post("/runs", {"workflow": "vault_entry"})
    run = Run.select().order_by(Run.id.desc()).get()
    kiosk.step(run.id, "purpose", value="count")
    kiosk.step(run.id, "enter", badge="1002", pin="2345")
    kiosk.step(run.id, "enter", badge="1003", pin="3456")
    kiosk.step(run.id, "slip", value="print")
    queue.run_worker(settings, once=True)
    made = PrintJob.get(PrintJob.run_id == run.id)
    assert made.status == "failed"
    assert made.last_error.startswith("The receipt printer (127.0.0.1:")
    fragment = page(kiosk.get(f"/manager/printing/runs/{run.id}"))
    shown = fragment.find(class_="previews").find(class_="feedback").text.strip()
    if language == "en":
        assert shown == made.last_error
        return
    assert shown.startswith("La impresora de comprobantes (127.0.0.1:"), shown
    words = shown.split(") ", 1)[1]
    assert words.startswith("no aparece") or words.startswith("dejó de responder"), \
        shown
    assert words.endswith("pulse Reintentar.")
    assert not ENGLISH.search(words.split(" (")[0] + words.rsplit(")", 1)[-1]), shown


@pytest.fixture
def package(database):
    with db.write():
        item = Item.create(name="Blue Dream 3.5 g", brand="Niño Farms", category="Flower")
        return Package.create(tag="1A4FF0100000022000000777", item=item, batch="B-77",
                              quantity=Decimal("12"), unit="Each",
                              received_at=dt.datetime(2026, 12, 5, 17, 0),
                              expires_on=dt.date(2027, 9, 28), thc_pct=Decimal("21.4"),
                              cbd_pct=Decimal("0.1"), created_at=clock.now())


def spooled(settings, made: PrintJob) -> bytes:
    queue.run_worker(settings, once=True)
    assert PrintJob.get_by_id(made.id).status == "printed"
    folder = Path(settings["label_printer"].removeprefix("file://"))
    return (folder / queue.spool_name(made)).read_bytes()


@pytest.mark.parametrize("stock", ["2x1", "4x6"])
def test_a_package_label_printed_for_a_spanish_speaker_names_the_month(
        kiosk, app, make_employee, package, stock):
    settings = app.config["KIOSK"]
    settings["label_stock"] = stock
    person(make_employee, "Lucía Herrera", "2101", "2468", "manager", "es")
    kiosk.login("2101", "2468")
    page(kiosk.post(f"/packages/{package.tag}/label"))
    made = PrintJob.select().order_by(PrintJob.id.desc()).get()
    assert made.data["received"] == "2026-12-05"  # the job keeps the date as data
    zpl = spooled(settings, made).decode()
    fields = re.findall(r"\^FD(.*?)\^FS", zpl)
    if stock == "2x1":
        assert "Rec. 5 dic 2026 | Vence 28 sept 2027" in fields, fields
    else:  # a 4x6 gives each date its own row, never one broken across two
        assert "Rec. 5 dic 2026" in fields and "Vence 28 sept 2027" in fields, fields
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}", " ".join(
        f for f in fields if "B-77" not in f)), fields

    kiosk.post("/logout")
    person(make_employee, "Mark Hill", "2102", "1357", "manager", "en")
    kiosk.login("2102", "1357")
    page(kiosk.post(f"/packages/{package.tag}/label"))
    made = PrintJob.select().order_by(PrintJob.id.desc()).get()
    fields = re.findall(r"\^FD(.*?)\^FS", spooled(settings, made).decode())
    if stock == "2x1":
        assert "Rcv 2026-12-05 | Exp 2027-09-28" in fields, fields
    else:
        assert "Rcv 2026-12-05 | Exp" in fields and "2027-09-28" in fields, fields


def test_slip_dates_for_a_spanish_speaker_name_the_month(settings, make_employee):
    from kiosk.hardware import slips

    data = {**samples.SLIPS["shift_summary"], "date": "2026-12-05"}
    spanish = slips.build("shift_summary", data, settings, language="es")
    english = slips.build("shift_summary", data, settings)
    assert any(getattr(line, "right", None) == "5 dic 2026" for line in spanish)
    assert any(getattr(line, "right", None) == "2026-12-05" for line in english)
    data = {**samples.SLIPS["day_summary"], "date": "2026-12-05", "generated": "2026-12-05 21:04"}
    rights = [getattr(line, "right", None) for line in
              slips.build("day_summary", data, settings, language="es")]
    assert "5 dic 2026" in rights and "5 dic 2026 21:04" in rights, rights
    rights = [getattr(line, "right", None) for line in slips.build("day_summary", data, settings)]
    assert "2026-12-05" in rights and "2026-12-05 21:04" in rights, rights


@pytest.mark.parametrize("store", ["es", "en"])
def test_a_pick_ticket_the_pos_sent_prints_in_the_stores_language(settings, store):
    settings = {**settings, "language": store, "training": False}
    request, new = picks.intake("W-20077", [{"item": "Bulk Blue Dream", "quantity": "7",
                                             "unit": "Grams"}], kind="online",
                                customer="Jo Peña",
                                requested_at=dt.datetime(2026, 12, 5, 17, 41))
    assert new
    made = PrintJob.get(PrintJob.layout == "pick_ticket")
    assert made.requested_by_id is None  # no person asked for it: the POS did
    queue.run_worker(settings, once=True)
    assert PrintJob.get_by_id(made.id).status == "printed"
    folder = Path(settings["receipt_printer"].removeprefix("file://"))
    printout = read((folder / queue.spool_name(made)).read_bytes())
    text = "\n".join(printout.lines)
    if store == "es":
        assert "BOLETA DE SURTIDO" in text and "Pedido" in text and "Cliente" in text, text
        assert "dic 2026" in text and "PICK TICKET" not in text and "Customer" not in text
    else:
        assert "PICK TICKET" in text and "Customer" in text and "BOLETA" not in text, text


def test_a_job_a_person_asked_for_prints_in_their_language_whatever_the_store_says(
        settings, make_employee):
    settings = {**settings, "language": "es", "training": False}
    english = person(make_employee, "Mark Hill", "2102", "1357", "manager", "en")
    made = job("receipt", "pick_ticket", requested_by_id=english.id)
    assert queue.requester_language(made, settings) == "en"
    folder = Path(settings["receipt_printer"].removeprefix("file://"))
    queue.run_worker(settings, once=True)
    text = "\n".join(read((folder / queue.spool_name(made)).read_bytes()).lines)
    assert "PICK TICKET" in text and "BOLETA" not in text, text

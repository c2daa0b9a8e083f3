"""Cycle counts, variance investigations and weighing for people who read Spanish, through
the kiosk's own views as the touchscreen uses them: a blind count of a shelf and its recount,
every step and answer in Spanish (no English words of the kiosk left on them); the manager's
count screens and figures; an investigation closed without an adjustment and one that adjusts
the stock; the scale's words; and the count slip printed in Spanish for the Spanish speaker
who prints it. An English-speaking manager at the same screens still reads English.

Store data (product, place and people's names, tags) is the store's own and is never
translated; none of the words below is in it."""

from __future__ import annotations

import json
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from count_helpers import TAGS, UNKNOWN_TAG, UPC

from kiosk import clock, db, words
from kiosk.hardware import preview, slips
from kiosk.hardware.queue import payload, requester_language
from kiosk.hardware.samples import SLIPS
from kiosk.hardware.scale import Reading
from kiosk.models import Count, Employee, PrintJob, Variance

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "printing"))
from escpos_reader import read  # noqa: E402

# The kiosk's English words of counts, variances and weighing that must not be left on a
# Spanish screen or slip.
ENGLISH = re.compile(
    r"\b(Scan|scan|Count|count|counted|Counted|Recount|recount|recounted|Finish|finish|"
    r"Variance|Variances|variance|Package|package|packages|Tag|Product|Sign|Signed|signs|"
    r"Schedule|Scheduled|Open|Ledger|State|Due|due|Closed|Started|found|expected|Expected|"
    r"Investigate|investigation|investigating|History|When|Who|What|Where|Adjust|Adjusted|"
    r"Remove|Reason|Theft|scale|Scale|weight|Weight|reading|Today|Tomorrow|Print|Step|Each|"
    r"Home|Cancel|Back|checked|Checked|cause|Cause|Done|Kind|Size|Age|Nothing|anything|"
    r"the|and|is|not|of|by|now|today|since)\b")


def english_in(text: str) -> list[str]:
    return sorted(set(ENGLISH.findall(text)))


def visible(html: str, skip: tuple = ()) -> str:
    """A page's words as a person reads them (scripts and styles left out, and the parts
    ``skip`` selects)."""
    page = BeautifulSoup(html, "html.parser")
    for hidden in page(["script", "style", "template"]):
        hidden.decompose()
    for selector in skip:
        for part in page.select(selector):
            part.decompose()
    return page.get_text(" ", strip=True)


# A package's history rows (kiosk/timeline.py) are shared with the quarantine cage and
# recalls, and are not this area's words: their headings are checked, not their rows.
HISTORY_ROWS = ("table.grid td", "#history td")


def no_english(html: str, where: str, skip: tuple = ()) -> str:
    text = visible(html, skip)
    left = english_in(text)
    assert not left, f"{where}: English on a Spanish screen: {left}\n{text}"
    return text


def said(answer: dict) -> str:
    """A step's answer as the screen says it, with no English in it."""
    left = english_in(answer["message"])
    assert not left, f"English in the answer: {left}: {answer['message']}"
    return answer["message"]


@pytest.fixture
def settings(settings):
    """A store without a state system: its own list of adjustment reasons."""
    return {**settings, "state_system": "none"}


@pytest.fixture
def spanish(count_store):
    """Erin and Hana count, Femi manages: all three read Spanish. Gus reads English."""
    with db.write():
        Employee.update(language="es").where(
            Employee.name.in_(("Erin Walsh", "Hana Sato", "Femi Adeyemi"))).execute()
    return count_store


def step(driver, where: str, skip: tuple = ()) -> str:
    """The run's screen now, in Spanish."""
    return no_english(driver.get(f"/runs/{driver.run_id}"), where, skip)


def count_in_spanish(driver) -> Count:
    """Femi schedules shelf A1; Erin counts it; Hana recounts; both sign; the slip prints.
    Every screen and answer on the way is checked for English."""
    driver.as_("femi")
    page = driver.post("/manager/counts", {"scope": "location", "location": "LOC-V-A1",
                                           "due_on": clock.store_date().isoformat()})
    text = no_english(page.get_data(as_text=True), "the count scheduled")
    assert "Programado: Vault shelf A1, para el" in text
    scheduled = Count.get(Count.title == "Vault shelf A1")

    driver.as_("erin")
    home = visible(driver.get("/"))
    assert "Conteo: Vault shelf A1" in home and "Pendiente hoy" in home
    driver.tap(f"/counts/{scheduled.id}/start")
    assert "Escanee el código de barras del producto (UPC)." in step(driver, "product")
    assert "0 de 5 escaneados en esta área" in step(driver, "product")
    # A tag first, where the product barcode comes first: refused in Spanish.
    assert "Escanee primero el código de barras" in said(
        driver.do("product", value=TAGS[1]))

    assert said(driver.do("product", value=UPC["flower"])) == (
        "Blue Dream 3.5g Jar: ahora escanee la etiqueta de su paquete.")
    assert "Ahora escanee la etiqueta estatal del mismo paquete." in step(driver, "tag")
    assert said(driver.do("tag", value=TAGS[1])) == "Paquete …000001: cuéntelo."
    units = step(driver, "units")
    assert "¿Cuántas unidades hay en el paquete?" in units and "Se cuenta en" in units
    assert "Cuente unidades enteras" in said(driver.do("units", value="7.5"))
    assert said(driver.do("units", value="731")).startswith(
        "Contado: 731 unidades. 1 de 5 escaneados en esta área.")
    # The same package again: not counted twice.
    driver.ok("product", value=UPC["flower"])
    assert "ya se contó aquí a las" in said(driver.do("tag", value=TAGS[1]))

    driver.ok("tag", value=UPC["gummies"])  # another product instead: it replaces the first
    driver.ok("tag", value=TAGS[3])
    driver.ok("units", value="509")
    driver.ok("product", value=UPC["flower"])
    found_elsewhere = driver.expect("warn", "tag", value=TAGS[6])
    assert found_elsewhere == ("Según los registros, el paquete …000006 está en Vault shelf B2, "
                               "no en esta área. Cuéntelo aquí; se registra como una diferencia.")
    driver.ok("units", value="8")
    driver.ok("product", value=UPC["flower"])
    assert "no está en los registros de esta tienda" in said(
        driver.do("tag", value=UNKNOWN_TAG))
    driver.ok("units", value="3")
    driver.count(UPC["cart"], TAGS[2], "644")

    # Weighing: the scale's words and the typed weight, in Spanish.
    driver.ok("product", value=UPC["bulk"])
    driver.ok("tag", value=TAGS[5])
    weigh = step(driver, "weight")
    assert "Ponga el paquete en la báscula y tome la lectura." in weigh
    assert "Tomar lectura" in weigh and "Se cuenta en gramos" in weigh
    live = no_english(driver.get("/scale/live"), "the live weight")
    assert "No hay báscula configurada en este kiosco" in live
    assert "No hay báscula configurada" in said(driver.do("weight", source="scale"))
    typed = said(driver.do("weight", source="keyed", value="453.6", reason="Sin báscula"))
    assert typed.startswith("Contado: 453,6 gramos.")
    assert typed.endswith("El peso se registra como escrito, con su motivo.")

    finish = no_english(driver.get(f"/runs/{driver.run_id}"), "product, before finishing")
    assert "Terminar esta área" in finish
    driver.ok("product", value="__finish__")
    area_end = step(driver, "area_end")
    assert "¿Terminar de contar esta área?" in area_end
    assert "Aún no encontrados (1): búsquelos" in area_end
    assert said(driver.do("area_end", value="finish")) == (
        "Área terminada. 5 paquetes necesitan un reconteo por otra persona.")

    # Erin may not recount her own area.
    recount = step(driver, "recount")
    assert "Reconteo por otra persona: Erin Walsh no puede hacerlo." in recount
    assert "Por recontar (5)" in recount
    assert "Erin Walsh contó esta área y no puede recontarla" in said(
        driver.do("recount", value="ok"))

    driver.as_("hana")
    assert said(driver.do("recount", value="ok")).startswith("Hana Sato hace el reconteo.")
    assert "Reconteo: escanee el código de barras del producto (UPC)." in step(
        driver, "recount_product")
    driver.ok("recount_product", value=UPC["flower"])
    assert "no necesita reconteo" in said(driver.do("recount_tag", value=TAGS[1]))
    driver.ok("recount_tag", value=UPC["gummies"])
    driver.ok("recount_tag", value=TAGS[3])
    assert said(driver.do("units", value="517")) == "Recontado …000003: 517 unidades."
    for product, n, quantity in (("cart", 2, "644"), ("flower", 6, "8")):
        driver.count(UPC[product], TAGS[n], quantity, step="recount_product",
                     then="recount_tag")
    driver.ok("recount_product", value="__finish__")
    assert "Recuente primero estos: …000042." in said(driver.do("recount_end", value="finish"))
    driver.ok("recount_end", value="look")
    driver.count(UPC["flower"], UNKNOWN_TAG, "3", step="recount_product", then="recount_tag")
    driver.ok("recount_product", value="__finish__")
    step(driver, "recount_end")
    assert said(driver.do("recount_end", value="finish")) == (
        "Reconteo hecho. Ahora las dos firmas.")

    sign = step(driver, "sign")
    assert "Cierre el conteo: firma quien contó y luego quien recontó o un gerente." in sign
    assert "no contó esta área" in said(driver.do("sign", badge="1008", pin="8901"))
    driver.sign("sign", "erin")
    closed = said(driver.do("sign", badge="1008", pin="8901"))
    assert closed == "Conteo cerrado. 4 diferencias pasan a investigación."
    slip_step = step(driver, "slip")
    assert "Imprima el comprobante del conteo." in slip_step and "CONTEO CÍCLICO" in slip_step
    driver.ok("slip", value="print")
    return Count.get_by_id(scheduled.id)


def test_a_spanish_counter_counts_and_recounts_a_shelf_in_spanish(driver, spanish, app):
    count = count_in_spanish(driver)
    assert count.status == "closed"
    # The record keeps its English, whoever counted.
    assert count.title == "Vault shelf A1"
    assert Variance.get(Variance.tag == TAGS[4]).kind == "missing"

    # The slip, printed for Hana (who read the screen in Spanish), is in Spanish.
    job = PrintJob.get(PrintJob.layout == "count_slip")
    assert requester_language(job) == "es"
    printed = read(payload(job, app.config["KIOSK"]))
    text = "\n".join(printed.lines)
    for spanish_words in ("CONTEO CÍCLICO", "*** CAPACITACIÓN", "Contado por", "Recontado por",
                          "Firmado por", "Paquetes contados", "Diferencias por investigar",
                          "no encontrado", "contado 8 unidades", "Quien contó",
                          "Quien recontó o gerente", "Vault shelf A1"):
        assert spanish_words in text, spanish_words
    left = english_in(text.replace("TRAINING", ""))
    assert not left, f"English on the Spanish slip: {left}\n{text}"
    assert printed.barcodes == [(73, f"COUNT-{count.id}")]
    # Its preview on the manager's printing screens is drawn in the same language.
    assert "CONTEO CÍCLICO" in preview.job_html(job, app.config["KIOSK"])


def test_the_manager_screens_and_figures_in_spanish(driver, spanish, fixed_clock):
    count = count_in_spanish(driver)
    fixed_clock.advance(hours=26)
    driver.as_("femi")
    manager = no_english(driver.get("/manager/counts"), "counts and variances")
    for spanish_words in ("Conteos y diferencias", "Diferencias abiertas (4)",
                          "1 d 2 h", "-388 unidades", "en investigación (sin empezar)",
                          "Programar un conteo", "Un conteo al azar de", "20 paquetes",
                          "Hoy", "Mañana", "Cerrado", "5 esperados"):
        assert spanish_words in manager, spanish_words
    detail = no_english(driver.get(f"/manager/counts/{count.id}"), "the count")
    for spanish_words in ("Conteo: Vault shelf A1", "Estado", "cerrado", "Diferencias (5)",
                          "no encontrado", "Erin Walsh (realizado, contador de inventario)",
                          "peso escrito (Sin báscula)", "no esperado (en Vault shelf B2)",
                          "fuera de los registros de esta tienda"):
        assert spanish_words in detail, spanish_words
    figures = no_english(driver.get("/manager/figures"), "figures that disagree")
    assert "El libro, el POS y Metrc no coinciden en 1 de 6 paquetes" in figures
    assert "644 unidades" in figures
    missing = Variance.get(Variance.tag == TAGS[4])
    variance = no_english(driver.get(f"/manager/variances/{missing.id}"), "a variance",
                          HISTORY_ROWS)
    for spanish_words in ("Diferencia: " + TAGS[4], "Esperado, no encontrado",
                          "Libro del kiosco", "388 unidades", "Investigar",
                          "Historial de " + TAGS[4]):
        assert spanish_words in variance, spanish_words
    # Refusals and notices on the manager's screen.
    late = driver.post("/manager/counts", {"scope": "location", "location": "LOC-V-A1",
                                           "due_on": "2000-01-01"})
    assert "Un conteo se puede programar para hoy y los próximos 13 días." in no_english(
        late.get_data(as_text=True), "a count scheduled too late")
    spot = driver.post("/manager/counts", {"scope": "spot", "spot_size": "5",
                                           "due_on": clock.store_date().isoformat()})
    assert "Programado: Conteo al azar de 5 paquetes" in no_english(
        spot.get_data(as_text=True), "a spot count scheduled")
    spot_count = Count.get(Count.scope == "spot")
    assert spot_count.title == "Spot count of 5 packages"  # the record keeps its English
    why = driver.post(f"/manager/counts/{spot_count.id}/cancel", {"why": ""})
    assert "Diga por qué se cancela el conteo." in no_english(why.get_data(as_text=True),
                                                             "a cancel without a reason")
    gone = driver.post(f"/manager/counts/{spot_count.id}/cancel", {"why": "Otro día"})
    assert "Conteo al azar de 5 paquetes se quitó de la programación." in visible(
        gone.get_data(as_text=True))


def test_a_spanish_manager_investigates_two_variances(driver, spanish):
    count_in_spanish(driver)
    shelved = Variance.get(Variance.tag == TAGS[6])  # found on A1, kept by the records on B2
    driver.as_("femi")
    driver.tap(f"/variances/{shelved.id}/investigate")
    history = step(driver, "history", HISTORY_ROWS)
    for spanish_words in ("Lea el historial del paquete.", "Historial de " + TAGS[6],
                          "Cuándo Qué Quién Dónde",
                          "Encontrado, no se esperaba aquí", "En el estante (conteo)",
                          "8 unidades", "Libro del kiosco", "Encontrada"):
        assert spanish_words in history, spanish_words
    driver.ok("history", value="ok")
    checks = step(driver, "checks")
    assert "Revisé el registro de ventas" in checks
    assert "Registre al menos una cosa" in said(driver.do("checks", value="done"))
    assert said(driver.do("checks", value="receiving")) == (
        "Registro de recepción: revisado. ¿Algo más?")
    driver.ok("checks", value="camera")
    assert "Revisión de cámaras: escriba la referencia" in step(driver, "camera")
    driver.ok("camera", value="CAM-7")
    recorded = step(driver, "checks")
    assert "Registro de recepción (Femi Adeyemi)" in recorded
    assert "Revisión de cámaras: CAM-7 (Femi Adeyemi)" in recorded
    driver.ok("checks", value="done")
    assert "Error al ingresar datos" in step(driver, "cause")
    driver.ok("cause", value="data_entry")
    driver.ok("cause_note", value="Se guardó en el estante equivocado")
    resolution = step(driver, "resolution")
    assert "Causa: Error al ingresar datos (Se guardó en el estante equivocado)" in resolution
    driver.ok("resolution", value="elsewhere")
    driver.ok("where", value="Movido a B2 en el kiosco")
    sign = step(driver, "sign")
    assert "Firme la resolución: quien investiga y luego un gerente." in sign
    assert "Sin ajuste" in sign
    driver.sign("sign", "femi")
    driver.sign("sign", "gus")
    assert Variance.get_by_id(shelved.id).resolution == "fixed elsewhere"

    missing = Variance.get(Variance.tag == TAGS[4])
    driver.as_("femi")
    driver.tap(f"/variances/{missing.id}/investigate")
    driver.ok("history", value="ok")
    driver.ok("checks", value="sales")
    driver.ok("checks", value="done")
    flagged = driver.expect("warn", "cause", value="theft")
    assert flagged == ("Sospecha de robo: ya aparece en la lista de seguimiento de incidentes "
                       "del gerente.")
    driver.ok("cause_note", value="No está")
    driver.ok("resolution", value="adjust")
    reasons = driver.buttons()
    assert "Theft (requiere una nota)" in reasons  # the state's reason: its own name
    driver.ok("reason", value="Incorrect Quantity")
    amounts = driver.buttons()
    assert amounts[0] == "Restar 388 unidades: el libro queda en lo contado, 0"
    assert "Otra cantidad…" in amounts
    driver.ok("amount", value="other")
    assert "Ingrese cuánto ajustar (más de cero)." in said(driver.do("other_amount", value="0"))
    driver.ok("other_amount", value="400")
    assert "El libro tiene 388 unidades: no puede perder 400 unidades." in said(
        driver.do("direction", value="remove"))
    driver.ok("direction", value="add")
    step(driver, "sign")
    assert "no puede aprobar su diferencia" not in driver.sign("sign", "femi")
    # Gus signs at Femi's screen, which goes on speaking Femi's Spanish.
    assert driver.sign("sign", "gus") == (
        f"Se ajustó {TAGS[4]} en 400 unidades; se avisa a Metrc y al POS.")
    assert Variance.get_by_id(missing.id).adjustment == Decimal(400)

    follow = driver.as_("femi").post(f"/manager/variances/{missing.id}/follow-up", {"why": ""})
    assert "Diga cuál fue el seguimiento" in no_english(
        follow.get_data(as_text=True), "a follow-up without words", HISTORY_ROWS)
    done = driver.post(f"/manager/variances/{missing.id}/follow-up",
                       {"why": "Informe de incidente presentado"})
    text = no_english(done.get_data(as_text=True), "the follow-up recorded", HISTORY_ROWS)
    assert "Seguimiento registrado." in text and "Hecho por Femi Adeyemi" in text


def test_an_english_speaker_still_reads_english(driver, spanish):
    count_in_spanish(driver)
    driver.as_("gus")
    manager = visible(driver.get("/manager/counts"))
    for english_words in ("Counts and variances", "Open variances (4)",
                          "investigating (not started)", "-388 Each", "Schedule a count",
                          "Today", "Tomorrow"):
        assert english_words in manager, english_words
    assert "Diferencias" not in manager
    driver.start("cycle_count")
    assert "Which count?" in visible(driver.get(f"/runs/{driver.run_id}"))
    driver.ok("which", value="place")
    assert "Scan the label of the place you count." in visible(
        driver.get(f"/runs/{driver.run_id}"))
    assert driver.refused("place", value="LOC-NOWHERE") == (
        "LOC-NOWHERE is not a place in this store. Scan a shelf label.")
    driver.ok("place", value="LOC-V-B2")
    answer = driver.ok("product", value=UPC["flower"])
    assert answer == "Blue Dream 3.5g Jar: now scan its package tag."
    assert "0 of 1 scanned in this area" in visible(driver.get(f"/runs/{driver.run_id}"))


def test_the_scale_and_the_count_sheet_say_their_words_in_spanish():
    moving = Reading("unstable", Decimal("453.60"), "g").words
    assert "still moving (now 453.60 g)" in moving  # English as it always read
    assert words.say(moving, "es") == (
        "El peso todavía se mueve (ahora 453,60 g). Mantenga el plato quieto, retire las "
        "manos y tome la lectura otra vez.")
    assert words.say(Reading("offline").words, "es").startswith("La báscula no respondió.")
    assert words.say(Reading("stable", Decimal("12.5"), "g").words, "es") == "12,5 g, estable."
    # Every digit the scale printed, the decimal mark the reader's: nothing rounded.
    assert words.say(Reading("stable", Decimal("0.45360"), "kg").words, "es") == (
        "0,45360 kg, estable.")
    assert Reading("stable", Decimal("0.45360"), "kg").words == "0.45360 kg, stable."
    sheet = slips.build("count_sheet", SLIPS["count_sheet"], {"store_name": "Tienda"},
                        language="es")
    text = "\n".join(slips.pair_text(line) if isinstance(line, slips.Pair) else
                     getattr(line, "text", "") for line in sheet)
    for spanish_words in ("HOJA DE CONTEO", "Contado", "Esperado 12", "Contado 11",
                          "DIFERENCIA", "Líneas con diferencia", "Quien contó"):
        assert spanish_words in text, spanish_words
    assert not english_in(text.replace("Cycle count: vault shelf A1", "")), text


def test_the_feedback_cue_carries_the_spanish_words(driver, spanish):
    """What kiosk.js plays and shows after a scan is the same Spanish as the screen."""
    driver.as_("erin")
    driver.start("cycle_count")
    driver.ok("which", value="place")
    driver.do("place", value="LOC-NOWHERE")
    cue = json.loads(driver.last.headers["HX-Trigger"])["kiosk:feedback"]
    assert cue["message"] == ("LOC-NOWHERE no es un lugar de esta tienda. Escanee la etiqueta "
                              "de un estante.")


def test_a_category_counted_now_is_named_in_spanish_and_resumed_from_home(driver, spanish):
    driver.as_("erin")
    driver.start("cycle_count")
    which = step(driver, "which")
    assert "Contar una categoría ahora" in which and "Contar un lugar ahora" in which
    driver.ok("which", value="category")
    assert "¿Qué categoría?" in step(driver, "category")
    started = said(driver.do("category", value="category:Flower"))
    assert started == ("Toda la categoría Flower: contando 3 paquetes. Escanee el código de "
                       "barras de un producto y luego su etiqueta.")
    assert Count.get(Count.scope == "category").title == "All Flower"  # kept in English
    home = no_english(driver.get("/"), "home, with the count in progress")
    assert "Toda la categoría Flower: 0 de 3 escaneados en este conteo" in home

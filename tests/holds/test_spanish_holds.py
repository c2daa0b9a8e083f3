"""The quarantine cage in Spanish, for a Spanish-speaking manager of the vault (SOP §5): the
cage, a held package's page and a recall's page, and every step of release, destroy, recall,
return to vendor and the paper manifest, with no English left on the screen or in the
feedback; the destruction log and the RTV slip she prints are in Spanish. An
English-speaking manager still reads the same screens in English."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from hold_helpers import TAGS, VENDOR, feedback
from test_quarantine import quarantine

from kiosk import db, demo, scans, variances
from kiosk.hardware import slips
from kiosk.hardware.queue import requester_language
from kiosk.models import Employee, Item, PrintJob, Recall
from kiosk.models.sync import PosSale

# The kiosk's English words of this area that must not be left on a Spanish screen.
ENGLISH = re.compile(
    r"\b(Scan|scan|Package|package|packages|cage|Cage|hold|Hold|held|Held|Release|release|"
    r"Destroy|destroy|Destroyed|vendor|Vendor|Return|return|Recall|recall|Recalls|Reason|"
    r"Why|Back|Print|Sign|Step|Home|Cancel|Weight|Method|Note|Witness|Quantity|Manifest|"
    r"Shipper|Driver|Vehicle|Type|Next|Done|Batch|Item|Since|What|Who|Where|Age|Matched|"
    r"Found|Now|nowhere|receiving|Awaiting|Damaged|Expired|Recalled|Accepted|Vault|"
    r"Sales floor|the|and|of|is|to|it|on|by|ago|Date|Licence|Came|Performed|"
    r"Mixed|typed|Going|entered|COA noted)\b")
# The store's own names (people, items, places, vendors, Metrc's reasons) are not the
# kiosk's words: they are taken out before looking for English.
STORE_WORDS = ("Blue Dream 3.5g Jar", "Pineapple Express Cart 0.5g", "Bulk Blue Dream (grams)",
               "Watermelon Gummies 100mg", "Vault shelf A1", "Vault shelf A2", "Sales floor",
               "Quarantine cage", "Receiving dock", "Dev Patel", "Carla Nguyen",
               "Femi Adeyemi", "Gus Lindqvist", "Ana Reyes", "Golden Coast Distribution",
               "Cloud Nine Wholesale", "Waste (Unusable Product)", "Drying")


def visible(page: str) -> str:
    """The words a person reads on the page: no scripts, styles or tags."""
    page = re.sub(r"<(script|style|template)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(page).split())


def no_english(text: str, where: str, leave: tuple[str, ...] = ()) -> None:
    for words in STORE_WORDS + leave:
        text = text.replace(words, " ")
    left = sorted(set(ENGLISH.findall(text)))
    assert not left, f"{where}: English on a Spanish screen: {left}\n{text}"


def screen(driver, where: str) -> str:
    """The step on screen, and the feedback of the last answer, checked for English."""
    text = visible(driver.text())
    no_english(text, where)
    trigger = driver.last.headers.get("HX-Trigger")
    if trigger:
        no_english(feedback(driver.last)["message"], f"{where} (feedback)")
    return text


def slip_text(job: PrintJob) -> str:
    lines = slips.build(job.layout, job.data, {"store_name": "Tienda"},
                        language=requester_language(job))
    said = []
    for line in lines:
        if isinstance(line, slips.Line):
            said.append(str(line.text))
        elif isinstance(line, slips.Pair):
            said += [str(line.left), str(line.right)]
    return " | ".join(said)


@pytest.fixture
def spanish(cage_store):
    """Femi (manager and vault staff) reads Spanish; everyone else English."""
    with db.write():
        Employee.update(language="es").where(Employee.badge == "1006").execute()
    return cage_store


@pytest.fixture
def reasons(database, fixed_clock):
    with db.write():
        variances.keep_reasons([{"name": "Drying", "requires_note": False},
                                {"name": "Waste (Unusable Product)", "requires_note": True}],
                               fixed_clock.now())


def test_the_cage_and_a_held_package_in_spanish(driver, spanish):
    driver.as_("dev")
    quarantine(driver, TAGS[1], "damaged")
    quarantine(driver, TAGS[4], "recalled")
    quarantine(driver, TAGS[2], "damaged", part="2")
    driver.as_("femi")
    home = visible(driver.kiosk.get("/").get_data(as_text=True))
    for title in ("Liberar de cuarentena", "Destruir un paquete", "Devolver al proveedor",
                  "Retiro del mercado", "Manifiesto en papel",
                  "Retenga todos los paquetes de un lote, artículo, paquete de origen"):
        assert title in home, title
    cage = visible(driver.kiosk.get("/cage").get_data(as_text=True))
    assert "Jaula de cuarentena: 3 retenidos" in cage
    assert "Dañado" in cage and "Retirado del mercado" in cage
    assert "En espera de destrucción" in cage and "(parte)" in cage
    assert "por Dev Patel" in cage
    no_english(cage, "cage")

    page = driver.kiosk.get(f"/cage/package/{TAGS[1]}").get_data(as_text=True)
    # The package's history is the timeline's, not this screen's own words.
    own = visible(re.sub(r'<table class="grid" id="history">.*?</table>', " ", page,
                         flags=re.S))
    assert "Retenido: Dañado" in own and "Historial de" in own
    for button in ("Liberarlo", "Devolver al proveedor", "Destruirlo", "Volver a la jaula"):
        assert button in own, button
    no_english(own, "held package")

    # A part held: the page says why it cannot go back to its vendor alone.
    part = visible(re.sub(r'<table class="grid" id="history">.*?</table>', " ",
                          driver.kiosk.get(f"/cage/package/{TAGS[2]}").get_data(as_text=True),
                          flags=re.S))
    assert "Solo una parte de este paquete está retenida" in part
    assert "Liberar las unidades retenidas" in part
    no_english(part, "part held")

    hold_id = re.search(r'/cage/hold/(\d+)/next', page).group(1)
    answer = driver.kiosk.post(f"/cage/hold/{hold_id}/next", {"next": "vendor"})
    said = visible(answer.get_data(as_text=True))
    assert "Siguiente: En espera del proveedor (devolución)." in said


def test_release_in_spanish(driver, spanish):
    driver.as_("dev")
    quarantine(driver, TAGS[1], "damaged")
    driver.as_("femi")
    driver.start("release")
    assert "Escanee el paquete retenido (su etiqueta de cuarentena)." in screen(driver, "start")
    refused = driver.scan(TAGS[6])
    assert refused["tone"] == "error"
    assert refused["message"] == "El paquete …000006 no está retenido; no hay nada que liberar."
    screen(driver, "refused")
    assert driver.scan(TAGS[1])["tone"] == "ok"
    text = screen(driver, "reason")
    assert "¿Por qué se puede vender de nuevo?" in text
    assert "Inspeccionado: no tiene nada malo" in text and "retenido desde hace" in \
        feedback(driver.last)["message"]
    driver.answer("inspected")
    text = screen(driver, "shelf")
    assert "Póngalo de vuelta en un estante de la bóveda" in text
    assert "Por qué se libera" in text and "Inspeccionado: no tiene nada malo" in text
    assert driver.scan("LOC-Q")["tone"] == "error"
    assert "no es una ubicación de inventario" in screen(driver, "not a shelf")
    assert driver.scan("LOC-V-A1")["tone"] == "ok"
    text = screen(driver, "sign")
    assert "Un gerente aprueba la liberación" in text
    # The person releasing it cannot approve it: refused in Spanish.
    assert driver.sign("femi")["tone"] == "error"
    assert "está liberando este paquete" in screen(driver, "same person")
    said = driver.sign("gus")
    assert said["tone"] == "ok" and said["message"].startswith("Liberado:"), said
    screen(driver, "released")


def test_destroy_in_spanish_and_its_log_slip(driver, spanish, reasons):
    driver.as_("dev")
    quarantine(driver, TAGS[1], "damaged")
    driver.as_("femi")
    driver.start("destroy")
    assert "Escanee el paquete de la jaula" in screen(driver, "start")
    said = driver.scan(TAGS[6])
    assert said["tone"] == "error" and "no está retenido en la jaula" in said["message"]
    assert "Ponerlo primero en cuarentena" in screen(driver, "not in the cage")
    assert driver.scan(TAGS[1])["tone"] == "ok"
    assert "Pese los desechos" in feedback(driver.last)["message"]
    assert "Ponga los desechos en la báscula" in screen(driver, "weight")
    driver.answer("41.6", source="keyed", reason="Báscula en calibración")
    text = screen(driver, "method")
    assert "¿Cómo se destruye?" in text and "Molido y mezclado 50:50" in text
    assert "(escrito)" in text
    driver.answer("grind_mix")
    assert "¿Con qué desechos" in screen(driver, "mixed")
    driver.answer("Arena para gatos, 45 g", source="typed")
    assert "Motivo de Metrc para el ajuste" in screen(driver, "reason")
    driver.answer("Waste (Unusable Product)")
    assert "Una nota para Metrc" in screen(driver, "note")
    driver.answer("Sello roto; frasco contaminado", source="typed")
    text = screen(driver, "sign")
    assert "La persona que lo destruye y un testigo" in text
    assert driver.sign("femi")["tone"] == "ok"
    screen(driver, "witness")
    said = driver.sign("carla")
    assert said["tone"] == "ok" and said["message"].startswith("Se destruyeron 24"), said
    assert "Imprima el registro de destrucción." in screen(driver, "print")
    driver.answer("print")
    screen(driver, "done")
    slip = slip_text(PrintJob.get(PrintJob.layout == "destruction_log"))
    for words in ("REGISTRO DE DESTRUCCIÓN", "Destruido", "Cantidad", "Peso",
                  "41,6 g (escrito: Báscula en calibración)",
                  "Método: Molido y mezclado 50:50 con desechos que no son cannabis",
                  "Mezclado con: Arena para gatos", "Motivo de Metrc: Waste (Unusable Product)",
                  "Realizado por: Femi Adeyemi", "Testigo: Carla Nguyen"):
        assert words in slip, (words, slip)
    no_english(slip, "destruction log")


def test_return_to_vendor_in_spanish_and_its_slip(driver, spanish):
    driver.as_("dev")
    quarantine(driver, TAGS[1], "recalled")
    quarantine(driver, TAGS[5], "damaged")
    driver.as_("femi")
    driver.start("return_to_vendor")
    assert "¿Qué proveedor recibe los paquetes de vuelta?" in screen(driver, "vendor")
    driver.answer(VENDOR[1])
    assert "Escanee cada paquete que se devuelve" in screen(driver, "packages")
    said = driver.scan(TAGS[4])  # not held, and from the other vendor
    assert said["tone"] == "error" and "no está retenido en la jaula" in said["message"]
    screen(driver, "refused")
    assert driver.scan(TAGS[1])["tone"] == "ok"
    assert "se devuelven 24" in feedback(driver.last)["message"]
    assert driver.scan(TAGS[5])["tone"] == "ok"
    text = screen(driver, "two packages")
    assert "Se devuelven" in text and "No hay más paquetes" in text
    driver.answer("__finish__")
    assert "¿Por qué se devuelven?" in screen(driver, "reason")
    driver.answer("Retiro del proveedor 2611-R", source="typed")
    assert "La persona que entrega los paquetes y un testigo" in screen(driver, "sign")
    assert driver.sign("femi")["tone"] == "ok"
    said = driver.sign("carla")
    assert said["tone"] == "ok" and "2 paquete(s) salieron de nuestro inventario" in \
        said["message"], said
    assert "el conductor lo firma" in screen(driver, "print")
    driver.answer("print")
    assert "número de manifiesto que le dio Metrc" in screen(driver, "manifest")
    assert driver.answer("0000412345", source="typed")["tone"] == "ok"
    assert feedback(driver.last)["message"].startswith("Manifiesto 0000412345 registrado")
    screen(driver, "done")
    slip = slip_text(PrintJob.get(PrintJob.layout == "rtv_slip"))
    for words in ("DEVOLUCIÓN AL PROVEEDOR", "Devolución", "Fecha", "Para", "Licencia",
                  "Motivo: Retiro del proveedor 2611-R", "Llegó en el manifiesto",
                  "453,6 gramos", "Entregado por: Femi Adeyemi", "Testigo: Carla Nguyen",
                  "Conductor (nombre, firma)"):
        assert words in slip, (words, slip)
    no_english(slip, "RTV slip")


def test_a_recall_and_its_screen_in_spanish(driver, spanish):
    driver.as_("femi")
    driver.start("recall")
    text = screen(driver, "kind")
    assert "¿Qué nombra el retiro del mercado?" in text and "Un número de lote" in text
    driver.answer("batch")
    assert "Escanee o escriba el número de lote" in screen(driver, "batch")
    assert driver.answer("NO-SUCH-BATCH", source="typed")["tone"] == "error"
    assert "Ningún paquete de la tienda tiene el lote NO-SUCH-BATCH" in screen(driver, "none")
    driver.answer("GC-BD-2611", source="typed")
    text = screen(driver, "notice")
    assert "Paquetes encontrados" in text and "Coincide: lote GC-BD-2611" in text
    driver.answer("Aviso del estado 78", source="typed")
    text = screen(driver, "hold")
    assert "Retener los 3 paquetes ahora" in text
    said = driver.answer("hold")
    assert said["tone"] == "ok" and said["message"].startswith(
        "Lote GC-BD-2611: 3 paquete(s) retenidos"), said
    screen(driver, "held")
    recall = Recall.get()
    page = visible(driver.kiosk.get(f"/cage/recall/{recall.id}").get_data(as_text=True))
    assert "Lote GC-BD-2611: 0 de 3 en la jaula" in page
    assert "Coincide: lote GC-BD-2611" in page and "Piso de ventas" in page
    assert "Llevarlo a la jaula" in page
    no_english(page, "recall screen", leave=("Aviso del estado 78",))
    cage = visible(driver.kiosk.get("/cage").get_data(as_text=True))
    assert "Retirado del mercado: Lote GC-BD-2611 (Aviso del estado 78)" in cage
    assert "Retiros del mercado" in cage and "tráigalo" in cage
    no_english(cage, "cage with a recall")


def test_a_paper_manifest_in_spanish(driver, spanish):
    with db.write():
        Item.update(gtin=scans.normalise_gtin(demo.demo_upc(1))).where(
            Item.name == "Blue Dream 3.5g Jar").execute()
    driver.as_("femi")
    driver.start("paper_manifest")
    assert "Escriba o escanee el número de manifiesto" in screen(driver, "number")
    assert driver.answer("0000412399", source="typed")["tone"] == "ok"
    assert "Escriba el número de licencia del remitente." in screen(driver, "shipper")
    assert driver.answer(VENDOR[1], source="typed")["tone"] == "ok"
    assert feedback(driver.last)["message"] == f"Remitente: {VENDOR[0]}."
    assert "Escriba el nombre del conductor." in screen(driver, "driver")
    driver.answer("Dana Reyes", source="typed")
    driver.answer("Ford Transit 8ABC123", source="typed")
    assert "¿Cuántas cajas selladas indica el papel?" in screen(driver, "cases")
    driver.answer("1", source="typed")
    text = screen(driver, "tag")
    assert "0 paquetes ingresados" in text and "Todos los paquetes ingresados" in text
    assert driver.answer("__finish__")["tone"] == "error"
    assert "Escanee al menos un paquete antes de terminar." in screen(driver, "none yet")
    tag = "1A4088800000000000000001"
    assert driver.scan(tag)["tone"] == "ok"
    text = screen(driver, "item")
    assert "Toque el artículo, o escanee su código de barras" in text
    assert f"Paquete {tag}" in text
    driver.answer(demo.demo_upc(1))
    assert feedback(driver.last)["message"] == \
        "Blue Dream 3.5g Jar: ingrese la cantidad que indica el papel (unidades)."
    screen(driver, "quantity")
    driver.answer("24", source="typed")
    assert "¿Vino con un COA de este lote" in screen(driver, "coa")
    driver.answer("pass")
    assert feedback(driver.last)["message"] == \
        "COA anotado. Escanee el siguiente paquete, o termine."
    assert "1 paquete ingresado" in screen(driver, "next tag")
    driver.answer("__finish__")
    assert "Firme el registro del manifiesto en papel." in screen(driver, "sign")
    said = driver.sign("femi")
    assert said["tone"] == "ok" and said["message"].startswith(
        "El manifiesto 0000412399 está registrado."), said
    screen(driver, "done")


def test_an_english_speaker_still_reads_english(driver, spanish):
    driver.as_("dev")
    quarantine(driver, TAGS[1], "damaged")
    driver.as_("gus")
    cage = visible(driver.kiosk.get("/cage").get_data(as_text=True))
    assert "Quarantine cage: 1 on hold" in cage and "Damaged" in cage
    assert "Awaiting destruction" in cage and "Dañado" not in cage
    page = visible(driver.kiosk.get(f"/cage/package/{TAGS[1]}").get_data(as_text=True))
    assert "On hold: Damaged" in page and "Release it" in page and "Destroy it" in page
    driver.start("release")
    assert "Scan the held package (its quarantine label)." in visible(driver.text())
    driver.scan(TAGS[1])
    text = visible(driver.text())
    assert "Why may it be sold again?" in text and "Inspected: nothing wrong with it" in text
    assert "Escanee" not in text


def test_a_customer_returns_sale_is_dated_the_spanish_way(driver, spanish, fixed_clock):
    """Quarantine's sales to tap name their day as the reader writes it, not in ISO."""
    sold = dt.datetime(2026, 11, 21, 18, 30)
    with db.write():
        PosSale.create(source="webhook", receipt="R-10042", tag=TAGS[6], quantity=1,
                       sold_at=sold, received_at=sold)
    driver.as_("femi")
    driver.start("quarantine")
    assert driver.scan(TAGS[6])["tone"] == "ok"
    driver.answer("customer_return")
    text = screen(driver, "sale")
    assert "Recibo R-10042" in text and "21/11/2026" in text and "2026-11-21" not in text
    driver.as_("gus")
    driver.start("quarantine")
    driver.scan(TAGS[6])
    driver.answer("customer_return")
    assert "sold 2026-11-21" in visible(driver.text())

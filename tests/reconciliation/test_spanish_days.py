"""Opening and closing the store in Spanish, for a manager whose language is Spanish: every
step of the opening and of the closing reconciliation, the day's reconciliation screen and
the end-of-day report in Spanish (no English words of the kiosk left on them), and the
summary slip she prints in Spanish. An English-speaking manager reads the same day in
English, and the PDF kept at close is written in the store's language."""

from __future__ import annotations

import io
import re

from bs4 import BeautifulSoup
from pypdf import PdfReader
from recon_helpers import MANAGER, OTHER_MANAGER, Manager, queue, yesterday
from test_close_store import count_all, evening

from kiosk import clock, db, reports
from kiosk import reconciliation as recon
from kiosk.hardware import slips
from kiosk.hardware.queue import requester_language
from kiosk.models import Employee, PrintJob
from kiosk.sync import sales_pulls

# The kiosk's English words of these screens, which must not be left on a Spanish one. Store
# data (people's, items' and places' names, tags) is the store's own; none of these is in it.
ENGLISH = re.compile(
    r"\b(Sales|Yesterday|Today|today|Compare|Check again|Pull|Settle|Explain|Explained|"
    r"Escalate|Escalated|Difference|difference|differences|Package|package|packages|Count|"
    r"count|counted|Counted|Opening|Closing|opening|closing|reconciliation|Reconciliation|"
    r"Signed|signed|Sign|Step|Cancel|Home|Day|Waited|Queued|Message|message|waiting|"
    r"Waiting|never|pulled|none|voided|receipts?|sale lines?|Summary|End of day|generated|"
    r"Licence|Nothing|Moves|Receipts|Variances|variance|Adjustments|Destroyed|Kept|Keep|"
    r"Print|Why|What|Who|By|Note|State|Now|Place|The books|not yet|In progress|started|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tue|Wed|Thu|Fri|Sat|Sun|"
    r"January|February|March|April|June|July|August|September|October|November|December|"
    r"Jan|Feb|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec|investigating|pending|attention|"
    r"scheduled|closed|the POS|of the|Spot count|Fastest|Slowest|Vault|Expiring|Units|"
    r"deadline|Deliveries|accepted|rejected)\b")
# A message's kind is a code the outbox keeps ("package.location"); a screen says it in words.
CODES = re.compile(r"\b(?:package|stock|transfer|sale)\.[a-z_]+\b")


def words(html: str, where: str = "body") -> str:
    """What a person reads in ``where`` (a CSS selector) of the page."""
    soup = BeautifulSoup(html, "html.parser")
    found = soup.select_one(where) or soup
    return " ".join(found.get_text(" ").split())


def store_data() -> list[str]:
    """The store's own names (places, items, people), longest first: never translated."""
    from kiosk.models import Item, Location

    names = [n for (n,) in Location.select(Location.name).tuples()]
    names += [n for (n,) in Item.select(Item.name).tuples()]
    names += [n for (n,) in Employee.select(Employee.name).tuples()]
    return sorted(set(names), key=len, reverse=True)


def no_english(text: str, where: str) -> None:
    text = text.replace("Opening stock", "")  # a reason the demo store kept on its stock
    for name in store_data():
        text = text.replace(name, "")
    left = sorted(set(ENGLISH.findall(text))) + sorted(set(CODES.findall(text)))
    assert not left, f"{where}: English on a Spanish screen: {left}\n{text}"


def step_text(manager: Manager) -> str:
    html = manager.kiosk.get(f"/runs/{manager.run_id}", headers={"HX-Request": "true"}).text
    return words(html, "#step")


def spanish(badge: str) -> None:
    with db.write():
        Employee.update(language="es").where(Employee.badge == badge).execute()


def open_the_day(manager: Manager, step_of=None) -> None:
    """The opening reconciliation walked to its signature, each screen in Spanish."""
    look = step_of or (lambda where: no_english(step_text(manager), where))
    screen = step_text(manager)
    assert "Ventas de ayer: el POS contra Metrc." in screen
    assert "líneas de venta" in screen and "descargado a las" in screen
    assert recon.SHORT_WEEKDAYS and "Paso 1 de" in screen
    look("the figures")
    answer = manager.ok("figures", value="compare")
    assert "diferencias por resolver." in answer["message"], answer["message"]

    first = True
    while manager.step == "difference":
        screen = step_text(manager)
        assert "Resuelva esta diferencia." in screen and "Diferencia " in screen
        look("a difference")
        if first:
            manager.ok("difference", value="explain")
            screen = step_text(manager)
            assert "¿Por qué no coinciden las cifras?" in screen
            assert "Venta de prueba o de capacitación" in screen
            look("why it differs")
            manager.ok("reason", value="test")
            assert "Escriba una nota: qué revisó y qué encontró." in step_text(manager)
            look("the note")
            answer = manager.ok("note", value="Venta de capacitación en la caja 2.")
            assert answer["message"] == "Aceptado." or "Explicada: Venta de prueba" in \
                answer["message"], answer["message"]
            first = False
        else:
            answer = manager.ok("difference", value="escalate")
            assert "espera una investigación (diferencia" in answer["message"]

    screen = step_text(manager)
    assert "Programe el conteo puntual de hoy." in screen
    look("the spot count")
    answer = manager.ok("spot")
    assert "toca hoy: hágalo desde el botón Conteo cíclico." in answer["message"]
    screen = step_text(manager)
    assert "Gerente de apertura: firme la conciliación del día." in screen
    assert "Diferencias resueltas" in screen
    look("the signature")
    answer = manager.ok("sign", badge=MANAGER[0], pin=MANAGER[1])
    assert "quedó conciliado, firmado por Femi Adeyemi." in answer["message"]


def test_a_spanish_manager_opens_and_closes_the_day_in_spanish(kiosk, settings, store,
                                                                fixed_clock):
    spanish(MANAGER[0])
    assert "receipts read" in sales_pulls.pull_day(settings, yesterday())
    manager = Manager(kiosk, "open_store", *MANAGER)
    open_the_day(manager)

    # The day's reconciliation screen: the opening just signed, in Spanish.
    screen = words(kiosk.get(f"/manager/reconciliation?day={yesterday()}").text, "#recon")
    assert "Ventas del" in screen and "Conciliación de apertura de estas ventas" in screen
    assert "Firmada por Femi Adeyemi" in screen
    assert "Explicada: Venta de prueba o de capacitación" in screen
    assert "Enviada a investigación" in screen and "en investigación" in screen
    assert "Conteo puntual: Conteo puntual de 3 paquetes · programado" in screen
    no_english(screen, "the day's reconciliation screen")

    # The evening: the closing count, the open variances, a message still waiting.
    evening(fixed_clock, settings)
    waiting = queue(store["packages"][0]["tag"])
    manager = Manager(kiosk, "close_store", *MANAGER)
    screen = step_text(manager)
    assert "Ventas de hoy: cuente los más vendidos." in screen
    assert "Por contar" in screen
    no_english(screen, "today's sales")
    answer = manager.ok("sales")
    assert "Cuente 3 paquetes: escanee cada etiqueta" in answer["message"]
    assert "Escanee un paquete de la lista." in step_text(manager)
    no_english(step_text(manager), "the closing count")
    count_all(manager)
    screen = step_text(manager)
    assert "Estas diferencias quedan abiertas durante la noche." in screen
    assert "Conciliación de apertura, " in screen and "en investigación" in screen
    no_english(screen, "the open variances")
    manager.ok("investigations")
    screen = step_text(manager)
    assert "Este mensaje todavía no llegó a su sistema." in screen
    assert f"Ubicación · paquete {waiting.payload['tag']} (Metrc)" in screen
    assert "del plazo de 24 h" in screen and "pendiente" in screen
    no_english(screen, "a waiting message")
    manager.ok("waiting", value="explain")
    screen = step_text(manager)
    assert "¿Por qué sigue pendiente?" in screen
    no_english(screen, "why it waits")
    manager.ok("wait_reason", value="outage")
    no_english(step_text(manager), "the waiting note")
    answer = manager.ok("wait_note", value="Metrc no funciona desde las 6 pm.")
    assert "Explicada: El sistema del estado no funciona" in answer["message"]
    screen = step_text(manager)
    assert "Gerente de cierre: firme el cierre del día." in screen
    assert "Conteo de cierre 3 de 3 contados; 0 distintos de los registros" in screen
    no_english(screen, "the closing signature")
    answer = manager.ok("sign", badge=MANAGER[0], pin=MANAGER[1])
    assert "quedó cerrado, firmado por Femi Adeyemi." in answer["message"]
    assert "se está guardando como PDF" in answer["message"]

    # The day's report, with its reconciliation, in Spanish.
    today = clock.store_date()
    page = kiosk.get(f"/manager/reports?day={today}").text
    assert '<html lang="es">' in page
    report = words(page, "#reports")
    assert "Fin del día · " in report and "Resumen" in report
    assert "Entregas recibidas" in report and "Conciliación" in report
    assert "Apertura (ventas del" in report and "Cierre firmó Femi Adeyemi el " in report
    assert "Reporte al cierre: se está haciendo" in report
    assert "El sistema del estado no funciona; la falla está reportada" in report, report
    no_english(report, "the day's report")
    closing = words(kiosk.get(f"/manager/reconciliation?day={today}").text, "#recon")
    assert "Cerrada por Femi Adeyemi" in closing
    assert "Mensajes aún pendientes al cierre (1)" in closing
    no_english(closing, "today's reconciliation screen")

    # The summary slip she prints is in Spanish.
    kiosk.post(f"/manager/reports/{today}/slip")
    job = PrintJob.get(PrintJob.layout == "day_summary")
    assert requester_language(job) == "es"
    lines = slips.build(job.layout, job.data, settings, language=requester_language(job))
    printed = "\n".join(
        slips.pair_text(line) if isinstance(line, slips.Pair) else line.text
        for line in lines if isinstance(line, slips.Pair | slips.Line))
    assert "FIN DEL DÍA" in printed and "Entregas recibidas" in printed
    assert "Cierre: firmó Femi Adeyemi el " in printed
    assert "Apertura (ventas del " in printed and "explicadas: 1" in printed, printed
    assert "Gerente de cierre" in printed
    no_english(printed, "the summary slip")
    # The same slip for an English reader (the job's record keeps English).
    english = slips.build(job.layout, job.data, settings)
    assert any(getattr(line, "text", "") == "END OF DAY" for line in english)
    assert dict(job.data["reconciliation"])["Closing"].startswith("signed by Femi Adeyemi")


def test_an_english_manager_still_reads_english(kiosk, settings, store, fixed_clock):
    spanish(MANAGER[0])
    sales_pulls.pull_day(settings, yesterday())
    manager = Manager(kiosk, "open_store", *OTHER_MANAGER)  # Gus reads English
    screen = step_text(manager)
    assert "Yesterday's sales: the POS against Metrc." in screen and "Step 1 of" in screen
    assert f"{yesterday():%A %d %B %Y}" in screen
    answer = manager.ok("figures", value="compare")
    assert "differences to settle." in answer["message"]
    assert "Settle this difference." in step_text(manager)

    screen = words(kiosk.get(f"/manager/reconciliation?day={yesterday()}").text, "#recon")
    assert f"Sales of {yesterday():%A %d %B %Y}" in screen
    assert "In progress: started by Gus Lindqvist" in screen
    page = kiosk.get(f"/manager/reports?day={clock.store_date()}").text
    assert '<html lang="en">' in page
    report = words(page, "#reports")
    assert f"End of day · {clock.store_date():%A %d %B %Y}" in report
    assert "Summary Deliveries received" in report and "Resumen" not in report
    kiosk.post(f"/manager/reports/{clock.store_date()}/slip")
    job = PrintJob.get(PrintJob.layout == "day_summary")
    lines = slips.build(job.layout, job.data, settings, language=requester_language(job))
    assert any(getattr(line, "text", "") == "END OF DAY" for line in lines)


def test_the_report_kept_at_close_is_in_the_stores_language(store, fixed_clock, settings):
    # The syncer keeps the PDF at close with ``reports.keep_pdf`` and the store's settings
    # (kiosk/sync/closing_pdfs.py): a Spanish store's PDF is in Spanish, whoever signed.
    spanish_store = {**settings, "language": "es"}
    kept = reports.keep_pdf(clock.store_date(), None, spanish_store, occasion="at close")
    data = (reports.folder(spanish_store) / kept.path).read_bytes()
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    assert "Fin del día · " in text and "Resumen Entregas recibidas" in text
    assert "página 1 de " in text
    no_english(text, "the PDF kept at close")
    report = reports.end_of_day(clock.store_date(), settings)
    english_html = reports.document_html(report, reports.language_of(settings))
    assert '<html lang="en">' in english_html and "End of day · " in english_html
    assert '<html lang="es">' in reports.document_html(report, "es")
    assert reports.language_of({"language": "fr"}) == "en"

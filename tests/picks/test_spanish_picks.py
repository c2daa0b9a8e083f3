"""The pick queue and picking in Spanish, for a Spanish-speaking runner, budtender and
manager: the queue, every step of a pick run (its refusals, the reason to take another
package, finishing short, the bag label, the hand-off), a request handed back to the
queue, the floor's restock screen and the manager's live picks; dates written the Spanish
way, never ISO; the pick ticket and bag labels printed in Spanish for a Spanish speaker. An
English speaker at the same screens still reads English."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from kiosk import db
from kiosk.hardware import labels
from kiosk.hardware.queue import payload
from kiosk.models import Employee, PrintJob
from kiosk.models.picks import PickedPackage, PickRequest

from .conftest import Picker, screen_text

PRINTING = Path(__file__).resolve().parents[1] / "printing"
sys.path.insert(0, str(PRINTING))
from escpos_reader import read  # noqa: E402

# The kiosk's English on the pick screens, which must not be left on a Spanish one (store
# data, such as item, shelf and people's names, is the store's own: none of these is in it).
ENGLISH = re.compile(
    r"\b(Pick|pick|Picks|picking|Claim|claimed|Waiting|waiting|Nothing|Nobody|Being|Scan|"
    r"Take|Took|Shelf|Tag|Received|Expires|package|Package|Packages|Sale|Online|Restock|"
    r"URGENT|From|asked|Remove|Send|Add|items|vault|queue|Finish|short|"
    r"Print|Hand|handed|hand-off|Customer|Order|Missing|Wanted|Taken|This request|Live|"
    r"Handed|Median|percentile|Target|Who|under|over|min target|Next|Everything|Step|"
    r"Not taken|Why|choose|stopped|Back in|instead|done|units|Urgent|Note|How)\b")
ISO_DAY = re.compile(r"\b20\d\d-\d\d-\d\d\b")
# The parts of a page that are store data or not words at all.
STORE_NAMES = re.compile(r"Watermelon Gummies|Blue Dream 3\.5g Jar|Bulk Wax|Vault shelf A\d|"
                         r"Sales floor|Online order pickup|Quarantine cage|Edible|Flower|"
                         r"Concentrate|Femi Adeyemi|Dev Patel|Carla Nguyen|Ana Reyes|"
                         r"Lucía Gómez|Marta Ruiz|Sofía Díaz|FLOOR-\d+-\d+|LOC-[A-Z-]+\d?|"
                         r"(vault|floor)-\d|Moon Rocks")


def no_english(text: str, where: str) -> None:
    left = sorted(set(ENGLISH.findall(STORE_NAMES.sub(" ", text))))
    assert not left, f"{where}: English on a Spanish screen: {left}\n{text}"
    assert not ISO_DAY.search(text), f"{where}: an ISO date on a Spanish screen\n{text}"


def body_text(html: str) -> str:
    """What a page says: its body, without scripts and the chart's picture."""
    html = html.split("<body", 1)[-1].split(">", 1)[-1]
    html = re.sub(r"<script.*?</script>|<svg.*?</svg>", " ", html, flags=re.S)
    return screen_text(html)


def spanish(name: str, badge: str, roles: str, make_employee) -> Employee:
    person = make_employee(name, badge, "2468", roles)
    with db.write():
        Employee.update(language="es").where(Employee.id == person.id).execute()
    return Employee.get_by_id(person.id)


@pytest.fixture
def lucia(store, make_employee, new_client):
    """Lucía Gómez, a runner who reads Spanish, logged in at vault-1."""
    spanish("Lucía Gómez", "2001", "runner", make_employee)
    return Picker(new_client(), "2001", "2468")


def test_a_spanish_runner_picks_an_online_order_from_the_queue_to_the_hand_off_in_spanish(
        store, order, lucia):
    request = order("W-90", [("Watermelon Gummies", 12), ("Blue Dream 3.5g Jar", 1)],
                    kind="online", customer="Jo Peña", note="Curbside")
    order("S-91", [("Bulk Wax", 10), ("Moon Rocks", 1)], priority="urgent")

    queue = lucia.kiosk.get("/picks").data.decode()
    text = body_text(queue)
    for words in ("Cola de surtido", "En espera", "Pedido en línea W-90", "URGENTE Venta S-91",
                  "Tomar", "De POS · pedida a las 9:00", "10 g Bulk Wax",
                  "1 × Moon Rocks ! no está en el catálogo de esta tienda",
                  "12 × Watermelon Gummies", "menos de 1 min", "Nadie está surtiendo"):
        assert words in text, (words, text)
    no_english(text, "the queue")
    # picks.js is given the words it moves the ages on with, in Spanish.
    given = json.loads(re.search(r"id=\"pick-queue\"[^>]*data-words='([^']*)'", queue)
                       .group(1))
    assert given["under 1 min"] == "menos de 1 min"
    assert given[" · over the {target} min target"] == " · pasó la meta de {target} min"

    assert "HX-Redirect" in lucia.claim(request).headers
    screen = lucia.screen()
    for words in ("Escanee cada paquete que saque.", "Pedido en línea W-90",
                  "Sacar Watermelon Gummies (12 más)", "Estante Vault shelf A1",
                  "Etiqueta termina en …000001", "Vence 23 dic 2026", "Nota: Curbside",
                  "Terminar incompleto…", "Esta solicitud", "faltan 12"):
        assert words in screen, (words, screen)
    assert re.search(r"Recibido 18 nov 2026", screen), screen
    no_english(screen, "the first package to take")

    # The wrong item, a package on hold, and a newer package than the kiosk's choice: each
    # refused in Spanish, the last with the reasons to take it anyway.
    tone, screen = lucia.send(store.packages.wax.tag)
    assert tone == "error" and "Eso es Bulk Wax, que esta solicitud no pide. Necesita " \
        "Watermelon Gummies y Blue Dream 3.5g Jar." in screen, screen
    tone, screen = lucia.send(store.packages.gummies_held.tag)
    assert tone == "error" and "nunca se puede surtir" in screen, screen
    tone, screen = lucia.send(store.packages.gummies_later.tag)
    assert tone == "error", screen
    assert "No se sacó: …000002 no es el que se saca primero. Saque …000001 de Vault shelf " \
        "A1 (recibido el 18 nov 2026)" in screen, screen
    assert "¿Por qué sacar …000002 en lugar de …000001?" in screen
    assert "El primero está dañado" in screen
    no_english(screen, "a newer package refused")
    # The reason tapped in Spanish is kept in English, like the rest of the record.
    tone, screen = lucia.send(store.packages.gummies_later.tag, reason="El primero está dañado",
                              source="tapped")
    assert tone == "ok" and "Sacó …000002 (Watermelon Gummies). Sigue: Watermelon Gummies " \
        "y Blue Dream 3.5g Jar." in screen, screen
    assert PickedPackage.get().reason == "The first one is damaged"
    tone, screen = lucia.send(store.packages.gummies_soon.tag)
    assert tone == "ok", screen
    tone, screen = lucia.send(store.packages.jar_old.tag)
    assert tone == "ok" and "Ya se sacó todo." in screen, screen

    # The bag labels: the step, its previews and the labels printed, in Spanish.
    assert lucia.run.current_step == "bag_label"
    screen = lucia.screen()
    assert "Imprima las etiquetas de la bolsa" in screen and "Pedido W-90" in screen, screen
    no_english(screen, "the bag label step")
    tone, screen = lucia.send("print")
    assert tone == "ok", screen
    job = PrintJob.select().where(PrintJob.layout == "pick_label").first()
    label = labels.build(job.layout, job.data, "4x6", job.training, "es")
    words = " ".join(item.text for item in label.items if hasattr(item, "text"))
    assert "Pedido W-90" in words and "| de Vault" in words and "Cant. 10 unidades" in words, words
    assert b"Pedido W-90" in payload(job, {}), "printed for Lucía: in Spanish"

    screen = lucia.screen()
    assert "Entregar en Online order pickup (LOC-PICKUP)" in screen and "Cliente Jo Peña" in \
        screen, screen
    no_english(screen, "the hand-off")
    tone, screen = lucia.send("LOC-FLOOR")
    assert tone == "error" and "Eso no es Online order pickup." in screen, screen
    tone, screen = lucia.send("LOC-PICKUP")
    assert tone == "ok" and "3 paquetes entregados a Online order pickup. 0 min de la " \
        "solicitud a la entrega." in screen, screen
    assert PickRequest.get_by_id(request.id).status == "handed_off"


def test_a_request_finished_short_or_handed_back_is_said_again_in_spanish(
        store, order, lucia, make_employee, new_client):
    # A Spanish-speaking budtender asks the vault for stock at the floor screen.
    spanish("Sofía Díaz", "2003", "receiver", make_employee)
    sofia = Picker(new_client(), "2003", "2468", station="floor-1")
    page = body_text(sofia.kiosk.get("/picks/new").data.decode())
    for words in ("Pedir inventario a la bóveda", "Su solicitud", "Agregar artículos",
                  "Watermelon Gummies · Edible · 20 unidades en la bóveda",
                  "Bulk Wax · Concentrate · 250 g en la bóveda", "¿Qué tan urgente?",
                  "Enviar a la bóveda"):
        assert words in page, (words, page)
    no_english(page, "the restock screen")
    wax, jar = store.items.wax.id, store.items.jar.id
    refused = sofia.kiosk.post("/picks/new", {f"q{wax}": "", "op": "send"})
    assert "Bulk Wax: " in body_text(refused.data.decode())
    no_english(body_text(refused.data.decode()), "a restock refused")
    too_long = sofia.kiosk.post("/picks/new", {f"q{jar}": "30", "op": "send",
                                                "note": "x" * 1000})
    assert "La nota: demasiados caracteres" in body_text(too_long.data.decode())
    no_english(body_text(too_long.data.decode()), "a restock's note refused")
    sent = sofia.kiosk.post("/picks/new", {f"q{jar}": "30", "op": "send", "urgent": "1"})
    said = body_text(sent.data.decode())
    assert "Enviada a la bóveda como FLOOR-" in said and "no hay nada más en espera" in said
    no_english(said, "a restock sent")
    restock = PickRequest.get(PickRequest.origin == "floor")

    # Lucía claims it, then hands it back: the queue says why, in Spanish.
    lucia.claim(restock)
    lucia.send(store.packages.jar_old.tag)
    answer = lucia.kiosk.post(f"/runs/{lucia.run_id}/cancel", {"reason": "Started by mistake"})
    assert answer.status_code == 200
    queue = body_text(lucia.kiosk.get("/picks").data.decode())
    assert ("De vuelta en la cola a las 09:00: Lucía Gómez dejó de surtirla (Empezado por "
            "error).") in queue, queue
    assert "URGENTE Reabastecimiento FLOOR-" in queue and "De Sofía Díaz en floor-1" in queue
    no_english(queue, "the queue with a request handed back")

    # Claimed again, it cannot all be picked: finished short with nothing taken.
    lucia.claim(restock)
    tone, screen = lucia.send("__finish__")
    assert lucia.run.current_step == "short", screen
    screen = lucia.screen()
    for words in ("Parte de esta solicitud no se puede surtir. ¿Por qué?", "Falta",
                  "Blue Dream 3.5g Jar: faltan 30", "No hay suficiente en la bóveda",
                  "Regresar y seguir surtiendo"):
        assert words in screen, (words, screen)
    no_english(screen, "finishing short")
    tone, screen = lucia.send("stock")
    assert "No se surtió nada; la solicitud se cerró" in screen, screen
    assert PickRequest.get_by_id(restock.id).close_reason == (
        "Nothing could be picked: Not enough in the vault.")  # the record keeps English
    mine = body_text(sofia.kiosk.get("/picks/new").data.decode())
    assert "sin surtir: No se pudo surtir nada: No hay suficiente en la bóveda." in mine, mine
    no_english(mine, "the floor's own requests")


def test_a_spanish_manager_watches_live_picks_in_spanish(store, order, runner, make_employee,
                                                         new_client, fixed_clock):
    spanish("Marta Ruiz", "2002", "manager", make_employee)
    request = order("S-92", [("Blue Dream 3.5g Jar", 1)])
    runner.claim(request)
    runner.send(store.packages.jar_old.tag)
    fixed_clock.advance(seconds=450)
    runner.send("LOC-FLOOR")
    order("S-93", [("Watermelon Gummies", 1)])
    marta = Picker(new_client(), "2002", "2468")
    page = marta.kiosk.get("/picks/manager").data.decode()
    text = body_text(page)
    for words in ("Surtido en vivo", "Entregadas hoy", "Mediana, de solicitud a entrega",
                  "Percentil 90", "Meta 5 min", "Quién surte qué", "En espera",
                  "Venta S-93", "Pantallas de gerente"):
        assert words in text, (words, text)
    assert "7,5 min" in text, text  # minutes written the Spanish way
    no_english(text, "live picks")
    assert "Mediana de minutos de la solicitud a la entrega, por hora, hoy" in page
    assert "meta 5 min" in page and ">target " not in page  # the chart's own words too


def test_an_english_speaker_still_reads_english(store, order, runner, new_client):
    request = order("W-94", [("Watermelon Gummies", 1)], kind="online")
    queue = body_text(runner.kiosk.get("/picks").data.decode())
    assert "Pick queue" in queue and "Online order W-94" in queue and "Claim" in queue
    assert not re.search(r'id="pick-queue"[^>]*data-words',
                         runner.kiosk.get("/picks").data.decode())
    runner.claim(request)
    screen = runner.screen()
    assert "Scan each package you take." in screen and "Received 2026-11-18" in screen
    tone, screen = runner.send(store.packages.wax.tag)
    assert "That is Bulk Wax, which this request does not ask for." in screen
    ana = Picker(new_client(), "1001", "1234", station="floor-1")
    assert "Ask the vault for stock" in body_text(ana.kiosk.get("/picks/new").data.decode())
    for page in (queue, screen):
        assert not re.search(r"Cola|Tomar|Escanee|Pedido|bóveda", page), page


def test_a_pick_ticket_printed_for_a_spanish_speaker_is_in_spanish(store, order, lucia):
    order("W-95", [("Watermelon Gummies", 2), ("Moon Rocks", 1)], kind="online",
          customer="Jo Peña", note="Curbside, blue car")
    job = PrintJob.get(PrintJob.layout == "pick_ticket")
    english = "\n".join(read(payload(job, {"store_name": "Café Verde"})).lines)
    assert "PICK TICKET" in english and "not in the vault" in english
    with db.write():
        PrintJob.update(requested_by_id=Employee.get(Employee.badge == "2001").id).where(
            PrintJob.id == job.id).execute()
    out = read(payload(PrintJob.get_by_id(job.id), {"store_name": "Café Verde"}))
    text = "\n".join(out.lines)
    for words in ("BOLETA DE SURTIDO", "Pedido", "Cliente", "Jo Peña", "Recibido",
                  "Nota: Curbside, blue car", "no está en la bóveda", "etiqueta ...000001",
                  "CAPACITACIÓN"):
        assert words in text, (words, text)
    assert "2 x Watermelon Gummies" in out.bold_lines
    assert not re.search(r"\b(PICK|TICKET|Order|Customer|Received|Note|not in the vault|"
                         r"tag|TRAINING)\b", text), text

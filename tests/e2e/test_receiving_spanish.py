"""A whole delivery received in Spanish at the touchscreen (SOP §2), by a receiver whose
language is Spanish: the lock screen switched to Spanish before she logs in, every screen
of the delivery in Spanish (no English words left on them), the receiving slip and labels
printed in Spanish. An English-speaking manager who logs in at the same screen to witness
the same run reads it in English, and the screen is back in the store's English whenever
nobody is logged in."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from kiosk import clock, db, manifests
from kiosk.hardware import preview
from kiosk.models import Employee, PrintJob, Run, Transfer

LIVE_SERVER_ENV = {"KIOSK_STATION": "receiving-1"}
TAG = "1A4050900{:015d}"
# Words of the kiosk's English that must not be left on a Spanish screen (store data such as
# product, shipper and location names is the store's own, so none of these is in them).
ENGLISH = re.compile(r"\b(Scan|scan|Accept|Reject|Step|Print|Sign|Next|Done|Count|Home|"
                     r"Log out|Cancel|Yes|Type|package|delivery|checked|received|shipped|"
                     r"Last scan|Receiver|Witness|Manifest|Shipped|Received|Packages|Result|"
                     r"Reason|TRAINING|Still|sealed|cases|Each)\b")


def delivery() -> dict:
    number = "0000300901"
    return {
        "manifest_number": number, "shipper_name": "Golden Coast Distribution",
        "shipper_license": "C11-0000222-LIC", "receiver_license": "C10-0000001-LIC",
        "driver_name": "Dana Reyes", "driver_license": "D7712345",
        "vehicle": "Ford Transit 8ABC123", "case_count": 1, "est_arrival": clock.now(),
        "packages": [{"tag": TAG.format(n), "item": "Blue Dream 3.5g Jar", "batch": "GC-BD-9",
                      "quantity": 48, "unit": "Each", "thc_pct": 22.1, "cbd_pct": 0.1}
                     for n in (1, 2)],
        "lab_results": [{"batch": "GC-BD-9", "test_type": "THC", "passed": True,
                         "thc_pct": 22.0, "coa_ref": "COA-GC-BD-9"},
                        {"batch": "GC-BD-9", "test_type": "Microbials", "passed": True}],
        "purchase_order": {"number": "PO-9901", "vendor_name": "Golden Coast Distribution",
                           "vendor_license": "C11-0000222-LIC",
                           "lines": [{"item": "Blue Dream 3.5g Jar", "quantity": 96}]}}


def no_english(page, where: str) -> None:
    """The screen as a person sees it (hidden parts left out) has no English left on it."""
    page.wait_for_load_state("load")
    text = page.locator("body").inner_text()
    left = sorted(set(ENGLISH.findall(text)))
    assert not left, f"{where}: English on a Spanish screen: {left}\n{text}"


def log_in(page, keypad, badge, pin, next_button, log_in_button):
    login = page.locator("#login")
    keypad(page, badge)
    login.get_by_role("button", name=next_button).tap()
    expect(login.locator("input[name=pin]")).to_have_count(1)
    keypad(page, pin)
    login.get_by_role("button", name=log_in_button).tap()
    expect(page.locator("body[data-logged-in=yes]")).to_have_count(1)
    page.wait_for_load_state("load")


def sign(page, keypad, badge, pin, words=("Type badge", "Type PIN", "Sign")):
    form = page.locator("#step form.signform")
    form.get_by_role("button", name=words[0]).tap()
    keypad(page, badge)
    form.get_by_role("button", name=words[1]).tap()
    keypad(page, pin)
    form.get_by_role("button", name=words[2], exact=True).tap()


def count(page, keypad, digits, ok="OK"):
    keypad(page, digits)
    page.locator("#step").get_by_role("button", name=ok, exact=True).tap()


def test_a_spanish_receiver_receives_a_whole_delivery_in_spanish(page, shoot, keypad, scan,
                                                                  records):
    with records():
        with db.write():
            manifests.load_transfer(delivery())
            Employee.update(language="es").where(Employee.badge == "1001").execute()
    step = page.locator("#step")
    prompt = step.locator("h1.prompt")

    # Nobody logged in: the store's English, and a button for each language.
    expect(page.locator("#login h1")).to_have_text("Scan your badge, or type your badge number.")
    page.get_by_role("button", name="Español").tap()
    expect(page.locator("#login h1")).to_have_text(
        "Escanee su credencial o escriba su número de credencial.")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    no_english(page, "lock screen")
    shoot(page, "lock-screen-es")
    log_in(page, keypad, "1001", "1234", "Siguiente", "Entrar")
    no_english(page, "home")
    page.get_by_role("button", name=re.compile("Recibir una entrega")).tap()

    expect(prompt).to_have_text(
        "¿Qué entrega? Escanee el código de barras del manifiesto o toque la entrega.")
    expect(step.locator(".steptitle")).to_contain_text("Paso 1 de")
    no_english(page, "expected deliveries")
    scan(page, "MAN-0000300901")
    expect(prompt).to_have_text(
        "Compare los datos del transporte con los papeles y la identificación del conductor.")
    expect(step.locator(".feedback.ok")).to_contain_text(
        "Aceptado. Manifiesto 0000300901 de Golden Coast Distribution.")
    no_english(page, "transport")
    step.get_by_role("button", name="Sí, es correcto").tap()
    expect(prompt).to_have_text("Compare la entrega con nuestra orden de compra.")
    expect(step.locator("table.grid")).to_contain_text("coincide")
    no_english(page, "purchase order")
    step.get_by_role("button", name="Hecho, siguiente").tap()
    expect(prompt).to_have_text("Cuente las cajas selladas.")
    expect(step.locator("p.big")).to_have_text("Manifiesto: 1 caja sellada")
    no_english(page, "cases")
    count(page, keypad, "1", ok="Aceptar")
    expect(step.locator("[data-progress]")).to_have_text("0 de 2 revisados, 0 rechazados")
    no_english(page, "first package")

    # A tag that is on no manifest: refused in Spanish.
    scan(page, "1A4099999000000000000042")
    expect(step.locator("[role=alert]")).to_contain_text(
        "No aceptado. El paquete 1A4099999000000000000042 no está en el manifiesto 0000300901.")
    expect(page.locator("#last-scan")).to_have_text("1A4099999000000000000042 (no registrado)")
    no_english(page, "wrong tag")

    for n, counted, decision in ((1, "48", "Aceptar 48 unidades"),
                                 (2, "46", "Aceptar incompleto: 46 de 48 unidades")):
        scan(page, TAG.format(n))
        expect(prompt).to_have_text("Mire el paquete. ¿En qué estado está?")
        no_english(page, f"condition of package {n}")
        step.get_by_role("button", name="Intacto, sello sin romper").tap()
        expect(prompt).to_have_text("Cuente las unidades del paquete (gramos si es a granel).")
        no_english(page, f"units of package {n}")
        count(page, keypad, counted, ok="Aceptar")
        expect(prompt).to_have_text("¿Aceptar o rechazar este paquete?")
        no_english(page, f"decision on package {n}")
        step.get_by_role("button", name=decision).tap()
        if n == 1:  # the next tag is scanned once the screen asks for it, as a receiver would
            expect(prompt).to_have_text("Escanee la etiqueta del siguiente paquete.")
    expect(prompt).to_have_text(
        "Ponga estos paquetes en la jaula de cuarentena y luego escanee su etiqueta.")
    expect(step.locator("p.big")).to_have_text("1 paquete para cuarentena")
    no_english(page, "quarantine")
    shoot(page, "quarantine-es")
    scan(page, "LOC-Q")
    expect(prompt).to_have_text("Guardar: escanee un paquete aceptado.")
    no_english(page, "putaway")
    scan(page, TAG.format(1))
    expect(prompt).to_have_text("Escanee el estante de la bóveda donde lo puso.")
    scan(page, "LOC-V-A1")
    expect(prompt).to_have_text(
        "Revise la hoja. Para cambiar un paquete, escanéelo; si no, termine.")
    expect(step.locator("table.grid")).to_contain_text("Incompleto: 46 de 48 recibidos")
    no_english(page, "acceptance sheet")
    shoot(page, "sheet-es")
    step.get_by_role("button", name="Todo correcto: firmar").tap()
    expect(prompt).to_have_text("Receptor: firme la entrega.")
    no_english(page, "receiver's sign-off")
    sign(page, keypad, "1001", "1234", ("Escribir credencial", "Escribir PIN", "Firmar"))
    expect(prompt).to_have_text("Una segunda persona es testigo de la entrega.")
    expect(step.locator("h2.signer")).to_contain_text("Ahora: testigo")
    no_english(page, "witness sign-off")

    # She logs out: the screen is in the store's English again for whoever comes next.
    page.get_by_role("button", name="Salir").tap()
    expect(page.locator("#login h1")).to_have_text("Scan your badge, or type your badge number.")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # An English-speaking manager witnesses the same run, in English.
    log_in(page, keypad, "1006", "6789", "Next", "Log in")
    page.get_by_role("link", name=re.compile("Receive a delivery")).tap()
    expect(prompt).to_have_text("A second person witnesses the delivery.")
    expect(step.locator("table.grid")).to_contain_text("Short: 46 of 48 received")
    expect(step.locator(".steptitle")).to_contain_text("Step")
    shoot(page, "witness-en")
    sign(page, keypad, "1006", "6789")
    expect(prompt).to_have_text("Print the receiving slip (the acceptance sheet for Metrc).")
    page.get_by_role("button", name="Log out").tap()

    # The receiver comes back and prints: the slip and labels are in Spanish.
    expect(page.locator("#login h1")).to_have_text("Scan your badge, or type your badge number.")
    log_in(page, keypad, "1001", "1234", "Next", "Log in")
    page.get_by_role("link", name=re.compile("Recibir una entrega")).tap()
    expect(prompt).to_have_text(
        "Imprima el comprobante de recepción (la hoja de aceptación para Metrc).")
    expect(step.locator(".previews")).to_contain_text("RECEPCIÓN")
    no_english(page, "slip")
    shoot(page, "slip-es")
    step.get_by_role("button", name="Imprimir", exact=True).tap()
    expect(prompt).to_have_text("Imprima una etiqueta para cada paquete aceptado.")
    expect(step.locator(".previews")).to_contain_text("Lote GC-BD-9")
    no_english(page, "labels")
    step.get_by_role("button", name="Imprimir", exact=True).tap()
    expect(prompt).to_have_text(
        "Registre esta aceptación en Metrc. ¿Está registrada exactamente como abajo?")
    no_english(page, "enter in Metrc")
    step.get_by_role("button", name="Sí, es correcto").tap()
    expect(step.locator(".feedback.ok")).to_contain_text(
        "Registrado: Ana Reyes registró el manifiesto 0000300901 en Metrc.")
    no_english(page, "done")
    shoot(page, "done-es")

    with records():
        run = Run.select().where(Run.workflow == "receiving").order_by(Run.id.desc()).get()
        assert run.status == "completed"
        assert Transfer.get(Transfer.manifest_number == "0000300901").status == "received"
        jobs = {j.layout: j for j in PrintJob.select().where(PrintJob.run_id == run.id)}
        settings = {"store_name": "Demo Dispensary", "license": "C10-0000001-LIC"}
        slip = preview.job_html(jobs["receiving_slip"], settings)
        assert "RECEPCIÓN" in slip and "Receptor" in slip and "Testigo" in slip
        assert "RECEIVING" not in slip
        quarantine = preview.job_html(jobs["quarantine_label"], settings)
        assert "CUARENTENA" in quarantine and "Incompleto: 46 de 48 recibidos" in quarantine
        # The records keep the kiosk's English, whoever read the screens.
        assert jobs["quarantine_label"].data["reason"] == "Short: 46 of 48 received"

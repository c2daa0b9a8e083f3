"""The refusals a Spanish speaker meets most: a scan of the wrong kind of code at a scan step
(naming what the step needs, in Spanish), the integrity check's findings on the manager's
screen, and a package's evidence packet refused. An English speaker reads them as they
always were."""

from __future__ import annotations

import html
import json
import re

from kiosk import db, ledger, scans, words
from kiosk.models import AuditEntry, Employee, Run

# English words of these refusals that must not be left on a Spanish screen.
ENGLISH = re.compile(r"\b(That was|This step needs|package tag|letters and digits|a badge|"
                     r"barcode|is not a code|Scan the|Audit entry|altered after|written|"
                     r"problems? found|No package has|Check the tag|label)\b")


def no_english(text: str, where: str) -> str:
    shown = re.sub(r"<script.*?</script>", " ", text, flags=re.S)
    shown = re.sub(r"<[^>]+>", " ", shown)  # what the screen shows, not its markup
    left = sorted(set(ENGLISH.findall(shown)))
    assert not left, f"{where}: English on a Spanish screen: {left}"
    return text


def feedback_of(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]


def spanish(employee) -> None:
    with db.write():
        Employee.update(language="es").where(Employee.id == employee.id).execute()


def scan_a_badge_where_a_tag_is_wanted(kiosk, again=False):
    """The refusal's answer; ``again``: the same scan sent a second time, as a screen does
    when the connection dropped before the first answer came."""
    kiosk.post("/runs", {"workflow": "move_package"})
    run = Run.select().order_by(Run.id.desc()).first()
    assert run.current_step == "package"
    answer = kiosk.step(run.id, "package", value="EMP-1234", source="scanner", scan_id="s-1",
                        rev=run.rev)
    if again:
        answer = kiosk.step(run.id, "package", value="EMP-1234", source="scanner",
                            scan_id="s-1", rev=run.rev)
    return answer


def test_a_wrong_scan_is_refused_in_spanish_naming_what_the_step_needs(kiosk, make_employee,
                                                                        fixed_clock):
    spanish(make_employee("Lucía Pérez", "1001", "1234", "receiver"))
    kiosk.login("1001", "1234")
    response = scan_a_badge_where_a_tag_is_wanted(kiosk)
    said = ("Eso fue una credencial (EMP-1234). Este paso necesita una etiqueta de paquete "
            "(24 letras y dígitos).")
    feedback = feedback_of(response)
    assert feedback["tone"] == "error" and feedback["message"] == said
    assert said in response.get_data(as_text=True)
    no_english(feedback["message"], "the wrong scan's cue")
    no_english(response.get_data(as_text=True), "the step after a wrong scan")
    # Sent again after a dropped connection: the refusal the record kept, said in Spanish.
    again = scan_a_badge_where_a_tag_is_wanted(kiosk, again=True)
    assert feedback_of(again)["message"] == said


def test_an_english_speaker_still_reads_the_refusal_in_english(kiosk, make_employee,
                                                              fixed_clock):
    make_employee("Ben Ortiz", "1002", "5678", "receiver")
    kiosk.login("1002", "5678")
    response = scan_a_badge_where_a_tag_is_wanted(kiosk)
    said = ("That was a badge (EMP-1234). This step needs a package tag (24 letters and "
            "digits).")
    assert feedback_of(response)["message"] == said
    assert said in response.get_data(as_text=True)


def test_every_scan_refusal_has_its_spanish_and_the_same_english():
    refused = {}
    for raw, wanted in (("LOC-A1", ("package_tag", "gtin")), ("hello", ("badge",)),
                        ("12345670", ("package_tag",)), ("", ("badge",)),
                        ("1A40603000000000000000A", ("package_tag",)),
                        ("]C1017", ("gs1",)), ("x" * 300, ("badge",))):
        try:
            scans.parse(raw, wanted)
        except scans.ScanError as exc:
            refused[raw[:10]] = exc
    assert str(refused["LOC-A1"]) == ("That was a location label (starts LOC-) (LOC-A1). This "
                                      "step needs a package tag (24 letters and digits) or an "
                                      "item barcode (UPC).")
    assert words.say(refused["LOC-A1"].words, "es") == (
        "Eso fue una etiqueta de ubicación (empieza con LOC-) (LOC-A1). Este paso necesita una "
        "etiqueta de paquete (24 letras y dígitos) o un código de barras de artículo (UPC).")
    assert str(refused["hello"]) == "hello is not a code this kiosk knows. This step needs a badge."
    assert words.say(refused["hello"].words, "es") == (
        "hello no es un código que este kiosco conozca. Este paso necesita una credencial.")
    for key, exc in refused.items():
        no_english(words.say(exc.words, "es"), f"the refusal of {key!r}")
    assert words.say(refused[""].words, "es") == ("No se escaneó nada. Escanee el código de "
                                                  "barras de nuevo.")


def test_the_integrity_check_names_an_altered_entry_in_spanish(kiosk, make_employee,
                                                              fixed_clock):
    marta = make_employee("Marta Ruiz", "1006", "6789", "manager")
    spanish(marta)
    with db.write():
        for n in range(3):
            ledger.audit("thing", f"n:{n}", {"n": n})
    entry = AuditEntry.select().order_by(AuditEntry.seq.desc()).first()
    AuditEntry.update(detail={"n": 99}).where(AuditEntry.seq == entry.seq).execute()
    english = f"Audit entry {entry.seq} (thing) was altered after it was written."
    assert english in ledger.verify_chain()  # `kiosk verify` still prints English
    kiosk.login("1006", "6789")
    page = kiosk.get("/manager/verify").get_data(as_text=True)
    assert (f"El registro de auditoría {entry.seq} (thing) fue alterado después de "
            "escribirse.") in page
    assert "Verificación de integridad" in page
    no_english(page, "the integrity check")


def test_a_package_packet_refused_in_spanish(kiosk, make_employee, fixed_clock):
    spanish(make_employee("Marta Ruiz", "1006", "6789", "manager"))
    kiosk.login("1006", "6789")
    day = fixed_clock.now().date().isoformat()
    answer = html.unescape(kiosk.post(f"/manager/reports/{day}/evidence/package",
                                      {"value": "1A4060300000000000999999"}).get_data(
                                          as_text=True))
    assert ("Ningún paquete tiene la etiqueta '1A4060300000000000999999'. Revise la etiqueta"
            in answer)
    no_english(answer, "a packet of a tag never seen")


def test_a_wrong_code_at_the_lock_screen_and_at_sign_out_in_spanish(kiosk, make_employee,
                                                                   fixed_clock):
    spanish(make_employee("Lucía Pérez", "1001", "1234", "receiver"))
    kiosk.post("/language", {"language": "es"})
    for raw in ("LOC-A1", "]C1017"):  # a GS1 barcode cut short is refused, not a failure
        response = kiosk.post("/login/badge", {"value": raw})
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "Eso no es una credencial. Escanee su credencial" in page
        no_english(page, f"{raw} at the lock screen")
    kiosk.login("1001", "1234")
    tag = "1A4060300000000000000122"
    response = kiosk.post("/visitors/scan", {"value": tag})
    page = html.unescape(response.get_data(as_text=True))
    assert f"Eso fue una etiqueta de paquete (24 letras y dígitos) ({tag})." in page
    no_english(page, "a package tag scanned to sign a visitor out")
    response = kiosk.post("/visitors/scan", {"value": "]C1017"})
    assert response.status_code == 200
    assert "Eso fue algo que no es una credencial de visitante" in html.unescape(
        response.get_data(as_text=True))

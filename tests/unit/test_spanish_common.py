"""The words every screen shares, for a Spanish speaker: login and lockout refusals, a field
too long, the on-screen keyboard, the message page, a cancelled run's reason, the syncer's
sentences on the sync screen and the shared parts of a slip. An English speaker reads them as
they always were."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from kiosk import clock, db, limits, lockout, words
from kiosk.hardware import slips
from kiosk.models import Employee, Run
from kiosk.sync import outbox, pauses, pulls, readback, waiting

# English words of these shared screens that must not be left on a Spanish one.
ENGLISH = re.compile(r"\b(Wrong PIN|Try again|is locked|Space|Hide|Enter|Home|Not found|"
                     r"too long|characters|Reason|Started by mistake|Cancel run|Log out|"
                     r"Last scan|none yet|Keyboard|Capitals)\b")


def no_english(html: str, where: str) -> None:
    text = re.sub(r"<[^>]+>", " ", html)  # what the screen shows, not its markup
    left = sorted(set(ENGLISH.findall(text)))
    assert not left, f"{where}: English on a Spanish screen: {left}"


def feedback_of(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]


@pytest.fixture
def people(make_employee):
    lucia = make_employee("Lucía Pérez", "1001", "1234", "receiver")
    ben = make_employee("Ben Ortiz", "1002", "5678", "receiver")
    with db.write():
        Employee.update(language="es").where(Employee.id == lucia.id).execute()
    return lucia, ben


def spanish_lock_screen(kiosk) -> None:
    """Whoever comes next chose Spanish on the lock screen."""
    kiosk.post("/language", {"language": "es"})


# -- login and lockout ---------------------------------------------------------------------


def test_a_wrong_pin_is_refused_in_spanish(kiosk, people, fixed_clock):
    spanish_lock_screen(kiosk)
    kiosk.post("/login/badge", {"value": "1001"})
    response = kiosk.post("/login/pin", {"badge": "1001", "pin": "9999"})
    page = response.get_data(as_text=True)
    assert "PIN incorrecto. Intente de nuevo." in page
    assert feedback_of(response)["tone"] == "error"
    no_english(page, "wrong PIN")


def test_a_locked_badge_is_refused_in_spanish(kiosk, people, fixed_clock):
    spanish_lock_screen(kiosk)
    for _ in range(5):
        response = kiosk.post("/login/pin", {"badge": "1001", "pin": "0000"})
    page = response.get_data(as_text=True)
    assert "PIN incorrecto. La credencial 1001 está bloqueada tras 5 PIN incorrectos" in page
    no_english(page, "the PIN that locked the badge")
    response = kiosk.post("/login/badge", {"value": "1001"})
    page = response.get_data(as_text=True)
    assert "La credencial 1001 está bloqueada" in page and "5 minutos" in page
    no_english(page, "a locked badge")


def test_an_english_speaker_still_reads_english(kiosk, people, fixed_clock):
    kiosk.post("/login/badge", {"value": "1002"})
    page = kiosk.post("/login/pin", {"badge": "1002", "pin": "0000"}).get_data(as_text=True)
    assert "Wrong PIN. Try again." in page
    kiosk.login("1002", "5678")
    home = kiosk.get("/").get_data(as_text=True)
    assert ">Space<" in home and ">Hide<" in home and "Enter ⏎" in home
    assert "Espacio" not in home


def test_lockout_words_in_spanish(people, fixed_clock):
    lucia, ben = people
    with pytest.raises(ValueError) as refused:
        lockout.unlock("1002", lucia, 1, "test-1")
    assert str(refused.value) == "Lucía Pérez can't unlock badges: it needs a manager."
    assert words.say(engine_words(refused.value), "es") == (
        "Lucía Pérez no puede desbloquear credenciales: se necesita un gerente.")
    assert words.say(lockout.PURPOSE_WORDS["login"], "es") == "al entrar"
    assert lockout.PURPOSE_WORDS["login"] == "logging in"


def engine_words(exc):
    from kiosk.engine import words_of

    return words_of(exc)


# -- fields and quantities ------------------------------------------------------------------


def test_a_field_too_long_is_refused_in_spanish():
    with pytest.raises(ValueError) as refused:
        limits.text("x" * 300, limits.REASON, "The reason")
    assert str(refused.value) == "The reason is too long: at most 200 characters, please."
    said = words.say(engine_words(refused.value), "es")
    assert said == "El motivo: demasiados caracteres; como máximo 200, por favor."
    with pytest.raises(ValueError) as refused:
        limits.answer({"note": "y" * 600})
    assert words.say(engine_words(refused.value), "es").startswith("La nota: demasiados")
    with pytest.raises(ValueError) as refused:
        limits.answer({"value": "a\x00b"})
    assert "carácter de control oculto" in words.say(engine_words(refused.value), "es")
    with pytest.raises(ValueError) as refused:
        limits.quantity("abc", "Grams")
    assert words.say(engine_words(refused.value), "es").startswith("Un peso de abc no es")


def test_a_step_answer_too_long_and_a_cancel_in_spanish(kiosk, people, fixed_clock):
    kiosk.login("1001", "1234")
    kiosk.post("/runs", {"workflow": "move_package"})
    run = Run.select().order_by(Run.id.desc()).first()
    response = kiosk.step(run.id, run.current_step, value="9" * 500)
    page = response.get_data(as_text=True)
    assert "La respuesta: demasiados caracteres; como máximo 200" in page
    assert "La respuesta: demasiados" in feedback_of(response)["message"]
    # A reason too long to keep: refused in Spanish, nothing cancelled.
    response = kiosk.post(f"/runs/{run.id}/cancel", {"reason": "z" * 300})
    assert "El motivo: demasiados caracteres" in response.get_data(as_text=True)
    assert "El motivo: demasiados" in feedback_of(response)["message"]
    assert Run.get_by_id(run.id).status == "active"
    # No reason at all: asked for in Spanish.
    response = kiosk.post(f"/runs/{run.id}/cancel", {"reason": ""})
    assert "Diga por qué se cancela el procedimiento." in feedback_of(response)["message"]
    # The reasons offered are in Spanish, and the one tapped is kept as tapped.
    page = kiosk.get(f"/runs/{run.id}").get_data(as_text=True)
    assert 'data-reason="Empezado por error"' in page and "Cancelar el procedimiento" in page
    kiosk.post(f"/runs/{run.id}/cancel", {"reason": "Empezado por error"})
    assert Run.get_by_id(run.id).cancel_reason == "Empezado por error"
    # Cancelled twice (a second tap, a stale screen): said in Spanish, with the status's word.
    again = kiosk.post(f"/runs/{run.id}/cancel", {"reason": "Empezado por error"})
    assert "Este procedimiento ya está cancelado." in feedback_of(again)["message"]


def test_a_cancelled_runs_known_reason_reads_in_each_language(kiosk, people, fixed_clock):
    kiosk.login("1002", "5678")
    kiosk.post("/runs", {"workflow": "move_package"})
    run = Run.select().order_by(Run.id.desc()).first()
    kiosk.post(f"/runs/{run.id}/cancel", {"reason": "Started by mistake"})
    assert "Reason: Started by mistake" in kiosk.get(f"/runs/{run.id}").get_data(as_text=True)
    kiosk.post("/logout")
    kiosk.login("1001", "1234")
    page = kiosk.get(f"/runs/{run.id}").get_data(as_text=True)
    assert "Motivo: Empezado por error" in page or "Empezado por error" in page
    assert "Started by mistake" not in page


# -- the keyboard and the message page --------------------------------------------------------


def test_the_keyboard_and_the_page_around_it_in_spanish(kiosk, people, fixed_clock):
    kiosk.login("1001", "1234")
    home = kiosk.get("/").get_data(as_text=True)
    keyboard = home[home.index('id="keyboard"'):home.index("</footer>")]
    for said in ("Teclado", "Mayúsculas", ">Espacio<", ">Ocultar<", "Ingresar ⏎"):
        assert said in keyboard, said
    no_english(keyboard, "keyboard")


def test_a_message_page_in_spanish(kiosk, people, fixed_clock):
    spanish_lock_screen(kiosk)
    page = kiosk.get("/no-such-screen").get_data(as_text=True)
    main = page[page.index('<main id="main">'):page.index("</main>")]
    assert "Esa pantalla no existe. Pulse Inicio." in main and ">Inicio</a>" in main
    no_english(main, "message page")
    english = kiosk.http.application.test_client().get("/no-such-screen")
    assert ">Home</a>" in english.get_data(as_text=True)


# -- the syncer's sentences ------------------------------------------------------------------


def test_the_syncers_sentences_in_spanish(database, fixed_clock):
    at = clock.now() + dt.timedelta(seconds=30)
    state = {"kind": pauses.NO_ANSWER, "probing": True, "counts": {pauses.NO_ANSWER: 3},
             "until": at.isoformat()}
    paused = pauses.describe(waiting.NAMES["pos"], state)
    assert paused == "paused: the POS did not answer three times; probing every 5 s"
    assert words.say(paused, "es") == "en pausa: el POS no respondió tres veces; se comprueba " \
                                      "cada 5 s"
    health = waiting.target_health("pos", {"pause": state, "last_error": "timeout"}, {})
    assert health.startswith("Paused: the POS did not answer three times")
    assert words.say(health, "es").startswith("En pausa: el POS no respondió tres veces")
    off = waiting.switched_off({"pos": "none"})
    kept = waiting.target_health("pos", {"waiting": 27}, off)
    assert kept == "Not sent: no POS configured (KIOSK_POS is none); 27 kept, not counted as " \
                   "waiting."
    assert words.say(kept, "es") == ("No se envía: no hay POS configurado (KIOSK_POS es none); "
                                     "27 guardados, no contados como pendientes.")
    assert words.say(waiting.target_health("metrc", {}, {}), "es") == "Todavía sin contacto"
    said = words.say(pulls.pull_now({"state_system": "none"}), "es")
    assert said == "Esta tienda no descarga de Metrc (el sistema estatal es none)."


def test_waiting_messages_and_differences_in_spanish(database, fixed_clock):
    from kiosk.models import OutboxMessage
    from kiosk.models.sync import Discrepancy

    with db.write():
        message = OutboxMessage.create(
            target="metrc", kind="package.location", external_key="loc-1",
            ordering_key="1A4000000000000000000001",
            payload={"tag": "1A4000000000000000000001"}, status="attention",
            last_error="Manifest 0000300901 matches Metrc.", created_at=clock.now(),
            next_attempt_at=clock.now())
        later = OutboxMessage.create(
            target="metrc", kind="transfer.received", external_key="read-1",
            ordering_key="0000300901",
            payload={"manifest_number": "0000300901"}, status="pending",
            created_at=clock.now(), next_attempt_at=clock.now() + dt.timedelta(minutes=2))
    assert words.say(waiting.describe(message), "es") == (
        "Ubicación · paquete 1A4000000000000000000001")
    reasons = waiting.Reasons({}, [message, later])
    why = reasons.why(message)
    assert why == "needs a person: Manifest 0000300901 matches Metrc."
    assert words.say(why, "es") == (
        "requiere una persona: El manifiesto 0000300901 coincide con Metrc.")
    assert words.say(reasons.why(later), "es").startswith("próximo intento a las ")
    difference = Discrepancy(manifest_number="0000300901", tag="1A40", field="received quantity",
                             ours="98", theirs="")
    assert readback.describe(difference) == (
        "Package 1A40: we recorded received quantity 98, Metrc shows nothing.")
    assert words.say(readback.describe(difference), "es") == (
        "Paquete 1A40: registramos cantidad recibida 98, Metrc muestra nada.")
    with pytest.raises(ValueError) as refused:
        outbox.retry(later.id, None, "why")
    assert words.say(engine_words(refused.value), "es") == (
        "Solo se puede reintentar un mensaje que requiere atención.")
    with pytest.raises(ValueError) as refused:
        outbox.resolve(message.id, None, " ")
    assert words.say(engine_words(refused.value), "es") == (
        "Diga por qué este mensaje se resuelve sin enviarlo.")


# -- a slip's shared parts ------------------------------------------------------------------


def test_a_vault_access_slip_printed_for_a_spanish_speaker(database):
    data = {"entered_at": "2026-03-02T14:05:00", "purpose": "Restock", "station": "vault-1",
            "run": 7, "people": ["Lucía Pérez", "Ben Ortiz"]}
    settings = {"store_name": "Green Door", "license": "C10-1"}
    spanish = slips.build("vault_access_slip", data, settings, training=True, language="es")
    text = "\n".join(line.text if isinstance(line, slips.Line) else slips.pair_text(line)
                     for line in spanish if isinstance(line, slips.Line | slips.Pair))
    assert "ACCESO A LA BÓVEDA" in text and "Licencia C10-1" in text
    assert "2 mar 2026 14:05" in text and "2026-03-02" not in text
    assert "Entered" not in text and "TRAINING" not in text
    english = slips.build("vault_access_slip", data, settings, training=True)
    text = "\n".join(line.text if isinstance(line, slips.Line) else slips.pair_text(line)
                     for line in english if isinstance(line, slips.Line | slips.Pair))
    assert "VAULT ACCESS" in text and "2026-03-02 14:05" in text and "TRAINING" in text

"""The translation catalogues: every message the kiosk marks has its Spanish, the compiled
catalogue is the one the .po makes, and a phrase reads the same in English as before while
Spanish gets its own words and numbers."""

from decimal import Decimal

from kiosk import catalogues, words
from kiosk.manifests import quantity_text
from kiosk.workflows import receiving


def test_every_marked_message_has_its_spanish_and_the_mo_is_compiled_from_the_po():
    # Extracted afresh from the code and templates, so a message marked since the catalogue
    # was last updated is caught too, not only a gap in the .po.
    template = catalogues.extract()
    assert len(template) > 300  # the receiving screens alone mark this many
    assert catalogues.check() == []


def test_a_message_left_untranslated_is_reported(tmp_path, monkeypatch):
    path = catalogues.po_path("es")
    catalogue = catalogues.read(path, "es")
    catalogue["Receive a delivery"].string = ""
    copy = tmp_path / "es" / "LC_MESSAGES" / "messages.po"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(catalogues.text_of(catalogue))
    copy.with_suffix(".mo").write_bytes(path.with_suffix(".mo").read_bytes())
    monkeypatch.setattr(catalogues, "po_path", lambda language: copy)
    problems = catalogues.check()
    assert "es: not translated: Receive a delivery" in problems
    assert any("messages.mo is older than messages.po" in p for p in problems)


def test_a_phrase_keeps_its_english_and_is_said_in_spanish():
    quantity = quantity_text(Decimal("453.60"), "Grams")
    message = words._("Received {quantity}.", quantity=quantity)
    assert message == "Received 453.6 Grams."  # what English screens and records say today
    assert words.say(message, "en") == "Received 453.6 Grams."
    assert words.say(message, "es") == "Recibido 453,6 gramos."
    several = words.n_("{count} package to quarantine", "{count} packages to quarantine", 2)
    assert (several, words.say(several, "es")) == ("2 packages to quarantine",
                                                   "2 paquetes para cuarentena")


def test_the_receiving_workflow_speaks_spanish_on_every_step():
    for step in receiving.WORKFLOW.steps:
        said = words.say(step.prompt, "es")
        assert isinstance(step.prompt, words.Phrase) and said and said != str(step.prompt), step.id
    assert words.say(receiving.WORKFLOW.title, "es") == "Recibir una entrega"


def test_every_status_a_run_ends_in_is_named_in_spanish():
    # "Pick is completed." read "Surtir: completed." in Spanish while the words were keyed
    # by "complete", a status no run has.
    from kiosk import engine

    for status in ("active", "completed", "cancelled"):
        said = words.say(engine.STATUS_WORDS[status], "es")
        assert said and said != status, status

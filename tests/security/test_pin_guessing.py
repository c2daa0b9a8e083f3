"""The brute force that recovered a manager's PIN, repeated against the real server.

A logged-in runner guessed a manager's PIN through a vault-entry sign-off, four runs in
parallel, and each wrong PIN was rolled back with the refused step, so the lockout never
counted it. Here the same attack runs over HTTP against ``kiosk serve`` (its processes and
its step writer, as in a store): four screens, each with its own run, send their guesses at
the same instant, round after round, then try the right PIN. At most five guesses may ever
be judged, every guess must be on record with an audit entry naming it, the right PIN must
be refused, and the lockout must hold for the badge's login too, after a restart.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from html import unescape
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from liveserver import HttpKiosk, LiveServer, build_demo_database  # noqa: E402

from kiosk import db  # noqa: E402
from kiosk.models import AuditEntry, LoginAttempt, Signature, Station  # noqa: E402

SCREENS = 4
ROUNDS = 12  # wrong guesses per screen, all four screens at once each round
MANAGER_BADGE, MANAGER_PIN = "1006", "6789"  # Femi Adeyemi, manager (the demo's)
ATTACKER = ("1004", "4567")  # Dev Patel, runner
LOCKED = re.compile(r"Badge 1006 is locked after 5 wrong PINs\. Try again in \d+ minutes, or "
                    r"ask a manager to unlock it\.")


def records(url):
    db.init(url)
    return db.connection()


@pytest.fixture
def server(tmp_path, empty_database):
    url = build_demo_database(empty_database)
    with records(url), db.write():
        for n in range(1, SCREENS + 1):
            Station.create(name=f"back-office-{n}", kind="vault")
    # An hour's lock, so a slow machine never sees it run out during the test.
    server = LiveServer(url, tmp_path, env={"KIOSK_LOCKOUT_SECONDS": "3600"}).start()
    yield server
    server.stop()


class Guesser:
    """One screen of the attacker: logged in, a vault entry at its sign-off."""

    def __init__(self, server: LiveServer, number: int):
        self.kiosk = HttpKiosk(server.url, f"back-office-{number}")
        self.kiosk.login(*ATTACKER)
        self.run_id = self.kiosk.start("vault_entry")
        step, rev = self.kiosk.current(self.run_id)
        tapped = self.kiosk.post(f"/runs/{self.run_id}/steps/{step}",
                                 {"value": "count", "rev": str(rev)})  # the purpose's button
        self.step, self.rev = self.kiosk.parse(tapped.text)
        assert self.step == "enter"
        self.answers: list[str] = []

    def guess(self, pin: str) -> None:
        response = self.kiosk.post(f"/runs/{self.run_id}/steps/{self.step}",
                                   {"badge": MANAGER_BADGE, "pin": pin, "rev": str(self.rev)})
        response.raise_for_status()
        self.step, self.rev = self.kiosk.parse(response.text)
        cue = json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]
        self.answers.append(cue["message"] if cue["tone"] == "error" else "accepted")


def rounds(guessers: list[Guesser], pins_for) -> None:
    """Every guesser sends its guess at the same instant, round after round."""
    barrier = threading.Barrier(len(guessers))

    def go(guesser: Guesser, number: int) -> None:
        for pin in pins_for(number):
            barrier.wait()
            guesser.guess(pin)

    threads = [threading.Thread(target=go, args=(g, n)) for n, g in enumerate(guessers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_four_screens_guessing_a_managers_pin_get_five_guesses_judged(server):
    guessers = [Guesser(server, n) for n in range(1, SCREENS + 1)]
    rounds(guessers, lambda n: [f"{n}{r:03d}" for r in range(ROUNDS)])  # never 6789
    answers = [a for g in guessers for a in g.answers]
    judged = [a for a in answers if a.startswith("Wrong PIN")]
    assert len(answers) == SCREENS * ROUNDS
    assert len(judged) == 5, answers
    assert sum(a.startswith("Wrong PIN. Badge 1006 is locked after 5 wrong PINs.")
               for a in judged) == 1
    refused_unheard = [a for a in answers if not a.startswith("Wrong PIN")]
    assert all(LOCKED.fullmatch(a) for a in refused_unheard), refused_unheard

    # The right PIN now, from every screen at once: refused, the badge is locked.
    rounds(guessers, lambda n: [MANAGER_PIN] * 2)
    assert all(LOCKED.fullmatch(a) for g in guessers for a in g.answers[-2:])

    with records(server.database_url):
        attempts = list(LoginAttempt.select().where(LoginAttempt.badge == MANAGER_BADGE)
                        .order_by(LoginAttempt.id))
        # Every guess is on record, though every step it came with was refused.
        assert len(attempts) == len(answers) + 2 * SCREENS
        assert [a.reason for a in attempts].count("wrong pin") == 5
        assert not any(a.ok for a in attempts)
        assert {a.purpose for a in attempts} == {"signature"}
        named = {e.detail.get("attempt") for e in AuditEntry.select()
                 .where(AuditEntry.action.startswith("signature."))}
        assert {a.id for a in attempts} <= named
        guessed_at = [g.run_id for g in guessers]  # the demo's own count was signed earlier
        assert Signature.select().where(Signature.run.in_(guessed_at)).count() == 0

    # One lockout per badge: the manager's login is refused too, after a restart.
    server.stop()
    server.start()
    screen = HttpKiosk(server.url, "vault-1")
    screen.post("/login/badge", {"value": MANAGER_BADGE}).raise_for_status()
    refused = screen.post("/login/pin", {"badge": MANAGER_BADGE, "pin": MANAGER_PIN})
    assert "HX-Redirect" not in refused.headers
    assert LOCKED.search(unescape(refused.text))

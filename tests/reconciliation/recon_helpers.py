"""Walking a reconciliation run over HTTP, as its screen would."""

from __future__ import annotations

import datetime as dt
import json

from bs4 import BeautifulSoup

from kiosk import clock
from kiosk.models import Run

MANAGER = ("1006", "6789")  # Femi Adeyemi
OTHER_MANAGER = ("1007", "7890")  # Gus Lindqvist


def yesterday() -> dt.date:
    return clock.store_date() - dt.timedelta(days=1)


class Manager:
    """A manager at the test station, working one run."""

    def __init__(self, kiosk, workflow: str, badge: str = "1006", pin: str = "6789"):
        self.kiosk = kiosk
        kiosk.login(badge, pin)
        response = kiosk.post("/runs", {"workflow": workflow})
        self.run_id = int(response.headers["HX-Redirect"].rstrip("/").rsplit("/", 1)[1])

    @property
    def run(self) -> Run:
        return Run.get_by_id(self.run_id)

    @property
    def step(self) -> str:
        return self.run.current_step

    def screen(self) -> str:
        """The step on screen, as the words a person reads."""
        html = self.kiosk.get(f"/runs/{self.run_id}", headers={"HX-Request": "true"}).text
        return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())

    def do(self, step: str, **data) -> dict:
        """Answer ``step``; returns the feedback (tone, message) and the fragment."""
        assert self.step == step, f"the run is at {self.step}, not {step}"
        response = self.kiosk.step(self.run_id, step, **data)
        feedback = json.loads(response.headers.get("HX-Trigger", "{}")).get(
            "kiosk:feedback", {})
        return {"tone": feedback.get("tone"), "message": feedback.get("message", ""),
                "html": response.text}

    def ok(self, step: str, **data) -> dict:
        answer = self.do(step, **data)
        assert answer["tone"] == "ok", answer["message"]
        return answer


def queue(tag: str, location: str = "Vault shelf A2", target: str = "metrc"):
    """An outbox message for ``target``, written as a committed step writes one."""
    from kiosk import db
    from kiosk.models import OutboxMessage

    now = clock.now()
    with db.write():
        return OutboxMessage.create(
            target=target, kind="package.location", payload={"tag": tag,
                                                             "location_name": location},
            external_key=f"test-{tag}-{now.isoformat()}-{target}", ordering_key=tag,
            next_attempt_at=now, created_at=now)

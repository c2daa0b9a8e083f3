"""A driver for the quarantine tests: works runs through the kiosk's own HTTP views as the
touchscreen does (scans from the scanner, buttons tapped, signatures by badge and PIN)."""

from __future__ import annotations

import json

from kiosk.models import Run

TAGS = {n: f"1A4060300{n:015d}" for n in range(1, 10)}
PINS = {"1004": "4567", "1003": "3456", "1006": "6789", "1007": "7890", "1001": "1234"}
BADGES = {"dev": "1004", "carla": "1003", "femi": "1006", "gus": "1007", "ana": "1001"}

# The two shippers the cage's packages came from (one manifest each).
VENDOR = ("Golden Coast Distribution", "C11-0000222-LIC")
OTHER_VENDOR = ("Cloud Nine Wholesale", "C11-0000333-LIC")


def feedback(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]


class HoldDriver:
    def __init__(self, kiosk):
        self.kiosk = kiosk
        self.run_id = None
        self.last = None

    def as_(self, who: str) -> HoldDriver:
        self.kiosk.post("/logout", {})
        badge = BADGES[who]
        self.kiosk.login(badge, PINS[badge])
        return self

    def start(self, workflow: str, tag: str = "") -> int:
        if tag:
            response = self.kiosk.post("/cage/start", {"workflow": workflow, "tag": tag})
            self.last = response
            self.run_id = int(response.headers["HX-Push-Url"].rsplit("/", 1)[1])
            return self.run_id
        response = self.kiosk.post("/runs", {"workflow": workflow})
        self.run_id = int(response.headers["HX-Redirect"].rsplit("/", 1)[1])
        self.last = self.kiosk.get(f"/runs/{self.run_id}")  # the screen it opens
        return self.run_id

    @property
    def run(self) -> Run:
        return Run.get_by_id(self.run_id)

    def at(self) -> str:
        return self.run.current_step

    def answer(self, value: str, source: str = "tapped", **extra) -> dict:
        """Answer the current step; returns the screen's feedback (tone and message)."""
        data = {"value": value, "source": source, **extra}
        self.last = self.kiosk.step(self.run_id, self.at(), **data)
        assert self.last.status_code == 200, self.last.get_data(as_text=True)[:500]
        return feedback(self.last)

    def scan(self, code: str) -> dict:
        return self.answer(code, "scanner")

    def sign(self, who: str) -> dict:
        badge = BADGES[who]
        return self.answer("", badge=badge, pin=PINS[badge])

    def text(self) -> str:
        return self.last.get_data(as_text=True)

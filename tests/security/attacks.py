"""Helpers for the attacks: a kiosk screen that works a procedure to any step, and a signed
POST to the POS webhook."""

from __future__ import annotations

import json

from kiosk import demo
from kiosk.models import Run
from kiosk.sync import pos

SECRET = "pos-shared-secret"
MANIFEST = "0000205101"  # the demo's first delivery: Each jars, pre-rolls and bulk grams
JAR_TAG = "1A4050100000000000005001"  # Blue Dream 3.5g Jar, 48 Each
BULK_TAG = "1A4050100000000000005025"  # Bulk Blue Dream (grams), 453.6 Grams


def feedback(response) -> dict:
    """The cue the screen plays: {"tone", "message"}."""
    return json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]


class Screen:
    """One kiosk screen (the test client, with htmx headers and the CSRF token)."""

    def __init__(self, kiosk):
        self.kiosk = kiosk
        self.run_id = None

    def login(self, badge="1002", pin="2345"):  # Ben Okafor: receiver and vault
        response = self.kiosk.login(badge, pin)
        assert "HX-Redirect" in response.headers, response.data
        return self

    def start(self, workflow: str) -> Screen:
        self.kiosk.post("/runs", {"workflow": workflow})
        self.run_id = Run.select().order_by(Run.id.desc()).get().id
        return self

    @property
    def run(self) -> Run:
        return Run.get_by_id(self.run_id)

    def answer(self, step_id: str | None = None, **form):
        """Post an answer to the current step (or ``step_id``) at the current revision."""
        run = self.run
        form.setdefault("rev", run.rev)
        return self.kiosk.post(f"/runs/{run.id}/steps/{step_id or run.current_step}", form)

    def ok(self, **form) -> dict:
        """The answer was taken: green, or amber when it records a problem (a count that
        does not match)."""
        response = self.answer(**form)
        assert response.status_code == 200
        cue = feedback(response)
        assert cue["tone"] in ("ok", "warn"), cue
        return cue

    def refused(self, **form) -> str:
        response = self.answer(**form)
        assert response.status_code == 200
        cue = feedback(response)
        assert cue["tone"] == "error", cue
        return cue["message"]


def to_step(screen: Screen, workflow: str, step: str, paper: str = "MAN-7700001") -> Screen:
    """Start ``workflow`` and answer its steps as a careful person would, up to ``step``
    (``paper``: the number of a paper manifest)."""
    screen.start(workflow)
    path = {
        "receiving": [("delivery", MANIFEST), ("transport", "pass"), ("order", "ok"),
                      ("cases", "6"), ("package", JAR_TAG), ("condition", "intact"),
                      ("units", "48")],
        "paper_manifest": [("number", paper), ("shipper", "C11-0000222-LIC"),
                           ("shipper_name", "Golden Coast Distribution"),
                           ("driver", "Dana Reyes"), ("vehicle", "Ford Transit 8ABC123"),
                           ("cases", "2"), ("tag", "1A4099900000000000000001"),
                           ("item", demo.demo_upc(1))],
        "vault_entry": [("purpose", "restock")],
        "move_package": [],
    }[workflow]
    for step_id, value in path:
        if screen.run.current_step == step:
            break
        if screen.run.current_step == step_id:  # a step may be skipped (a known shipper)
            screen.ok(value=value)
    assert screen.run.current_step == step, screen.run.current_step
    return screen


def signed(client, path: str, payload, secret: str = SECRET, header: str | None = None,
           **kw):
    """POST ``payload`` (a dict, or bytes as they are) to the webhook, signed."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json",
               pos.SIGNATURE_HEADER: header if header is not None else pos.sign(secret, body)}
    return client.post(path, data=body, headers=headers, **kw)

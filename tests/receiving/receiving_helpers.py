"""Helpers for the receiving tests: manifest dicts and a driver that works the receiving
screens through the kiosk's own HTTP views, like the touchscreen does."""

from __future__ import annotations

import json

from bs4 import BeautifulSoup

from kiosk import clock
from kiosk.models import Run

OUR_LICENSE = "C10-0000001-LIC"


def manifest(number="0000300001", packages=3, item="Blue Dream 3.5g Jar", quantity=48,
             receiver=OUR_LICENSE, prefix="1A4050900", start=1, labs=True, po=True, **extra):
    """A plain manifest dict for ``load_transfer``: ``packages`` identical passing packages,
    ordered on a matching purchase order unless ``po`` is False (or another order)."""
    if po is True:
        po = {"number": f"PO-{number}", "vendor_name": "Golden Coast Distribution",
              "vendor_license": "C11-0000222-LIC",
              "lines": [{"item": item, "quantity": packages * quantity, "unit_cost": "11.50"}]}
    tags = [f"{prefix}{serial:015d}" for serial in range(start, start + packages)]
    data = {"manifest_number": number, "shipper_name": "Golden Coast Distribution",
            "shipper_license": "C11-0000222-LIC", "receiver_license": receiver,
            "driver_name": "Dana Reyes", "driver_license": "D7712345",
            "vehicle": "Ford Transit 8ABC123", "case_count": 1,
            "est_arrival": clock.now(),
            "packages": [{"tag": t, "item": item, "batch": f"B-{number}", "quantity": quantity,
                          "unit": "Each", "thc_pct": 22.1, "cbd_pct": 0.1} for t in tags],
            "lab_results": [{"batch": f"B-{number}", "test_type": "THC", "passed": True,
                             "thc_pct": 22.0, "coa_ref": f"COA-{number}"},
                            {"batch": f"B-{number}", "test_type": "Microbials",
                             "passed": True}] if labs else [],
            "purchase_order": po or None}
    data.update(extra)
    return data


def feedback(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]


class Receiver:
    """Works one receiving run through the HTTP views; remembers the last answer."""

    def __init__(self, kiosk, workflow="receiving"):
        self.kiosk = kiosk
        kiosk.post("/runs", {"workflow": workflow})
        self.run_id = Run.select().order_by(Run.id.desc()).get().id
        self.last = None

    @property
    def run(self) -> Run:
        return Run.get_by_id(self.run_id)

    @property
    def at(self) -> str:
        run = self.run
        return run.current_step if run.status == "active" else run.status

    def do(self, step_id, **form):
        self.last = self.kiosk.step(self.run_id, step_id, **form)
        assert self.last.status_code == 200
        return feedback(self.last)

    def ok(self, step_id, **form) -> str:
        """The step is taken (green, or amber when what it recorded is a problem)."""
        answer = self.do(step_id, **form)
        assert answer["tone"] in ("ok", "warn"), answer
        return answer["message"]

    def refused(self, step_id, **form) -> str:
        answer = self.do(step_id, **form)
        assert answer["tone"] == "error", answer
        return answer["message"]

    def page(self) -> BeautifulSoup:
        response = self.kiosk.get(f"/runs/{self.run_id}", headers={"HX-Request": "true"})
        return BeautifulSoup(response.data, "html.parser")

    def buttons(self) -> list[str]:
        return [b.get_text(" ", strip=True) for b in self.page().select(".choices button")]

    def open(self, manifest_number, cases=1):
        """Choose the delivery, confirm transport, read the order, count the cases."""
        self.ok("delivery", value=f"MAN-{manifest_number}")
        self.ok("transport", value="pass")
        self.ok("order")
        self.ok("cases", value=str(cases))

    def check(self, tag, counted, decision="accept", condition="intact"):
        """Scan, condition, count and decide one package."""
        self.ok("package", value=tag)
        self.ok("condition", value=condition)
        self.ok("units", value=str(counted))
        return self.ok("decide", value=decision)

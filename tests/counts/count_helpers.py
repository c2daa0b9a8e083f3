"""A driver for the count and investigation tests: works a run through the kiosk's own HTTP
views as the touchscreen does, and keeps every page and answer the screen received so a test
can say what the person at it could (and could not) have seen."""

from __future__ import annotations

import json

from bs4 import BeautifulSoup

from kiosk import clock, demo
from kiosk.models import Count, Run

TAGS = {n: f"1A4060300{n:015d}" for n in (1, 2, 3, 4, 5, 6)}
UNKNOWN_TAG = "1A4099999000000000000042"
UPC = {"flower": demo.demo_upc(1), "cart": demo.demo_upc(12), "gummies": demo.demo_upc(22),
       "bulk": demo.demo_upc(32)}
# tag: (product, place, ledger, POS, Metrc); unusual numbers, so a test can look for them
STOCK = {1: ("flower", "LOC-V-A1", "731", "731", "731"),
         2: ("cart", "LOC-V-A1", "644", "643", "644"),
         3: ("gummies", "LOC-V-A1", "517", "517", "517"),
         4: ("gummies", "LOC-V-A1", "388", "388", "388"),
         5: ("bulk", "LOC-V-A1", "453.6", None, "453.6"),
         6: ("flower", "LOC-V-B2", "219", "219", "219")}
EXPECTED_FIGURES = ("731", "644", "643", "517", "388", "453.6", "219")

PINS = {"1005": "5678", "1008": "8901", "1006": "6789", "1007": "7890", "1002": "2345"}
BADGES = {"erin": "1005", "hana": "1008", "femi": "1006", "gus": "1007", "ben": "1002"}


def feedback(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]


class CountDriver:
    def __init__(self, kiosk):
        self.kiosk = kiosk
        self.run_id = None
        self.received: list[str] = []  # every body and feedback message the screen got
        self.last = None

    def as_(self, who: str) -> CountDriver:
        self.kiosk.post("/logout", {})
        badge = BADGES[who]
        self.kiosk.login(badge, PINS[badge])
        return self

    def get(self, url: str) -> str:
        response = self.kiosk.get(url, headers={"HX-Request": "true"})
        self.received.append(response.get_data(as_text=True))
        return self.received[-1]

    def post(self, url: str, data: dict):
        response = self.kiosk.post(url, data)
        self.received += [response.get_data(as_text=True), response.headers.get("HX-Trigger", "")]
        return response

    def start(self, workflow: str) -> int:
        response = self.post("/runs", {"workflow": workflow})
        self.run_id = int(response.headers["HX-Redirect"].rsplit("/", 1)[1])
        self.get(f"/runs/{self.run_id}")
        return self.run_id

    def tap(self, url: str) -> int:
        """Tap a tile that starts a run; follow it to the run's page."""
        response = self.post(url, {})
        self.run_id = int(response.headers["HX-Redirect"].rsplit("/", 1)[1])
        self.get(f"/runs/{self.run_id}")
        return self.run_id

    @property
    def run(self) -> Run:
        return Run.get_by_id(self.run_id)

    @property
    def at(self) -> str:
        run = self.run
        return run.current_step if run.status == "active" else run.status

    def do(self, step_id: str, **form) -> dict:
        form.setdefault("rev", self.run.rev)
        self.last = self.post(f"/runs/{self.run_id}/steps/{step_id}", form)
        assert self.last.status_code == 200
        return feedback(self.last)

    def expect(self, tone: str, step_id: str, **form) -> str:
        answer = self.do(step_id, **form)
        assert answer["tone"] == tone, answer
        return answer["message"]

    def ok(self, step_id, **form) -> str:
        return self.expect("ok", step_id, **form)

    def refused(self, step_id, **form) -> str:
        return self.expect("error", step_id, **form)

    def page(self) -> BeautifulSoup:
        return BeautifulSoup(self.get(f"/runs/{self.run_id}"), "html.parser")

    def buttons(self) -> list[str]:
        return [b.get_text(" ", strip=True) for b in self.page().select(".choices button")]

    def sign(self, step_id: str, who: str, tone: str = "ok") -> str:
        badge = BADGES[who]
        return self.expect(tone, step_id, badge=badge, pin=PINS[badge])

    def count(self, upc: str, tag: str, quantity: str, tone: str = "ok", step="product",
              then="tag", unit_step="units") -> str:
        """Scan the product barcode and the tag, then enter the units."""
        self.ok(step, value=upc)
        answer = self.do(then, value=tag)
        assert answer["tone"] == tone, answer
        return self.ok(unit_step, value=quantity)


def schedule_shelf_a1(driver) -> Count:
    """A manager schedules shelf A1 for today."""
    driver.as_("femi")
    answer = driver.post("/manager/counts", {"scope": "location", "location": "LOC-V-A1",
                                             "due_on": clock.store_date().isoformat()})
    assert "Scheduled: Vault shelf A1" in answer.get_data(as_text=True)
    return Count.get(Count.title == "Vault shelf A1")


def count_and_close(driver, recounter: str = "hana") -> Count:
    """Erin counts A1 (T3 short, T4 missing, T6 from B2, an unknown tag); ``recounter``
    recounts (T3 right this time) and signs after her: four variances go to investigation."""
    scheduled = schedule_shelf_a1(driver)
    driver.as_("erin")
    driver.tap(f"/counts/{scheduled.id}/start")
    driver.count(UPC["flower"], TAGS[1], "731")
    driver.count(UPC["gummies"], TAGS[3], "509")
    driver.count(UPC["flower"], TAGS[6], "8", tone="warn")
    driver.count(UPC["flower"], UNKNOWN_TAG, "3", tone="warn")
    driver.count(UPC["cart"], TAGS[2], "644")
    driver.ok("product", value=UPC["bulk"])
    driver.ok("tag", value=TAGS[5])
    driver.expect("warn", "weight", source="keyed", value="453.6", reason="No scale here")
    driver.ok("product", value="__finish__")
    driver.ok("area_end", value="finish")
    driver.as_(recounter)
    driver.ok("recount", value="ok")
    for product, n, quantity in (("gummies", 3, "517"), ("cart", 2, "644"),
                                 ("flower", 6, "8")):
        driver.count(UPC[product], TAGS[n], quantity, step="recount_product",
                     then="recount_tag")
    driver.count(UPC["flower"], UNKNOWN_TAG, "3", step="recount_product", then="recount_tag")
    driver.ok("recount_product", value="__finish__")
    driver.ok("recount_end", value="finish")
    driver.sign("sign", "erin")
    driver.sign("sign", recounter)
    driver.ok("slip", value="print")
    return Count.get_by_id(scheduled.id)

"""The Dutchie adapter against the training Dutchie over real HTTP: paging, a 429 with
Retry-After, dropped answers and server errors, voids and returns counted right, a refused
key, both shapes of a list, and the reporting limit kept by the client itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kiosk import clock
from kiosk.models import PosSale
from kiosk.sync import pos, pos_link, sandbox_sales
from kiosk.sync.dutchie import DutchiePos, Limiter
from kiosk.sync.dutchie_sandbox import INTEGRATOR_KEY, LOCATION_KEY, DutchieSandbox
from kiosk.sync.metrc import Ambiguous, Refused
from kiosk.sync.sandbox_store import make_store


def shop(count: int = 60) -> dict:
    """A store of ``count`` packages of four products, enough for a day's voided cart and
    its return."""
    products = [{"id": 900 + n, "name": name, "sku": f"SKU-{n}", "category": "Flower",
                 "brand": "Golden Coast", "unit": unit}
                for n, (name, unit) in enumerate((("Blue Dream 3.5g", "Each"),
                                                   ("OG Kush 3.5g", "Each"),
                                                   ("Live Rosin 1g", "Each"),
                                                   ("Bulk Wax", "Grams")))]
    packages = [{"tag": f"1A4060300{serial:015d}", "product_id": 900 + serial % 4,
                 "item_name": products[serial % 4]["name"], "unit": products[serial % 4]["unit"],
                 "quantity": 500 if serial % 4 == 3 else 40, "batch": f"B-{serial % 7}",
                 "location": "Sales floor" if serial % 2 else "Vault shelf A1",
                 "received_at": "2026-10-01T17:00:00", "expires_on": None}
                for serial in range(1, count + 1)]
    return make_store(packages, products)


@pytest.fixture
def dutchie(fixed_clock):
    box = DutchieSandbox(shop())
    box.start()
    yield box
    box.stop()


class Waits:
    """A sleep that keeps what it was asked to wait and waits for real only when told."""

    def __init__(self, real: bool = True):
        self.asked, self.real = [], real

    def __call__(self, seconds: float) -> None:
        import time

        self.asked.append(seconds)
        if self.real:
            time.sleep(seconds)


def adapter(box: DutchieSandbox, sleep=None, key: str = LOCATION_KEY, **kw) -> DutchiePos:
    return DutchiePos(box.url, key, INTEGRATOR_KEY, timeout=5, sleep=sleep or Waits(), **kw)


def yesterday() -> tuple[dt.datetime, dt.datetime, dt.date]:
    day = clock.store_date() - dt.timedelta(days=1)
    return (*clock.store_day_bounds(day, day), day)


def test_whoami_names_the_location(dutchie):
    assert adapter(dutchie).whoami() == {"LocationName": "Demo Dispensary", "LocationId": 4412,
                                         "CompanyName": "Demo Cannabis Co.", "CompanyId": 118}


def test_a_key_dutchie_refuses_is_said_in_words(dutchie):
    client = adapter(dutchie, key="not-our-key")
    with pytest.raises(Refused) as refused:
        client.whoami()
    assert refused.value.status == 401
    assert "KIOSK_POS_LOCATION_KEY" in str(refused.value)
    # Refused at once: a wrong key is not retried.
    assert client.waits == [] and len(dutchie.requests) == 1
    with pytest.raises(Refused):
        client.pull_sales(*yesterday()[:2])


def test_inventory_is_read_page_by_page(dutchie):
    client = adapter(dutchie)
    rows = client.inventory(take=25)
    asked = [q for path, q in dutchie.requests if path == "/reporting/inventory"]
    assert [(q["Skip"], q["Take"]) for q in asked] == [("0", "25"), ("25", "25"), ("50", "25")]
    assert len(rows) == 60 and len({r["packageId"] for r in rows}) == 60
    # The snapshot is the POS's figure now: what it was given less what it sold.
    snapshot = {line["tag"]: line for line in client.inventory_snapshot()}
    figures = dutchie.on_hand()
    assert {tag: line["quantity"] for tag, line in snapshot.items()} == {
        tag: max(q, Decimal(0)) for tag, q in figures.items()}
    some = next(iter(snapshot.values()))
    assert some["room"] in ("Sales floor", "Vault shelf A1") and some["item"]


def test_a_window_longer_than_sixty_days_is_asked_in_parts(dutchie):
    client = adapter(dutchie)
    end = clock.now()
    client.transactions(end - dt.timedelta(days=90), end)
    asked = [q for path, q in dutchie.requests if path == "/reporting/transactions"]
    assert len(asked) == 2 and all(q["IncludeDetail"] == "true" for q in asked)
    assert asked[0]["ToDateUTC"] == asked[1]["FromDateUTC"]


def test_voids_and_returns_are_counted_right(dutchie, database):
    start, end, day = yesterday()
    new, seen = adapter(dutchie).pull_sales(start, end)
    sales = sandbox_sales.day_sales(dutchie.store["packages"], day)
    voided = next(s for s in sales if s["void"])
    returned = next(s for s in sales if s["return_of"])
    assert new == sum(len(s["lines"]) for s in sales) and seen == 0

    rows = list(PosSale.select())
    assert {r.kind for r in rows if r.receipt == str(voided["id"])} == {"void"}
    back = [r for r in rows if r.receipt == str(returned["id"])]
    assert [(r.kind, r.tag, r.quantity) for r in back] == [
        ("return", returned["lines"][0]["tag"], returned["lines"][0]["quantity"])]
    assert all(r.source == "dutchie" and start <= r.sold_at < end for r in rows)
    # Net sold per tag: voids left out, returns taken off; as the POS's own figures say.
    net: dict[str, Decimal] = {}
    for r in rows:
        if r.kind != "void":
            net[r.tag] = net.get(r.tag, Decimal(0)) + (-r.quantity if r.kind == "return"
                                                       else r.quantity)
    assert net == sandbox_sales.net_sold(sales)

    # Pulling again changes nothing.
    assert adapter(dutchie).pull_sales(start, end) == (0, new)
    assert PosSale.select().count() == new


def test_a_sale_voided_after_it_was_pulled_becomes_a_void(dutchie, database):
    start, end, day = yesterday()
    voided = next(s for s in sandbox_sales.day_sales(dutchie.store["packages"], day) if s["void"])
    tag = voided["lines"][0]["tag"]
    pos.record_sale("dutchie", str(voided["id"]), tag, voided["lines"][0]["quantity"],
                    voided["at"].isoformat() + "+00:00")  # pulled before it was voided
    adapter(dutchie).pull_sales(start, end)
    assert PosSale.get(PosSale.receipt == str(voided["id"]), PosSale.tag == tag).kind == "void"


def test_a_429_is_waited_out_for_its_retry_after(dutchie, database):
    dutchie.faults.rate_limited, dutchie.faults.retry_after = 1, 1
    waits = Waits()
    client = adapter(dutchie, sleep=waits)
    start, end, _ = yesterday()
    new, _ = client.pull_sales(start, end)
    assert new > 0
    assert client.waits == [1.0] and waits.asked == [1.0]
    assert [p for p, _ in dutchie.requests].count("/reporting/transactions") == 2


def test_a_dropped_answer_and_server_errors_are_asked_again_with_backoff(dutchie):
    dutchie.faults.dropped = 1
    client = adapter(dutchie)
    assert len(client.inventory()) == 60
    assert client.waits == [1]
    dutchie.faults.errors_500 = 2
    client = adapter(dutchie)
    assert client.whoami()["LocationId"] == 4412
    assert client.waits == [1, 2]


def test_after_four_waits_the_failure_is_reported(dutchie):
    dutchie.faults.errors_500 = 5
    waits = Waits(real=False)
    client = adapter(dutchie, sleep=waits)
    with pytest.raises(Ambiguous, match="server error"):
        client.inventory()
    assert waits.asked == [1, 2, 4, 8]
    assert len(dutchie.requests) == 5


def test_lists_wrapped_in_an_object_are_read_too(fixed_clock, database):
    box = DutchieSandbox(shop(), envelope="data")
    box.start()
    try:
        client = adapter(box)
        assert len(client.inventory()) == 60
        assert client.pull_sales(*yesterday()[:2])[0] > 0
    finally:
        box.stop()


def test_the_sandbox_holds_a_key_to_sixty_reporting_calls_a_minute(fixed_clock):
    box = DutchieSandbox(shop(), per_minute=3)
    box.start()
    try:
        waits = Waits(real=False)
        client = adapter(box, sleep=waits)  # its own limiter allows 60: the sandbox answers
        for _ in range(3):
            client.inventory()
        with pytest.raises(Exception, match="slow down"):
            client.inventory()
        assert len(waits.asked) == 4 and all(50 <= w <= 60 for w in waits.asked)
        assert client.whoami()  # not a reporting call: not counted
    finally:
        box.stop()


def test_the_client_keeps_under_the_limit_itself():
    now = [1000.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    limiter = Limiter(60, sleep=sleep, monotonic=lambda: now[0])
    for _ in range(60):
        assert limiter.wait() == 0
        now[0] += 0.5
    assert limiter.wait() == pytest.approx(30.0)  # the 61st waits for the first to age out
    assert slept == [pytest.approx(30.0)]
    now[0] += 61
    assert limiter.wait() == 0


def test_the_settings_name_the_adapter_and_its_keys(tmp_path):
    from kiosk import config

    settings = config.load({"pos": "dutchie+https://api.pos.dutchie.com",
                            "pos_location_key": " abc ", "pos_integrator_key": ""}, environ={})
    client = pos_link.adapter(settings)
    assert isinstance(client, DutchiePos) and client.base_url == "https://api.pos.dutchie.com"
    assert client.session.auth == ("abc", "")
    with pytest.raises(config.ConfigError, match="KIOSK_POS_LOCATION_KEY"):
        config.load({"pos": "dutchie+https://api.pos.dutchie.com", "pos_location_key": ""},
                    environ={})
    with pytest.raises(config.ConfigError, match="dutchie"):
        config.load({"pos": "dutchie:https://x"}, environ={})


def test_the_syncer_keeps_dutchies_sales_and_stock_and_sends_it_nothing(dutchie, database):
    from kiosk.models import PosInventory
    from kiosk.sync import outbox
    from kiosk.sync.worker import Worker

    settings = {"pos": f"dutchie+{dutchie.url}", "pos_location_key": LOCATION_KEY,
                "pos_integrator_key": INTEGRATOR_KEY, "state_system": "none",
                "database": database, "sync_pull_minutes": 5}
    worker = Worker(settings)
    assert worker.targets(clock.now()) == ()  # the kiosk sends Dutchie no messages
    worker.sales.pull_if_due()
    start, end, day = yesterday()
    sold = sandbox_sales.day_sales(dutchie.store["packages"], day)
    assert PosSale.select().count() == sum(len(s["lines"]) for s in sold)
    figures = {i.tag: i.quantity for i in PosInventory.select()}
    assert figures == {tag: max(q, Decimal(0)) for tag, q in dutchie.on_hand().items()}
    assert {i.source for i in PosInventory.select()} == {"dutchie"}
    assert outbox.health("pos")["ok"] is True

    wrong = Worker({**settings, "pos_location_key": "revoked"})
    wrong.sales.pull_if_due()
    assert "KIOSK_POS_LOCATION_KEY" in outbox.health("pos")["last_error"]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(check, seconds: float = 90):
    """Poll ``check`` until it returns something true (a server starting up, a syncer's
    first pull): generous, as a loaded machine needs."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = check()
            if found:
                return found
        except Exception:  # not up yet
            pass
        time.sleep(0.5)
    raise AssertionError("gave up waiting")


def test_kiosk_sandbox_pos_dutchie_serves_the_store(tmp_path):
    import subprocess
    import sys

    import requests

    from kiosk import db, demo

    url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    db.init(url)
    db.upgrade()
    with db.connection():
        demo.build(packages=30)
    db.database.close()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "--database", url, "sandbox",
                               "--pos", "dutchie", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        auth = (LOCATION_KEY, INTEGRATOR_KEY)
        who = _wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/whoami", auth=auth,
                                             timeout=2).json())
        assert who["LocationName"] == "Demo Dispensary"
        rows = requests.get(f"http://127.0.0.1:{port}/reporting/inventory",
                            params={"Skip": 0, "Take": 100}, auth=auth, timeout=5).json()
        assert {r["packageId"] for r in rows} == {demo.demo_tag(n) for n in range(1, 31)}
        assert requests.get(f"http://127.0.0.1:{port}/whoami", auth=("nope", ""),
                            timeout=2).status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_kiosk_demo_starts_the_training_dutchie_when_kiosk_pos_names_it(tmp_path):
    import os
    import subprocess
    import sys

    from kiosk import db

    web, metrc, pos_port = free_port(), free_port(), free_port()
    env = {**os.environ, "KIOSK_HOME": str(tmp_path),
           "KIOSK_DATABASE": f"sqlite:///{tmp_path / 'kiosk.db'}",
           "KIOSK_METRC_URL": f"http://127.0.0.1:{metrc}",
           "KIOSK_POS": f"dutchie+http://127.0.0.1:{pos_port}"}
    server = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "demo", "--port", str(web)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        db.init(env["KIOSK_DATABASE"])

        def pulled():
            with db.connection():
                return PosSale.select().where(PosSale.source == "dutchie").count()

        assert _wait_for(pulled) > 0  # the syncer pulled the demo's sales from it
        with db.connection():
            assert not PosSale.select().where(PosSale.source == "demo").exists()
    finally:
        server.terminate()
        server.wait(timeout=20)

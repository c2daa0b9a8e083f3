"""Where the POS and Metrc figures of a count come from: the POS's inventory report (a signed
webhook or a CSV file), the syncer's pulls of Metrc's package lists from the training
sandbox, and Metrc's adjustment reasons kept for investigations. And the scale setting."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from count_helpers import TAGS

from kiosk import clock, config, db, variances
from kiosk.models import MetrcPackage, PosInventory
from kiosk.models.sync import SyncState
from kiosk.sync import pos, stock_pulls
from kiosk.sync.metrc import MetrcClient, NotSent
from kiosk.sync.sandbox import Sandbox, adopt_store_stock
from kiosk.sync.sandbox_data import OUR_LICENSE

SECRET = "pos-secret"


@pytest.fixture
def settings(settings):
    return {**settings, "pos_secret": SECRET}


def post_inventory(client, payload, secret=SECRET):
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if secret:
        headers[pos.SIGNATURE_HEADER] = pos.sign(secret, body, int(time.time()))
    return client.post("/api/pos/inventory", data=body, headers=headers)


def test_the_pos_reports_its_inventory_by_signed_webhook(app, count_store):
    client = app.test_client()
    report = {"as_of": "2026-11-23T10:00:00", "lines": [
        {"tag": TAGS[1], "quantity": 730, "unit": "Each", "room": "Vault"},
        {"tag": TAGS[2], "quantity": "641.5", "unit": "Each"}]}
    assert post_inventory(client, report, secret=None).status_code == 401
    answer = post_inventory(client, report)
    assert answer.get_json() == {"ok": True, "kept": 2, "older": 0}
    kept = PosInventory.get(PosInventory.tag == TAGS[2])
    assert kept.quantity == Decimal("641.5") and kept.source == "webhook"
    assert kept.as_of.isoformat() == "2026-11-23T18:00:00"  # 10 am on the store's clock
    older = {"as_of": "2026-11-23T09:00:00", "lines": [{"tag": TAGS[2], "quantity": 1}]}
    assert post_inventory(client, older).get_json() == {"ok": True, "kept": 0, "older": 1}
    assert PosInventory.get(PosInventory.tag == TAGS[2]).quantity == Decimal("641.5")
    bad = post_inventory(client, {"lines": [{"tag": TAGS[3], "quantity": 5},
                                            {"tag": "short", "quantity": 1}]})
    assert bad.status_code == 400 and "line 2" in bad.get_json()["error"]
    assert PosInventory.get(PosInventory.tag == TAGS[3]).quantity == Decimal(517)  # untouched
    assert post_inventory(client, {"lines": []}).status_code == 400
    for figure in ("NaN", "Infinity", "1e20"):
        refused = post_inventory(client, {"lines": [{"tag": TAGS[3], "quantity": figure}]})
        assert refused.status_code == 400 and "not a stock figure" in refused.get_json()["error"]


def test_an_inventory_report_imports_from_csv(count_store, fixed_clock):
    report = ("packageId,productName,quantityAvailable,quantityUnits,room\n"
              f"{TAGS[4]},Gummies,380,Each,Vault\n"
              "NOT-A-TAG,Gummies,3,Each,Vault\n"
              f"{TAGS[5]},Bulk,lots,Grams,Vault\n")
    kept, older, problems = pos.import_inventory_csv(report)
    assert (kept, older) == (1, 0)
    assert problems == ["Row 3: 'NOT-A-TAG' is not a 24-character package tag.",
                        "Row 4: quantity 'lots' is not a number."]
    assert PosInventory.get(PosInventory.tag == TAGS[4]).quantity == Decimal(380)
    assert pos.import_inventory_csv("When,What\n1,2\n")[2] == [
        "The report needs a package tag column and a quantity column."]


@pytest.fixture
def metrc(count_store, fixed_clock):
    sandbox = Sandbox(OUR_LICENSE, now=clock.now())
    sandbox.start()
    adopt_store_stock(sandbox.world)
    yield sandbox, MetrcClient(sandbox.url, "v", "u", OUR_LICENSE, timeout=2)
    sandbox.stop()


def test_the_syncer_pulls_metrcs_package_lists_into_the_counts_figures(metrc, fixed_clock):
    sandbox, client = metrc
    with db.write():
        MetrcPackage.delete().execute()  # nothing pulled yet
    assert stock_pulls.pull_packages(client) == 10  # ours, and the sandbox's own demo stock
    assert MetrcPackage.get(MetrcPackage.tag == TAGS[2]).quantity == Decimal(644)
    windows = [p for p in sandbox.requests if p[1] == "/packages/v2/active"]
    assert len(windows) == 1  # back to a day before the oldest package received: one window
    # Metrc changes: one package sold down, one finished, one put on hold.
    fixed_clock.advance(hours=2)
    world = sandbox.world.packages
    world[TAGS[1]].update(Quantity=Decimal(700), LastModified=clock.now())
    world[TAGS[3]].update(IsFinished=True, LastModified=clock.now())
    world[TAGS[4]].update(IsOnHold=True, LastModified=clock.now())
    before = len(sandbox.requests)
    stock_pulls.pull_packages(client)
    assert len(sandbox.requests) - before == 3  # one window since the last pull, three lists
    states = {m.tag: (m.state, m.quantity) for m in MetrcPackage.select()}
    assert states[TAGS[1]] == ("active", Decimal(700))
    assert states[TAGS[3]][0] == "inactive" and states[TAGS[4]][0] == "onhold"
    from kiosk.figures import metrc_figures
    assert set(metrc_figures([TAGS[1], TAGS[3], TAGS[4]])) == {TAGS[1], TAGS[4]}


def test_adjustment_reasons_are_pulled_once_a_day(metrc, fixed_clock):
    sandbox, client = metrc
    stock_pulls.pull(client)
    reasons = variances.reasons("metrc")
    assert {"name": "Theft", "requires_note": True} in reasons
    assert {"name": "Incorrect Quantity", "requires_note": False} in reasons
    asked = sandbox.requests.count(("GET", "/packages/v2/adjust/reasons"))
    fixed_clock.advance(hours=5)
    stock_pulls.pull(client)
    assert sandbox.requests.count(("GET", "/packages/v2/adjust/reasons")) == asked
    fixed_clock.advance(hours=20)
    stock_pulls.pull(client)
    assert sandbox.requests.count(("GET", "/packages/v2/adjust/reasons")) == asked + 1
    # Metrc down: what was pulled stays, and nothing half-pulled is stored.
    sandbox.stop()
    fixed_clock.advance(hours=1)
    with pytest.raises(NotSent):
        stock_pulls.pull(client, clock.now())
    assert variances.reasons("metrc") == reasons
    assert SyncState.get(SyncState.key == stock_pulls.STATE_KEY).value["end"] != \
        clock.now().isoformat()
    sandbox.start()


def test_a_store_without_a_state_system_adjusts_with_its_own_reasons():
    assert {r["name"] for r in variances.reasons("none")} >= {"Entry Error", "Theft"}


@pytest.mark.parametrize("value, fine", [("none", True),
                                         ("sics+serial:///dev/ttyUSB0?baudrate=9600", True),
                                         ("scale://bench", False),
                                         ("stream+serial:///dev/ttyUSB1?parity=Q", False)])
def test_the_scale_setting_is_checked_at_start_up(value, fine):
    if fine:
        assert config.load(environ={"KIOSK_SCALE": value})["scale"] == value
    else:
        with pytest.raises(config.ConfigError, match="KIOSK_SCALE"):
            config.load(environ={"KIOSK_SCALE": value})

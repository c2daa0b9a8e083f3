"""The training sandbox as a trainer uses it: ``kiosk sandbox --port N`` and its controls."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
AUTH = ("training-vendor-key", "training-user-key")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_as_metrc_for_our_licence(tmp_path):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KIOSK_LICENSE": "C10-0000777-LIC",
           "KIOSK_DATABASE": f"sqlite:///{tmp_path / 'none.db'}"}
    process = subprocess.Popen(
        [sys.executable, "-c", f"from kiosk.sync.sandbox import serve; serve({port})"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                facilities = requests.get(base + "/facilities/v2", auth=AUTH, timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, process.stderr.read1().decode()
                time.sleep(0.1)
        assert facilities.json()[0]["License"]["Number"] == "C10-0000777-LIC"
        units = requests.get(base + "/unitsofmeasure/v2/active", auth=AUTH, timeout=2).json()
        assert {"QuantityType": "CountBased", "Name": "Each", "Abbreviation": "ea"} in units
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
        process.stderr.close()


def test_a_trainer_can_make_it_misbehave_and_receive_a_manifest(sandbox):
    base, lic = sandbox.url, {"licenseNumber": sandbox.world.license}
    requests.post(base + "/_sandbox/faults", json={"errors_500": 1}, timeout=2)
    assert requests.get(base + "/packages/v2/active", params=lic, auth=AUTH,
                        timeout=2).status_code == 500
    requests.post(base + "/_sandbox/faults", json={"rate_limited": 1, "retry_after": 7},
                  timeout=2)
    limited = requests.get(base + "/packages/v2/active", params=lic, auth=AUTH, timeout=2)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert requests.get(base + "/packages/v2/active", params=lic, auth=AUTH,
                        timeout=2).status_code == 200

    delivery = sandbox.world.data["transfers"][0]["delivery_id"]
    tag = sandbox.world.data["transfers"][0]["packages"][0]["tag"]
    received = requests.post(base + "/_sandbox/receive", timeout=2, json={
        "manifest_number": "0000104501",
        "packages": [{"tag": tag, "state": "rejected"}]})
    assert received.status_code == 200
    rows = requests.get(f"{base}/transfers/v2/deliveries/{delivery}/packages", auth=AUTH,
                        timeout=2).json()["Data"]
    states = {r["PackageLabel"]: (r["ShipmentPackageState"], r["ReceivedQuantity"])
              for r in rows}
    assert states[tag] == ("Rejected", None)
    assert sorted(s for s, _ in states.values()) == ["Accepted", "Accepted", "Rejected"]
    active = requests.get(base + "/packages/v2/active", params=lic, auth=AUTH,
                          timeout=2).json()["Data"]
    assert tag not in {p["Label"] for p in active}
    assert requests.post(base + "/_sandbox/receive", json={"manifest_number": "nope"},
                         timeout=2).status_code == 400


def test_the_demo_sandbox_starts_out_agreeing_with_the_stores_stock(sync_settings, sandbox,
                                                                    message, reload):
    from decimal import Decimal

    from kiosk import clock, db
    from kiosk.models import Item, Location, Package
    from kiosk.sync.sandbox import adopt_store_stock
    from kiosk.sync.worker import Worker

    tag = "1A4060300000000000000042"
    with db.write():
        item = Item.create(name="Gelato 3.5g Jar", category="Flower")
        shelf = Location.create(code="LOC-V-B2", name="Vault shelf B2", kind="vault")
        Location.create(code="LOC-FLOOR", name="Sales floor", kind="sales_floor")
        Package.create(tag=tag, item=item, quantity=Decimal(12), location=shelf,
                       created_at=clock.now())
    assert adopt_store_stock(sandbox.world) == 1
    moved = message("package.location", {"tag": tag, "location_name": "Sales floor"})
    Worker(sync_settings).drain()
    assert reload(moved).status == "delivered"
    assert sandbox.world.packages[tag]["LocationName"] == "Sales floor"
    assert sandbox.world.packages[tag]["Quantity"] == 12

"""The demo's simulated POS: signed pick requests for items the vault has, now and then a
cancellation; and `kiosk demo` as a new user starts it, with the queue alive at once."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from werkzeug.serving import make_server

from kiosk import pick_queue
from kiosk.models.picks import PickLine, PickRequest
from kiosk.sync.pos_simulator import SimulatedPos

from .conftest import SECRET, free_port

ROOT = Path(__file__).resolve().parents[2]


def serving(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def test_the_simulated_pos_asks_for_what_the_vault_has_and_withdraws_some_online_orders(
        store, app):
    server = serving(app)
    try:
        simulated = SimulatedPos(f"http://127.0.0.1:{server.server_port}", SECRET,
                                 random.Random(3))
        for minute in range(30):
            simulated.tick(minute * 60.0)
        simulated.tick(10_000.0)  # every withdrawal is due by now
    finally:
        server.shutdown()
    requests_sent = list(PickRequest.select())
    assert len(requests_sent) == 31
    assert {r.kind for r in requests_sent} == {"sale", "online"}
    in_vault = dict((item.id, have) for item, have in pick_queue.items_in_vault())
    for line in PickLine.select():  # only what the vault has, never more than it has
        assert line.item_id in in_vault and line.quantity <= in_vault[line.item_id]
    online = [r for r in requests_sent if r.kind == "online"]
    assert all(r.customer for r in online)
    cancelled = [r for r in requests_sent if r.status == "cancelled"]
    assert cancelled and all(r.kind == "online" for r in cancelled)
    assert all(r.close_reason == "The POS cancelled this order: The customer changed their "
                                 "mind." for r in cancelled)


def test_kiosk_demo_starts_a_simulated_pos_and_the_queue_is_alive_at_once(tmp_path):
    port, sandbox = free_port(), free_port()
    env = {**os.environ, "KIOSK_HOME": str(tmp_path), "KIOSK_DATABASE":
           f"sqlite:///{tmp_path / 'kiosk.db'}", "KIOSK_METRC_URL": f"http://127.0.0.1:{sandbox}",
           "KIOSK_WORKERS": "2"}
    env.pop("KIOSK_POS_SECRET", None)
    log = open(tmp_path / "demo.log", "wb")  # noqa: SIM115 (the child writes to it)
    demo = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "demo", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline, page = time.monotonic() + 90, ""
        while time.monotonic() < deadline:
            try:
                page = requests.get(f"http://127.0.0.1:{port}/picks?station=vault-1",
                                    timeout=5).text
                if re.search(r"DEMO-\d+-1\b", page):
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        assert re.search(r"DEMO-\d+-1\b", page), (tmp_path / "demo.log").read_text()[-2000:]
        assert "Simulated POS" in (tmp_path / "demo.log").read_text()
    finally:
        demo.terminate()
        demo.wait(timeout=30)
        log.close()

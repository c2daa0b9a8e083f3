"""A small simulated POS for ``kiosk demo``: about once a minute it sends the kiosk a signed pick
request, as a store's POS bridge would, so the pick queue is alive the moment someone opens it.

It talks to the kiosk only through the signed webhooks (``/api/pos/pick-requests`` and its
``/cancel``), asks only for items the vault has in stock, and now and then withdraws an online
order it sent a few minutes before, as a customer who changed their mind.
"""

from __future__ import annotations

import json
import random
import threading
import time

import requests

from kiosk import db, pick_queue
from kiosk.sync.pos import SIGNATURE_HEADER, sign

CUSTOMERS = ("Jo Peña", "Sam Kim", "Alex Rivera", "Maya Thompson", "Chris Dlamini", "Ana Liu")
EVERY_SECONDS = 60.0
CANCEL_ONE_IN = 6  # online orders withdrawn a few minutes later


class SimulatedPos:
    """Sends pick requests to the kiosk at ``base_url`` signed with ``secret``."""

    def __init__(self, base_url: str, secret: str, rng: random.Random | None = None,
                 session: requests.Session | None = None):
        self.base, self.secret = base_url.rstrip("/"), secret
        self.rng = rng or random.Random()
        self.session = session or requests.Session()
        self.number = 0
        self.to_cancel: list[tuple[float, str]] = []  # (when, order id)

    def post(self, path: str, body: dict) -> requests.Response:
        raw = json.dumps(body).encode()
        return self.session.post(self.base + path, data=raw, timeout=10,
                                 headers={"Content-Type": "application/json",
                                          SIGNATURE_HEADER: sign(self.secret, raw)})

    def order(self) -> dict | None:
        """The next order: one to three items the vault has, a few of each; None when the
        vault is empty."""
        with db.connection():
            stock = [(item.name, have) for item, have in pick_queue.items_in_vault()]
        if not stock:
            return None
        self.number += 1
        online = self.rng.random() < 0.4
        lines = [{"item": name, "quantity": self.rng.randint(1, max(1, min(3, int(have))))}
                 for name, have in self.rng.sample(stock, min(len(stock), self.rng.randint(1, 3)))]
        body = {"id": f"DEMO-{int(time.time())}-{self.number}", "lines": lines,
                "kind": "online" if online else "sale"}
        if online:
            body["customer"] = self.rng.choice(CUSTOMERS)
        return body

    def tick(self, now: float) -> None:
        """Send the next order, and any cancellation that is due."""
        body = self.order()
        if body is not None:
            self.post("/api/pos/pick-requests", body).raise_for_status()
            if body["kind"] == "online" and self.rng.randrange(CANCEL_ONE_IN) == 0:
                self.to_cancel.append((now + self.rng.uniform(120, 300), body["id"]))
        due = [order for when, order in self.to_cancel if when <= now]
        self.to_cancel = [(w, o) for w, o in self.to_cancel if w > now]
        for order in due:
            self.post("/api/pos/pick-requests/cancel",
                      {"id": order, "reason": "The customer changed their mind"})

    def run(self, stop: threading.Event, every: float = EVERY_SECONDS,
            first_after: float = 2.0) -> None:
        """Until ``stop``: an order soon after start, then one every ``every`` seconds or so."""
        delay = first_after
        while not stop.wait(delay):
            try:
                self.tick(time.monotonic())
            except (requests.RequestException, OSError):
                pass  # the kiosk is starting or restarting: the next order goes later
            delay = every * self.rng.uniform(0.75, 1.25)


def start(base_url: str, secret: str) -> threading.Event:
    """Run the simulated POS in a background thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=SimulatedPos(base_url, secret).run, args=(stop,), daemon=True,
                     name="pos-simulator").start()
    return stop

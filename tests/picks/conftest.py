"""A small store for the pick queue's tests: shelves, the sales floor and the pickup shelf,
three items with packages of known ages and expiry dates, runners, a budtender, a manager;
the app with a POS secret, and helpers to send signed POS webhooks and to pick by scan."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape
from types import SimpleNamespace

import pytest

from kiosk import db, ledger
from kiosk.models import Item, Location, Package, Run, Station
from kiosk.models.picks import PickRequest
from kiosk.sync import pos

SECRET = "pick-queue-secret"
SHELVES = (("LOC-V-A1", "Vault shelf A1", "vault"), ("LOC-V-A2", "Vault shelf A2", "vault"),
           ("LOC-FLOOR", "Sales floor", "sales_floor"), ("LOC-PICKUP", "Online order pickup",
                                                         "pickup"),
           ("LOC-Q", "Quarantine cage", "quarantine"))


def tag(serial: int) -> str:
    return f"1A4060300{serial:015d}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def settings(settings):
    # The screen's own idle lock is not what these tests are about: an hour, so moving the
    # clock by minutes does not log the runners out.
    return {**settings, "pos_secret": SECRET, "pick_idle_minutes": 10, "pick_target_minutes": 5,
            "idle_seconds": 3600}


@pytest.fixture
def store(database, fixed_clock, make_employee):
    """Gummies (expiry set: FEFO), jars (no expiry: FIFO), bulk wax in grams; a package on
    hold; and the people: runners Dev and Carla, budtender Ana, manager Femi."""
    now = fixed_clock.now()
    people = SimpleNamespace(dev=make_employee("Dev Patel", "1004", "4567", "runner"),
                             carla=make_employee("Carla Nguyen", "1003", "3456", "vault,runner"),
                             ana=make_employee("Ana Reyes", "1001", "1234", "receiver"),
                             femi=make_employee("Femi Adeyemi", "1006", "6789", "manager,vault"))
    with db.write():
        for name, kind in (("vault-1", "vault"), ("vault-2", "vault"), ("floor-1", "floor")):
            Station.create(name=name, kind=kind)
        places = {code: Location.create(code=code, name=name, kind=kind)
                  for code, name, kind in SHELVES}
        gummies = Item.create(name="Watermelon Gummies", category="Edible", unit="Each",
                              gtin="00850012000013")
        jar = Item.create(name="Blue Dream 3.5g Jar", category="Flower", unit="Each")
        wax = Item.create(name="Bulk Wax", category="Concentrate", unit="Grams")

        def package(serial, item, quantity, shelf, received_days_ago, expires_in_days=None,
                    status="active"):
            made = Package.create(
                tag=tag(serial), item=item, unit=item.unit, received_at=now - dt.timedelta(
                    days=received_days_ago),
                expires_on=(now + dt.timedelta(days=expires_in_days)).date()
                if expires_in_days else None, created_at=now)
            ledger.receive(made, quantity, to_location=places[shelf], status=status)
            return made

        packages = SimpleNamespace(
            # Gummies: the newer one expires first, so FEFO takes it before the older one.
            gummies_soon=package(1, gummies, 10, "LOC-V-A1", 5, expires_in_days=30),
            gummies_later=package(2, gummies, 10, "LOC-V-A2", 40, expires_in_days=200),
            gummies_held=package(3, gummies, 10, "LOC-V-A1", 60, expires_in_days=10,
                                 status="on_hold"),
            # Jars: no expiry, so FIFO by receive date.
            jar_old=package(4, jar, 6, "LOC-V-A2", 30),
            jar_new=package(5, jar, 6, "LOC-V-A1", 3),
            jar_floor=package(6, jar, 6, "LOC-FLOOR", 90),
            wax=package(7, wax, 250, "LOC-V-A1", 12),
        )
    return SimpleNamespace(people=people, places=places, packages=packages,
                           items=SimpleNamespace(gummies=gummies, jar=jar, wax=wax))


def post_signed(client, path: str, body: dict, secret: str = SECRET):
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if secret:
        headers[pos.SIGNATURE_HEADER] = pos.sign(secret, raw)
    return client.post(path, data=raw, headers=headers)


@pytest.fixture
def pos_post(app):
    """Send a signed POS webhook: pos_post(path, body)."""
    client = app.test_client()
    return lambda path, body, **kw: post_signed(client, path, body, **kw)


@pytest.fixture
def order(pos_post):
    """A POS pick request: order("W-1", [("Watermelon Gummies", 2)], kind="online")."""

    def send(external_id, lines, **fields):
        body = {"id": external_id, "lines": [{"item": i, "quantity": q} for i, q in lines],
                **fields}
        response = pos_post("/api/pos/pick-requests", body)
        assert response.status_code == 200, response.get_json()
        return PickRequest.get(PickRequest.external_id == external_id)

    return send


TONE = re.compile(r'"tone": *"(\w+)"')


class Picker:
    """A runner at a vault screen: claims from the queue and scans, as the screen would."""

    def __init__(self, kiosk, badge, pin, station="vault-1"):
        self.kiosk = kiosk
        kiosk.get(f"/?station={station}")
        response = kiosk.login(badge, pin)
        assert "HX-Redirect" in response.headers, response.data[:300]
        self.run_id = None

    def claim(self, request: PickRequest):
        response = self.kiosk.post(f"/picks/{request.id}/claim")
        if "HX-Redirect" in response.headers:
            self.run_id = int(response.headers["HX-Redirect"].rsplit("/", 1)[1])
        return response

    @property
    def run(self) -> Run:
        return Run.get_by_id(self.run_id)

    def send(self, value, **fields):
        """Answer the run's current step; returns (tone, the screen's text)."""
        response = self.kiosk.step(self.run_id, self.run.current_step, value=value, **fields)
        tone = TONE.search(response.headers.get("HX-Trigger", ""))
        return (tone.group(1) if tone else ""), screen_text(response.data.decode())

    def screen(self) -> str:
        return screen_text(self.kiosk.get(f"/runs/{self.run_id}",
                                          headers={"HX-Request": "true"}).data.decode())


def screen_text(html: str) -> str:
    """What the screen says, as words (tags dropped, spaces squeezed)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def new_client(app, kiosk):
    """Another browser of the app, with cookies of its own: new_client() (the same kind of
    client as the ``kiosk`` fixture's)."""
    return lambda: type(kiosk)(app)


@pytest.fixture
def runner(new_client, store):
    """Dev Patel, logged in at vault-1."""
    return Picker(new_client(), "1004", "4567")


@pytest.fixture
def second_runner(new_client, store):
    """Carla Nguyen, logged in at vault-2."""
    return Picker(new_client(), "1003", "3456", station="vault-2")

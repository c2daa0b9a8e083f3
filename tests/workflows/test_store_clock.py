"""The store's time zone where people and Metrc meet it: a move made in the evening is
reported on the store's date, and the vault log files an evening visit under the store's day
and shows it on the store's clock."""

import datetime as dt

import pytest
from bs4 import BeautifulSoup

from kiosk import clock
from kiosk.models import OutboxMessage, Run
from kiosk.sync import delivery

TAG = "1A4060300000000000000077"  # the gummies (conftest)
EVENING = dt.datetime(2026, 11, 24, 2, 30)  # UTC; 19:30 on the 23rd in Denver


@pytest.fixture
def settings(settings):
    return settings | {"timezone": "America/Denver"}


@pytest.fixture
def denver_kiosk(kiosk, make_employee, fixed_clock, gummies):
    fixed_clock.current = EVENING
    make_employee("Ben Okafor", "1002", "2345", "receiver,vault")
    make_employee("Carla Nguyen", "1003", "3456", "vault,runner")
    make_employee("Femi Adeyemi", "1006", "6789", "manager,vault")
    return kiosk


def test_an_evening_move_goes_to_metrc_on_the_stores_date(denver_kiosk):
    denver_kiosk.login("1003", "3456")
    denver_kiosk.post("/runs", {"workflow": "move_package"})
    run = Run.select().order_by(Run.id.desc()).get()
    denver_kiosk.step(run.id, "package", value=TAG, source="scanner")
    denver_kiosk.step(run.id, "destination", value="LOC-V-B2", source="scanner")
    message = OutboxMessage.get(OutboxMessage.kind == "package.location")
    assert message.payload["date"] == "2026-11-23"  # in UTC it is already the 24th
    assert delivery._location(message)["MoveDate"] == "2026-11-23"


def test_the_vault_log_files_an_evening_visit_under_the_stores_day(denver_kiosk, fixed_clock):
    denver_kiosk.login("1002", "2345")
    denver_kiosk.post("/runs", {"workflow": "vault_entry"})
    run = Run.select().order_by(Run.id.desc()).get()
    denver_kiosk.step(run.id, "purpose", value="count")
    denver_kiosk.step(run.id, "enter", badge="1002", pin="2345")
    denver_kiosk.step(run.id, "enter", badge="1003", pin="3456")
    denver_kiosk.login("1006", "6789")

    def rows(query=""):
        page = BeautifulSoup(denver_kiosk.get(f"/manager/vault-log{query}").data, "html.parser")
        return [[td.text for td in tr.select("td")] for tr in page.select("#vault-log tr")[1:]]

    today = rows()  # the manager's "today" is the store's 23rd, not UTC's 24th
    assert len(today) == 1 and today[0][0] == "2026-11-23 19:30"
    assert rows("?from=2026-11-23") == today
    assert rows("?from=2026-11-24") == []
    assert clock.store_date() == dt.date(2026, 11, 23)

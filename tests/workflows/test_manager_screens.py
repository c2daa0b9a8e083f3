"""The manager's screens through the kiosk: the manager's home leads to every one of them."""

import pytest
from bs4 import BeautifulSoup


@pytest.fixture
def manager(kiosk, make_employee):
    make_employee("Femi Adeyemi", "1006", "6789", "manager,vault")
    kiosk.login("1006", "6789")
    return kiosk


def _page(response):
    assert response.status_code == 200, response.data[:400]
    return BeautifulSoup(response.data, "html.parser")


def test_the_manager_home_links_every_manager_screen(app, manager):
    home = _page(manager.get("/"))
    assert home.find("a", string="Manager screens")["href"] == "/manager"
    menu = _page(manager.get("/manager"))
    linked = {a["href"] for a in menu.select("a.tile")}
    # Every screen a manager opens without naming a record: the manager's own area, print
    # jobs and sync. Each must be a tile, and each tile must open.
    adapter = app.url_map.bind("localhost")
    screens = {adapter.build(rule.endpoint) for rule in app.url_map.iter_rules()
               if "GET" in rule.methods and not rule.arguments
               and rule.rule.startswith("/manager/")}
    assert screens and screens <= linked, screens - linked
    for href in sorted(linked):
        assert _page(manager.get(href)).select_one("h1.prompt"), href

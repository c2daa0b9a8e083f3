"""Every screen a Spanish-speaking person reaches by following links from home, on the demo
store, with the first step of every procedure they may start: no English words on any of
them. Store data (people, items, brands, shelves, shippers) is the store's own and is left
out before looking; what is left must be the kiosk's words, in Spanish.

The area tests (tests/*/test_spanish_*.py) walk each procedure's steps; this one catches a
screen or a menu nobody thought to add to them."""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from html.parser import HTMLParser

import pytest

from kiosk import db, demo, workflows
from kiosk.models import Employee, Item, Location, Run, Station, Transfer

# English words no Spanish sentence has: a screen showing one has English left on it.
ENGLISH = re.compile(
    r"\b(the|and|of|with|from|this|that|was|were|has|have|by|for|on|at|in|it|is|be|been|not|"
    r"you|your|are|which|when|there|what|who|will|can|all|any|each|yet|now|here|more|than|"
    r"only|none|Back|Print|Open|Close|Start|Cancel|Scan|Done|Next|Yes|Save|Search|Show|"
    r"received|package|packages|shelf|count|manager|step|run|runs|Home|Log out)\b")
PER_KIND = 4  # screens of one kind (a day's report, a person's page) looked at, at most


class Screen(HTMLParser):
    """What a page shows a person (text, placeholders, button labels) and where it links."""

    def __init__(self):
        super().__init__()
        self.links, self.shown, self._hidden = [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name in ("href", "hx-get"):
            if (attrs.get(name) or "").startswith("/"):
                self.links.append(attrs[name].split("#")[0])
        for name in ("placeholder", "title", "aria-label"):
            if attrs.get(name):
                self.shown.append(attrs[name])
        if tag in ("button", "input") and attrs.get("type") in ("submit", "button") \
                and attrs.get("value"):
            self.shown.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.shown.append(data)


def store_data() -> list[str]:
    """The store's own names, longest first (so 'Vault shelf A1' goes before 'Vault')."""
    names = {*(p.name for p in Employee.select()), *(loc.name for loc in Location.select()),
             *(i.name for i in Item.select()), *(i.brand or "" for i in Item.select()),
             *(i.category or "" for i in Item.select()),
             *(t.shipper_name or "" for t in Transfer.select())}
    return sorted((n for n in names if n), key=len, reverse=True)


def english_on(text: str, data: list[str]) -> list[str]:
    for name in data:
        text = text.replace(name, " ")
    text = re.sub(r"\S*/\S*", " ", text)  # printer addresses and paths are settings, not words
    return sorted({m.group(0) for m in ENGLISH.finditer(text)})


def kind_of(url: str) -> str:
    """/manager/reports/2026-12-01 and /manager/reports/2026-12-02 are one kind of screen."""
    return re.sub(r"/[0-9][^/?]*", "/N", url.split("?")[0])


@pytest.fixture
def demo_store(settings):
    demo.build(packages=40)
    with db.write():
        Employee.update(language="es").execute()
        Station.get_or_create(name=settings["station"])
    return settings


def crawl(kiosk) -> dict[str, list[str]]:
    """{screen: English words on it} for every screen reached by links from home."""
    data, found = store_data(), {}
    seen, kinds, waiting = set(), Counter(), deque(["/"])
    while waiting:
        url = waiting.popleft()
        if url in seen or url.startswith(("/static", "/logout")):
            continue
        seen.add(url)
        kinds[kind_of(url)] += 1
        if kinds[kind_of(url)] > PER_KIND:
            continue
        response = kiosk.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        screen = Screen()
        screen.feed(response.get_data(as_text=True))
        left = english_on(" ".join(" ".join(screen.shown).split()), data)
        if left:
            found[url] = left
        waiting.extend(link for link in screen.links if link not in seen)
    return found, kinds


@pytest.mark.parametrize("badge,pin", [("1007", "7890"),  # manager and admin
                                       ("1002", "2345"),  # receiver and vault
                                       ("1005", "5678"),  # counter and vault
                                       ("1004", "4567")])  # runner
def test_every_screen_a_spanish_speaker_reaches_is_in_spanish(kiosk, demo_store, badge, pin):
    kiosk.login(badge, pin)
    person = Employee.get(Employee.badge == badge)
    found, kinds = crawl(kiosk)
    assert kinds["/"] and len(kinds) >= (15 if person.has_any(("manager",)) else 3), kinds

    for workflow in workflows.WORKFLOWS:
        if not workflow.menu or not person.has_any(workflow.roles):
            continue
        kiosk.post("/runs", {"workflow": workflow.key})
        run = Run.select().where(Run.workflow == workflow.key).order_by(Run.id.desc()).first()
        assert run is not None, workflow.key
        page = kiosk.get(f"/runs/{run.id}")
        screen = Screen()
        screen.feed(page.get_data(as_text=True))
        left = english_on(" ".join(" ".join(screen.shown).split()), store_data())
        if left:
            found[f"{workflow.key}'s first step"] = left
    assert not found, "English on Spanish screens:\n" + "\n".join(
        f"{where}: {words}" for where, words in found.items())


def test_the_lock_screen_in_spanish_and_a_wrong_login_are_in_spanish(kiosk, demo_store):
    """Before anyone logs in: the lock screen once Español is chosen, a wrong PIN, a badge
    nobody has, and a badge that is no longer active."""
    kiosk.post("/language", {"language": "es"})
    found, kinds = crawl(kiosk)
    assert kinds["/"], kinds
    for badge, pin, refused in (("1001", "0000", "PIN incorrecto"),
                                ("4242", "1234", "no se conoce aquí"),
                                ("1009", "9012", "ya no está activa")):
        kiosk.post("/login/badge", {"value": badge})
        answer = kiosk.post("/login/pin", {"badge": badge, "pin": pin})
        screen = Screen()
        screen.feed(answer.get_data(as_text=True) + json_cue(answer))
        said = " ".join(" ".join(screen.shown).split())
        assert refused in said, said
        left = english_on(said, store_data())
        if left:
            found[f"logging in with badge {badge}"] = left
    assert not found, "English on Spanish screens:\n" + "\n".join(
        f"{where}: {words}" for where, words in found.items())


def json_cue(response) -> str:
    """The feedback line a refusal sends in its header (kiosk.js shows it)."""
    cue = json.loads(response.headers.get("HX-Trigger") or "{}").get("kiosk:feedback") or {}
    return f" <p>{cue.get('message', '')}</p>"


def test_the_same_screens_read_english_for_an_english_speaker(kiosk, demo_store):
    """The check can fail: an English speaker's screens are full of the words it looks for."""
    with db.write():
        Employee.update(language="en").where(Employee.badge == "1007").execute()
    kiosk.login("1007", "7890")
    found, _ = crawl(kiosk)
    assert len(found) >= 10
    assert {"Home", "the"} <= set().union(*found.values())

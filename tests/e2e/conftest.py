"""Browser tests: the real app under ``kiosk serve``, driven through Chromium by Playwright.

Fixtures and helpers for every module in this folder:

``live_server`` (module scope)
    A demo store in a fresh database, once SQLite and once PostgreSQL (the tests' names say
    which: ``test_x[sqlite]``, ``test_x[postgresql]``), served by ``kiosk serve`` (waitress) in
    a child process on a free loopback port (see ``liveserver.py``). It has ``.url`` (base URL),
    ``.database_url`` and ``.env``. A test module can set
    ``LIVE_SERVER_ENV = {"KIOSK_IDLE_SECONDS": "3", ...}`` to start its server with other
    settings; the station is ``vault-1`` unless
    ``KIOSK_STATION`` says otherwise.

``browser`` (session scope)
    One headless Chromium (``/usr/bin/chromium``) for the whole run.

``page``
    A fresh browser context (no cookies) with the kiosk's screen: a 1080×1920 portrait
    touch panel at device scale 1 (``has_touch=True``, ``is_mobile=False``), opened on the
    live server's home page. Script errors on the page fail the test.

``screens``
    ``screens(viewport=VIEWPORT)`` opens another such page, for several screens at once.

``shoot(page, name)``
    Saves a PNG of the screen to ``test-artifacts/e2e/<test name>/<n>-<name>.png``; ``n``
    counts up within the test so the files sort in the order the screens were seen.

``scan(page, code, ms_per_key=3)``
    What a USB keyboard-wedge scanner does: types ``code`` with ``ms_per_key`` between keys,
    then presses Enter, into whatever has focus.

``keypad(page, digits)`` taps on-screen keypad keys; ``login(page, badge, pin)`` logs in
    by keypad and waits for the home screen (or the resumed run).

``start_run(page, title)`` taps a workflow's tile on the home screen, waits until its
    first step is on screen and the page's scripts have run, and returns the run id.

``liveserver.HttpKiosk``
    Not a fixture: one screen spoken for over plain HTTP (station cookie, CSRF header, step
    revisions), for tests that need several screens at once without a browser each.

``records``
    ``with records():`` binds this process's database to the live server's records, for
    checking what the server saved.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from liveserver import LiveServer, build_demo_database  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
VIEWPORT = {"width": 1080, "height": 1920}
# Playwright gives every launch a fresh temporary profile (it refuses --user-data-dir in
# args), so no state leaks between runs. The network switches stop Chromium from phoning
# home: this machine has no route to Google and each attempt would only cost time.
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

HERE = Path(__file__).resolve().parent
# An assertion waits for the screen up to this long. The screen answers in milliseconds; the
# margin is for a loaded two-core machine running Chromium, the server and the tests at once,
# where 5 s (Playwright's default) was sometimes not enough. A wrong screen still fails.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items):
    # Every browser test carries the e2e marker, so `-m "not e2e"` deselects them locally.
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def live_server(request, tmp_path_factory, module_empty_database):
    workdir = tmp_path_factory.mktemp("live")
    url = build_demo_database(module_empty_database)
    env = dict(getattr(request.module, "LIVE_SERVER_ENV", {}))
    server = LiveServer(url, workdir, station=env.pop("KIOSK_STATION", "vault-1"), env=env)
    server.start()
    yield server
    server.stop()


def open_screen(browser, live_server, viewport: dict = VIEWPORT) -> Page:
    """A fresh browser context (no cookies) on the live server with a screen of ``viewport``
    and touch; the page's script errors collect in ``page.errors``."""
    context = browser.new_context(viewport=viewport, screen=viewport, has_touch=True,
                                  is_mobile=False, device_scale_factor=1,
                                  base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    return page


@pytest.fixture
def page(browser, live_server) -> Page:
    page = open_screen(browser, live_server)
    page.goto("/")
    yield page
    page.context.close()
    assert not page.errors, f"script errors on the page: {page.errors}"


@pytest.fixture
def screens(browser, live_server):
    """More screens at once: ``screens()`` (or ``screens(viewport)``) opens another fresh
    page like ``page``, not yet on any URL. Each is closed at the end, and a script error on
    any of them fails the test."""
    opened = []

    def open_one(viewport: dict = VIEWPORT) -> Page:
        opened.append(open_screen(browser, live_server, viewport))
        return opened[-1]

    yield open_one
    for page in opened:
        page.context.close()
    errors = [e for page in opened for e in page.errors]
    assert not errors, f"script errors on the pages: {errors}"


@pytest.fixture
def shoot(request):
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    counter = iter(range(1, 1000))

    def take(page: Page, name: str) -> Path:
        path = folder / f"{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path))
        return path

    return take


def type_like_scanner(page: Page, code: str, ms_per_key: float = 3) -> None:
    """Keys as a USB scanner sends them: each stamped ``ms_per_key`` after the last. The stamp
    is the key's own time, as the operating system gives a real scanner's keys, so a browser
    slowed by a loaded machine still sees a scanner's pace (Playwright's typing stamps each
    key when the browser gets to it, which under load looks like a person typing)."""
    session = page.context.new_cdp_session(page)
    start = time.time()
    try:
        for index, char in enumerate([*code, "\r"]):
            stamp = start + index * ms_per_key / 1000
            enter = char == "\r"
            key = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13} if enter else {
                "key": char, "text": char, "unmodifiedText": char}
            session.send("Input.dispatchKeyEvent", {"type": "keyDown", "timestamp": stamp,
                                                     **key, **({"text": "\r"} if enter else {})})
            session.send("Input.dispatchKeyEvent", {"type": "keyUp", "timestamp": stamp,
                                                     **{k: v for k, v in key.items()
                                                        if k not in ("text", "unmodifiedText")}})
    finally:
        session.detach()


@pytest.fixture
def scan():
    return type_like_scanner


def tap_keys(page: Page, digits: str) -> None:
    """Tap each digit on the visible keypad (real touch events)."""
    for digit in digits:
        page.locator(f".keypad [data-key='{digit}']:visible").first.tap()


@pytest.fixture
def keypad():
    return tap_keys


def login_by_keypad(page: Page, badge: str, pin: str) -> None:
    login = page.locator("#login")
    tap_keys(page, badge)
    login.get_by_role("button", name="Next").tap()
    expect(page.locator("#login h1")).to_contain_text("Enter your PIN")
    tap_keys(page, pin)
    page.locator("#login").get_by_role("button", name="Log in").tap()
    expect(page.locator("body[data-logged-in=yes]")).to_have_count(1)
    page.wait_for_load_state("load")


@pytest.fixture
def login():
    return login_by_keypad


def start_run_from_home(page: Page, title: str) -> int:
    """Tap the workflow's tile on the home screen; wait for its first step; return the run id."""
    page.get_by_role("button", name=re.compile(re.escape(title))).tap()
    step = page.locator("#step[data-step]")
    expect(step).to_have_count(1)
    page.wait_for_load_state("load")  # the scanner script listens only once it has run
    return int(step.get_attribute("data-run"))


@pytest.fixture
def start_run():
    return start_run_from_home


@contextmanager
def bound_to(database_url: str):
    from kiosk import db

    db.init(database_url)
    with db.connection():
        yield db.database


@pytest.fixture
def records(live_server):
    return lambda: bound_to(live_server.database_url)

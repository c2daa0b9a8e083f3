"""A person at the kiosk tapping everything: the touch crawler behind test_touch_crawl.py.

``Crawler.visit(person)`` logs the person in by keypad in a fresh browser context and, from
home, opens every link it finds (each screen's links lead to more screens), taps every button
of every screen outside a run (print jobs' Reprint, sync's Pull now, a manager's cancel with
a reason…), and starts a run of every workflow tile. The first person allowed a workflow walks
it as far as taps go: every choice, Finish, Print and Don't print, a count keyed on the keypad,
a signature by a demo person's badge and PIN, a reason tapped or typed on the in-page keyboard,
and the cancel path; later people start it and cancel it. Nothing is looked up in a fixed list
of screens: what is reached is what the screens lead to.

Every answer is checked as it comes: an HTTP error, one of the kiosk's error pages (by title),
the "something went wrong" overlay, or a script error on the page is a problem, recorded with
the taps that led to it and a screenshot. ``reached`` says which endpoints answered, and for
whom; ``kinds`` which step kinds were on screen.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

ERROR_TITLES = ("Something went wrong", "Not found", "Not allowed", "Screen out of date",
                "Procedure removed")
VIEWPORT = {"width": 1080, "height": 1920}
# How many different URLs of one endpoint a person opens (print jobs, runs, filters): enough
# to see each kind of row, not all 300 packages' pages.
# Print jobs of every layout are listed together: enough rows to meet a package label's.
PER_ENDPOINT = {"runs.show": 4, "printing.job": 10}
PER_ENDPOINT_DEFAULT = 5
WALKS, WALK_STEPS = 10, 30
# Not actions of a screen: buttons that only work the page's own scripts (keypad, keyboard,
# reasons), and the workflow tiles, whose runs are walked on their own.
NOT_ACTIONS = ("[data-key], [data-kb], [data-reason], [data-keypad-focus], "
               "form:has(> input[name=workflow]) button")
# Counting "answers" and settled swaps lets a tap wait for exactly what it caused.
WATCH = """
window.__answers = 0;
document.addEventListener("htmx:afterRequest", () => { window.__answers += 1; });
"""
QUIET = ("document.readyState === 'complete' && "
         "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


@dataclass(frozen=True)
class Person:
    name: str
    badge: str
    pin: str
    roles: tuple[str, ...]
    active: bool


# Links to files a tap downloads rather than opens (the browser starts a download).
FILES = (".pdf", ".zip", ".csv")


def demo_people(readme: Path) -> list[Person]:
    """The README's table of demo people, as a newcomer reads it."""
    text = readme.read_text()
    section = text.split("### Demo people", 1)[1].split("\n#", 1)[0]
    people = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[1].isdigit():
            continue
        name, badge, pin, roles = cells
        people.append(Person(name, badge, pin,
                             tuple(r.strip() for r in roles.split("(")[0].split(",")),
                             "inactive" not in roles))
    return people


@dataclass(frozen=True)
class Action:
    """Something to tap on a screen: a button, or a disclosure whose form it fills and sends."""

    kind: str  # button | details | count | sign | text
    label: str
    nth: int  # among actions of the same kind and label on the screen
    mark: str = ""  # its data-crawl mark on the screen it was listed from

    def __str__(self):
        return f"{self.kind} '{self.label}'" + (f" #{self.nth + 1}" if self.nth else "")

    def on(self, page: Page):
        return page.locator(f'[data-crawl="{self.mark}"]')


class Crawler:
    def __init__(self, browser, base_url: str, url_map, people: list[Person], shots: Path):
        self.browser, self.base = browser, base_url
        self.host = urlsplit(base_url).netloc
        self.adapter = url_map.bind(self.host)
        self.people = people
        self.shots = shots
        self.problems: list[str] = []
        self.reached: dict[str, set[str]] = defaultdict(set)
        self.kinds: set[str] = set()
        self.completed: set[str] = set()  # workflows a walk took to the end
        self.walked: set[str] = set()  # workflows walked in depth by someone already
        self.started: dict[str, set[str]] = defaultdict(set)  # person -> workflows started
        self.tapped: set[tuple[str, str, str]] = set()  # (endpoint, kind, label) outside runs
        self.person: Person | None = None
        self.trail: list[str] = []
        self.pending: list[str] = []
        self.fetched: set[str] = set()  # downloads already fetched
        self.walks: list[str] = []  # every walk's taps, for the test's artifacts

    # What happens on the page: answers, errors, script errors.

    def _on_response(self, response) -> None:
        url = urlsplit(response.url)
        if url.netloc != self.host:
            return
        method = response.request.method
        if response.status >= 400:
            self.pending.append(f"{method} {url.path} answered {response.status}")
            return
        try:
            endpoint, _ = self.adapter.match(url.path, method=method)
        except Exception:  # noqa: BLE001 (a URL the app does not route is reported below)
            self.pending.append(f"{method} {url.path} is not a route of the kiosk")
            return
        self.reached[endpoint].add(self.person.name)

    def _open_context(self):
        context = self.browser.new_context(viewport=VIEWPORT, screen=VIEWPORT, has_touch=True,
                                           is_mobile=False, device_scale_factor=1,
                                           base_url=self.base)
        context.set_default_timeout(10_000)
        context.add_init_script(WATCH)
        page = context.new_page()
        page.on("response", self._on_response)
        page.on("pageerror", lambda exc: self.pending.append(f"script error: {exc}"))
        # A resource that failed to load is reported by its answer above (or is the favicon
        # Chromium asks every site for); any other console error is a problem.
        page.on("console", lambda msg: msg.type == "error"
                and not msg.text.startswith("Failed to load resource")
                and self.pending.append(f"console error: {msg.text}"))
        page.on("dialog", lambda dialog: dialog.accept())  # "Cancel this print job?"
        return context, page

    def check(self, page: Page, what: str) -> None:
        """Record every problem the last action showed, with the taps that led to it."""
        found = list(self.pending)
        self.pending.clear()
        title = page.title()
        if title.startswith(ERROR_TITLES):
            body = page.locator("#main").inner_text()[:200]
            found.append(f"error page '{title}': {body}")
        trouble = page.locator("#trouble")
        if trouble.count() and trouble.is_visible():
            found.append(f"overlay: {trouble.inner_text()[:200]}")
        kind = page.locator("#step[data-kind]")
        if kind.count():
            self.kinds.add(kind.get_attribute("data-kind"))
        if found:
            shot = self.shots / f"problem-{len(self.problems) + 1:02d}.png"
            page.screenshot(path=str(shot))
            where = " → ".join([*self.trail, what])
            self.problems += [f"{self.person.name}: {where}: {p} (screen: {shot.name})"
                              for p in found]

    def tap(self, page: Page, locator, what: str) -> None:
        """Tap something that sends a request; wait for its answer to be on screen (or for the
        page it sends the browser to); check the screen."""
        page.evaluate("window.__tapped = window.__answers")
        fetches = locator.get_attribute("hx-get")  # a button that asks for a fragment

        def caused(response):
            request = response.request
            return (request.method == "POST" or request.resource_type == "document"
                    or bool(fetches) and urlsplit(request.url).path == fetches)

        with page.expect_response(caused) as answer:
            locator.tap()
        response = answer.value
        if response.headers.get("hx-redirect") or response.request.resource_type == "document":
            arrived(page, "() => window.__tapped === undefined")
        else:
            arrived(page, "() => window.__answers > window.__tapped")
        self.check(page, what)

    def open(self, page: Page, url: str) -> None:
        page.goto(url)
        arrived(page, "() => true")
        self.check(page, f"open {url}")

    # One person.

    def visit(self, person: Person) -> None:
        self.person, self.trail = person, []
        context, page = self._open_context()
        try:
            page.goto("/")
            if not self.log_in(page, person):
                return
            self.check(page, "log in")
            t0 = time.monotonic()
            self.browse(page)
            self.walks.append(f"{person.name}: browsed in {time.monotonic() - t0:.1f} s")
            for key, title in self.tiles(page):
                t0 = time.monotonic()
                self.started[person.name].add(key)
                self.walk_workflow(page, key, title, deep=key not in self.walked)
                self.walked.add(key)
                self.walks.append(f"{person.name}: {key} in {time.monotonic() - t0:.1f} s")
            self.open(page, "/")
            self.tap(page, page.get_by_role("button", name="Log out"), "Log out")
            expect(page.locator("body")).to_have_attribute("data-logged-in", "no")
        finally:
            context.close()

    def log_in(self, page: Page, person: Person) -> bool:
        """Badge and PIN on the keypad. An inactive person is refused, in words."""
        self.trail = ["log in"]
        keys(page, "#login", person.badge)
        self.tap(page, page.locator("#login").get_by_role("button", name="Next"), "Next")
        if page.locator("#login [data-keypad-input=pin]").count():
            keys(page, "#login", person.pin)
            self.tap(page, page.locator("#login").get_by_role("button", name="Log in"),
                     "Log in")
        if not person.active:
            alert = page.locator("#login [role=alert]")
            if page.locator("body").get_attribute("data-logged-in") != "no" or not alert.count():
                self.problems.append(f"{person.name} is inactive but was not refused")
            elif not alert.inner_text().strip():
                self.problems.append(f"{person.name} was refused without a word why")
            self.trail = []
            return False
        if page.locator("body").get_attribute("data-logged-in") != "yes":
            self.problems.append(f"{person.name} could not log in: "
                                 f"{page.locator('#login').inner_text()[:200]}")
            return False
        self.trail = []
        return True

    def browse(self, page: Page) -> None:
        """Every screen the links lead to, from home; and every button on each of them."""
        queue, seen, per_endpoint = deque(["/"]), set(), defaultdict(int)
        while queue:
            url = queue.popleft()
            endpoint = self.endpoint(url)
            if url in seen or endpoint is None:
                continue
            seen.add(url)
            if per_endpoint[endpoint] >= PER_ENDPOINT.get(endpoint, PER_ENDPOINT_DEFAULT):
                continue
            per_endpoint[endpoint] += 1
            self.trail = [f"open {url}"]
            self.open(page, url)
            for href, download in page.eval_on_selector_all(
                    "a[href]", "els => els.map(a => [a.getAttribute('href'), "
                               "a.hasAttribute('download')])"):
                target = urlsplit(href)
                if target.netloc not in ("", self.host) or not target.path.startswith("/"):
                    continue
                path = target.path + (f"?{target.query}" if target.query else "")
                if download or target.path.endswith(FILES):
                    self.fetch(page, path)  # a file to keep, not a screen to open
                else:
                    queue.append(path)
            if endpoint != "runs.show":  # a run's buttons are walked from its tile
                self.tap_everything(page, url, endpoint)
        self.trail = []

    def fetch(self, page: Page, path: str) -> None:
        """A download a tap starts (a PDF, a packet): it must come, not an error page."""
        if path in self.fetched:
            return
        self.fetched.add(path)
        endpoint = self.endpoint(path)
        answer = page.request.get(path)
        if answer.status >= 400:
            self.problems.append(f"{self.person.name}: the download {path} answered "
                                 f"{answer.status}")
        elif endpoint is not None:
            self.reached[endpoint].add(self.person.name)

    def endpoint(self, url: str) -> str | None:
        try:
            return self.adapter.match(urlsplit(url).path, method="GET")[0]
        except Exception:  # noqa: BLE001
            self.problems.append(f"{self.person.name}: a link goes to {url}, which is no screen")
            return None

    def tap_everything(self, page: Page, url: str, endpoint: str) -> None:
        """Each button on a screen outside a run, from a fresh load: once in the whole crawl
        for each kind of button on each kind of screen (the first row's Reprint stands for
        every row's)."""
        for listed in actions(page, "#main", step=False):
            if (endpoint, listed.kind, listed.label) in self.tapped:
                continue
            self.tapped.add((endpoint, listed.kind, listed.label))
            self.trail = [f"open {url}"]
            self.open(page, url)
            again = [a for a in actions(page, "#main", step=False) if str(a) == str(listed)]
            if again:
                self.perform(page, again[0])

    def tiles(self, page: Page) -> list[tuple[str, str]]:
        self.open(page, "/")
        forms = page.locator("form:has(input[name=workflow])")
        return [(f.locator("input[name=workflow]").get_attribute("value"),
                 f.locator("button strong").inner_text()) for f in forms.all()]

    # Runs.

    def start(self, page: Page, key: str, title: str) -> None:
        self.open(page, "/")
        self.trail = [f"start '{title}'"]
        self.tap(page, page.locator(f"form:has(input[name=workflow][value={key}]) button"),
                 f"tile '{title}'")

    def walk_workflow(self, page: Page, key: str, title: str, deep: bool) -> None:
        """Start the workflow, give its first answer and cancel it; or (the first person
        allowed it) walk it as far as taps go.

        Each walk starts a new run and, at each step, taps something not tried there yet;
        when everything here was tried, it takes the tried way towards a step that still has
        something untried; when nothing is left, the run is cancelled. Walks stop when no step
        seen has anything untried.
        """
        if not deep:  # this person's own first answer, then the way out
            self.start(page, key, title)
            first = actions(page, "#step", step=True)[:1]
            for action in first:
                self.perform(page, action)
                self.trail.append(str(action))
            self.cancel(page)
            return
        offered: dict[str, set[str]] = defaultdict(set)
        tried: dict[str, set[str]] = defaultdict(set)
        leads: dict[tuple[str, str], str | None] = {}
        for _walk in range(WALKS):
            self.start(page, key, title)
            taps = 0
            for _step in range(WALK_STEPS):
                state = current_step(page)
                if state is None:
                    break
                here = actions(page, "#step", step=True)
                offered[state] |= {str(a) for a in here}
                action = next((a for a in here if str(a) not in tried[state]), None)
                if action is None:
                    first = way_to_work(state, offered, tried, leads)
                    action = next((a for a in here if str(a) == first), None)
                if action is None:
                    break
                self.perform(page, action)
                taps += 1
                self.trail.append(f"{state}: {action}")
                tried[state].add(str(action))
                leads[(state, str(action))] = current_step(page)
                if page.locator("#step[data-run]:not([data-step])").count():
                    self.completed.add(key)
            self.walks.append(f"{self.person.name}: {' → '.join(self.trail)}")
            self.cancel(page)
            if not taps or not any(offered[s] - tried[s] for s in offered):
                break
        self.trail = []

    def cancel(self, page: Page) -> None:
        """The run's own way out: Cancel this run…, a reason, Cancel run."""
        if current_step(page) is None:
            return
        page.locator("#step details.cancel > summary").tap()
        page.locator("#step details.cancel [data-reason]").first.tap()
        self.tap(page, page.locator("#step details.cancel button[type=submit]"), "Cancel run")
        # Home; or, when the cancel undid something (a delivery's stock), the cancelled run
        # saying what, before going home.
        said = page.locator("#step[data-run]:not([data-step]) [data-cancel-note]").count()
        if page.locator("#step[data-step]").count():
            self.problems.append(f"{self.person.name}: {' → '.join(self.trail)}: Cancel run did "
                                 "not leave the run")
        elif urlsplit(page.url).path != "/" and not said:
            self.problems.append(f"{self.person.name}: {' → '.join(self.trail)}: Cancel run "
                                 f"went to {page.url}, neither home nor saying what it undid")

    # Doing one action.

    def perform(self, page: Page, action: Action) -> None:
        what = str(action)
        if action.kind == "button":
            self.tap(page, action.on(page), what)
        elif action.kind == "details":
            action.on(page).tap()
            self.fill_and_send(page, action.on(page).locator("xpath=..").locator("form").first,
                               what)
        elif action.kind == "count":
            keys(page, "#step", "1")
            self.tap(page, action.on(page), what)
        elif action.kind == "sign":
            self.sign(page, what)
        elif action.kind == "text":
            self.fill_and_send(page, action.on(page).locator("xpath=ancestor::form"), what)

    def fill_and_send(self, page: Page, form, what: str) -> None:
        """A reason tapped (or, with none offered, typed on the in-page keyboard), then sent."""
        reasons = form.locator("[data-reason]")
        field = form.locator("input[data-typing]:not([type=hidden])")
        if reasons.count():
            reasons.first.tap()
        elif field.count():
            field.first.tap()
            example = form.locator(".help").all_inner_texts()
            text = example[0].split(":", 1)[1].strip() if example else "Test"
            type_on_keyboard(page, text)
        keyboard = page.locator("#keyboard")
        if keyboard.is_visible():
            self.tap(page, keyboard.locator('[data-kb="enter"]'), f"{what}: Enter")
        else:
            self.tap(page, form.locator("button[type=submit]").last, what)

    def sign(self, page: Page, what: str) -> None:
        """Sign as a demo person who may: badge and PIN on the keypad. A refused signer makes
        way for the next one who may."""
        wanted = page.locator("#step h2.signer").inner_text()
        roles = set(re.search(r"\(([^()]*)\)\s*$", wanted).group(1).split(" or "))
        signed = " ".join(page.locator("#step .signed li").all_inner_texts())
        candidates = [p for p in self.people if p.active and roles & set(p.roles)
                      and p.name not in signed]
        for person in candidates[:4]:
            before = page.locator("#step").get_attribute("data-rev")
            page.locator("#step [data-keypad-focus=badge]").tap()
            keys(page, "#step", person.badge)
            page.locator("#step [data-keypad-focus=pin]").tap()
            keys(page, "#step", person.pin)
            self.tap(page, page.locator("#step .signform button[type=submit]"),
                     f"{what} as {person.name}")
            refused = page.locator("#step .feedback[role=alert]").count()
            if not refused or page.locator("#step").get_attribute("data-rev") == before:
                return


def way_to_work(state, offered, tried, leads) -> str | None:
    """The first tap on the shortest tried way from ``state`` to a step with something untried."""
    first: dict[str, str] = {}
    queue, seen = deque([state]), {state}
    while queue:
        here = queue.popleft()
        for (frm, label), to in leads.items():
            if frm != here or to is None or to in seen:
                continue
            seen.add(to)
            first[to] = first.get(here, label)
            if offered[to] - tried[to]:
                return first[to]
            queue.append(to)
    return None


def arrived(page: Page, condition: str, timeout: float = 15) -> None:
    """Wait until ``condition`` holds on a quiet, loaded page: through a navigation, when the
    tap's answer sent the browser elsewhere (the old page's scripts die with it)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(f"() => ({condition})() && {QUIET}"):
                return
        except PlaywrightError:
            pass  # the page is being replaced: ask the new one
        if time.monotonic() > deadline:
            raise TimeoutError(f"the screen did not settle: {condition}")
        page.wait_for_timeout(30)


def current_step(page: Page) -> str | None:
    """The run's step on screen, and on a sign-off whose signature is wanted next."""
    return page.evaluate("""() => {
      const step = document.querySelector("#step[data-step]");
      if (!step) return null;
      const signer = step.querySelector("h2.signer");
      return step.dataset.step + (signer ? " · " + signer.innerText : "");
    }""")


LIST_ACTIONS = """
([scope, step, skip]) => {
  const root = document.querySelector(scope), kind = step ? root.dataset.kind : null;
  const visible = el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  // A button is known by the answer it sends (a choice's value), else by its words.
  const label = el => {
    const sent = el.form && el.form.querySelector("input[type=hidden][name=value]");
    const words = el.innerText.split(/\\s+/).join(" ").trim();
    return sent && el.tagName === "BUTTON" ? `${words.split(" · ")[0]} [${sent.value}]` : words;
  };
  const found = [];
  document.querySelectorAll("[data-crawl]").forEach(el => el.removeAttribute("data-crawl"));
  const add = (el, what) => {
    el.dataset.crawl = String(found.length);
    found.push([what, label(el)]);
  };
  for (const b of root.querySelectorAll("button")) {
    if (!visible(b) || b.disabled || b.closest("details") || b.matches(skip)) continue;
    const sends = b.hasAttribute("hx-post") || b.hasAttribute("hx-get");
    if (!sends && !(b.type === "submit" && b.form)) continue;
    const typed = b.form && b.form.querySelector("input[data-typing]:not([type=hidden])");
    if (kind === "count" && b.form && b.form.querySelector("[data-keypad-input]")) add(b, "count");
    else if (kind === "sign_off" && b.closest(".signform")) add(b, "sign");
    else if (kind === "text" && typed) add(b, "text");
    else if (!typed) add(b, "button");
  }
  for (const d of root.querySelectorAll("details")) {
    const summary = d.querySelector("summary");
    // The run's cancel is walked on its own; typing a code by hand is a scanner's job.
    if (!d.querySelector("form") || !summary || !visible(summary)) continue;
    if (step && (d.classList.contains("cancel") || d.classList.contains("manual"))) continue;
    add(summary, "details");
  }
  return found;
}
"""


def actions(page: Page, scope: str, step: bool) -> list[Action]:
    """What can be tapped here that sends something (see ``Action``). Each is marked on the
    page (data-crawl) so ``Crawler.perform`` taps exactly it."""
    found: list[Action] = []
    listed = page.evaluate(LIST_ACTIONS, [scope, step, NOT_ACTIONS])
    for index, (kind, label) in enumerate(listed):
        nth = sum(1 for a in found if a.kind == kind and a.label == label)
        found.append(Action(kind, label, nth, str(index)))
    return found


def keys(page: Page, scope: str, digits: str) -> None:
    for digit in digits:
        page.locator(f"{scope} .keypad [data-key='{digit}']:visible").first.tap()


def type_on_keyboard(page: Page, text: str) -> None:
    for ch in text:
        page.locator(f'#keyboard [data-kb="{ch.upper()}"]').tap()

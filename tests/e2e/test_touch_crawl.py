"""Every screen a person can reach by tapping works, for every demo person in the README.

The crawler (crawler.py) logs each person in by keypad in Chromium and taps its way from home
through everything it finds. The test fails on any error page, error answer, "something went
wrong" overlay or script error on the way; on a screen of the kiosk that no tap reaches; and
if the screens a store cannot do without were not reached, so it cannot pass by seeing little.
"""

from __future__ import annotations

import json
from pathlib import Path

from crawler import Crawler, demo_people
from liveserver import HttpKiosk

from kiosk import auth, clock, workflows
from kiosk.demo import demo_tag
from kiosk.models import Employee, Transfer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"  # as tests/conftest.py names it

LIVE_SERVER_ENV = {"KIOSK_IDLE_SECONDS": "900"}  # a person's crawl is long; no idle lock
# Endpoints that are not screens of their own, and why nothing links to them.
NOT_SCREENS = {
    "static": "the page's own files",
    "home.healthz": "asked by systemd and the browser unit, not by a person",
    "printing.row": "a print job's row, polled by its screen while the job prints",
    # tests/reconciliation/test_close_report.py asks for it as the report screen does.
    "reports.kept_panel": "a day's kept PDFs, polled by the report while closing's PDF is made",
    # A weigh step draws it; the step comes after scanning a bulk package's barcode and tag,
    # which no tap does (tests/counts/test_weighing.py takes it there).
    "scale.live": "the scale's live weight, drawn into a weigh step",
    "picks.live": "the queue's fragment, fetched by an open queue screen when the queue changes",
    "picks.manager_live": "the manager's live view's fragment, fetched the same way",
    # Its link appears once a packet is made (tests/e2e/test_report_browser.py downloads one).
    "reports.packet_file": "a day's evidence packet, a file to download",
}
# What a store cannot do without: if any of these was not reached, the crawl saw too little.
EVERYONE = {"home.index", "runs.start", "runs.show", "runs.submit_step", "runs.cancel",
            "home.logout"}
MANAGERS = {"manager.index", "manager.vault_log", "manager.runs", "manager.verify",
            "printing.jobs", "printing.job", "sync.screen"}
STEP_KINDS = {"scan", "choose", "count", "confirm", "instruct", "sign_off", "print"}
FINISHED = {"vault_entry", "move_package"}  # walked by taps alone to "… is completed"


def a_store_in_use(live_server, records) -> None:
    """What a manager finds on a working day: a move waiting to reach Metrc and the POS, a
    shelf label printed again, a delivery being received at the other screen, and a new
    hire's badge locked after five wrong PINs."""
    with records():
        Employee.create(name="Jo Temp", badge="1010", pin_hash=auth.hash_pin("1357"),
                        roles="runner", active=True, created_at=clock.now())
    guesser = HttpKiosk(live_server.url, "vault-1")
    for guess in ("1111", "2222", "3333", "4444", "5555"):
        guesser.post("/login/badge", {"value": "1010"})
        guesser.post("/login/pin", {"badge": "1010", "pin": guess})
    vault = HttpKiosk(live_server.url, "vault-1")
    vault.login("1003", "3456")
    vault.post(f"/packages/{demo_tag(3)}/label", {}).raise_for_status()
    run_id = vault.start("move_package")
    _, rev = vault.current(run_id)
    _, rev = vault.parse(vault.submit(run_id, "package", demo_tag(3), rev)[0].text)
    vault.submit(run_id, "destination", "LOC-TOTE-1", rev)
    dock = HttpKiosk(live_server.url, "receiving-1")
    dock.login("1001", "1234")
    run_id = dock.start("receiving")
    with records():
        number = Transfer.select().where(Transfer.status == "incoming").first().manifest_number
    _, rev = dock.current(run_id)
    response, tone = dock.submit(run_id, "delivery", number, rev)
    assert tone == "ok", response.text[:300]


def test_every_screen_reachable_by_touch_works(browser, live_server, records, request):
    from kiosk import create_app

    a_store_in_use(live_server, records)
    app = create_app({"database": live_server.database_url, "secret_key": "crawl"})
    people = demo_people(ROOT / "README.md")
    assert len(people) >= 9 and any(not p.active for p in people)
    shots = ARTIFACTS / request.node.name
    shots.mkdir(parents=True, exist_ok=True)
    crawl = Crawler(browser, live_server.url, app.url_map, people, shots)
    for person in people:
        crawl.visit(person)
    (shots / "reached.json").write_text(json.dumps(
        {k: sorted(v) for k, v in sorted(crawl.reached.items())}, indent=1))
    (shots / "walks.txt").write_text("\n".join(crawl.walks) + "\n")

    assert not crawl.problems, "\n".join(crawl.problems)
    screens = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    unreached = screens - set(crawl.reached) - set(NOT_SCREENS)
    assert not unreached, f"screens no tap reaches: {sorted(unreached)}"
    for person in people:
        mine = {endpoint for endpoint, who in crawl.reached.items() if person.name in who}
        if not person.active:  # refused at the lock screen, in words (the crawler checks)
            assert mine <= {"home.index", "home.login_badge", "home.login_pin", "static"}
            continue
        wanted = EVERYONE | (MANAGERS if "manager" in person.roles else set())
        assert wanted <= mine, f"{person.name} did not reach {sorted(wanted - mine)}"
        # A run off the menu (a pick) starts from its queue's Claim, when a request waits.
        may_start = {w.key for w in workflows.WORKFLOWS
                     if w.menu and set(w.roles) & set(person.roles)}
        assert crawl.started[person.name] == may_start, person.name
    assert STEP_KINDS <= crawl.kinds, f"step kinds never on screen: {STEP_KINDS - crawl.kinds}"
    assert FINISHED <= crawl.completed

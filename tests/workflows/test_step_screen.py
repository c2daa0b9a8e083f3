"""What the step fragment shows after each answer: the cue (colour, icon, words), what the
step shows besides its prompt, and the revision every form sends back."""

import json

import pytest
from bs4 import BeautifulSoup

from kiosk import engine
from kiosk.models import Run
from kiosk.views import runs as run_views

TAG = "1A4060300000000000000077"  # the gummies (conftest)


@pytest.fixture
def mover(kiosk, make_employee, gummies):
    make_employee("Carla Nguyen", "1003", "3456", "vault,runner")
    kiosk.login("1003", "3456")
    kiosk.post("/runs", {"workflow": "move_package"})
    return kiosk, Run.select().order_by(Run.id.desc()).get()


def _screen(response):
    soup = BeautifulSoup(response.data, "html.parser")
    cue = json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]
    return soup, soup.select_one("section#step"), cue


def test_an_accepted_scan_shows_the_next_step_with_its_facts_and_nothing_empty(mover):
    kiosk, run = mover
    soup, step, cue = _screen(kiosk.step(run.id, "package", value=TAG, source="scanner"))
    assert step["data-step"] == "destination" and cue["tone"] == "ok"
    feedback = step.select_one(".feedback")
    assert feedback["class"] == ["feedback", "ok"] and feedback["role"] == "status"
    assert feedback.get_text(" ", strip=True) == (
        "✔ Accepted. Gummies: now scan where it goes (it is on Vault shelf A1).")
    facts = [[c.get_text() for c in row.select("th, td")] for row in step.select(".facts tr")]
    assert facts == [["Package", TAG], ["Now on", "Vault shelf A1"]]
    assert step.select_one(".progress").get_text() == "0 packages moved"
    # A step that lists nothing draws no empty heading or list.
    assert not step.select("ul.items") and all(h.get_text(strip=True) for h in step.select("h2"))
    # Every form sends the revision the screen was drawn at, and goes where the scanner goes.
    revs = {i["value"] for i in step.select("input[name=rev]")}
    assert revs == {step["data-rev"]} and len(step.select("input[name=rev]")) == 1
    assert step.select_one("form[hx-post]")["hx-post"] == step["data-scan-url"]
    assert step.select_one(".cancel form")["hx-post"] == f"/runs/{run.id}/cancel"


def test_a_refused_scan_and_a_stale_one_are_alerts(mover):
    kiosk, run = mover
    _, step, cue = _screen(kiosk.step(run.id, "package", value="LOC-V-A1", source="scanner"))
    feedback = step.select_one(".feedback")
    assert cue["tone"] == "error" and feedback["class"] == ["feedback", "error"]
    assert feedback["role"] == "alert"
    assert feedback.get_text(" ", strip=True).startswith("✖ Not accepted. That was a location")
    stale = kiosk.post(f"/runs/{run.id}/steps/package",
                       {"value": TAG, "rev": "0", "source": "scanner"})
    _, step, cue = _screen(stale)
    # Nothing of it was saved: a refusal, in red, not a recorded problem.
    feedback = step.select_one(".feedback")
    assert cue["tone"] == "error" and feedback["class"] == ["feedback", "error"]
    assert feedback["role"] == "alert"
    assert feedback.get_text(" ", strip=True).startswith("✖ Nothing saved.")


def test_a_step_that_lists_items_shows_them(app, mover):
    _, run = mover

    def left_to_scan(run):
        """Two tags still to scan."""
        return {"items": {"title": "Not scanned (2)", "rows": ["…0001", "…0002"]}}

    workflow = engine.Workflow("listing", "Listing", "SOP test", 1, ("runner",), (
        engine.scan("tag", "Scan a tag.", expect=("package_tag",), show=left_to_scan),))
    run.current_step = "tag"
    with app.test_request_context():
        html = app.jinja_env.get_template("_step.html").render(
            **run_views.step_context(run, workflow), kiosk={}, csrf_token="")
    step = BeautifulSoup(html, "html.parser").select_one("section#step")
    assert step.select_one("h2").get_text() == "Not scanned (2)"
    assert [li.get_text() for li in step.select("ul.items li")] == ["…0001", "…0002"]
    assert not step.select(".feedback")  # nothing was answered yet


def test_an_answer_reads_the_same_however_the_form_was_sent(mover):
    """Short urlencoded answers are read without werkzeug's form parser; the answer must not
    change with it: percent-encoding decoded, a repeated field's first value taken (as
    werkzeug's form does), and a multipart post still read by werkzeug."""
    kiosk, run = mover
    url = f"/runs/{run.id}/steps/package"
    encoded = "%31" + TAG[1:]  # "1" sent as %31
    repeated = f"value=LOC-V-A1&value={TAG}&rev={run.rev}&source=scanner"
    _, step, cue = _screen(kiosk.http.post(url, data=repeated, headers=kiosk.headers(),
                                           content_type="application/x-www-form-urlencoded"))
    assert cue["tone"] == "error" and "That was a location" in step.get_text()
    rev = int(step["data-rev"])
    _, step, cue = _screen(kiosk.http.post(
        url, data=f"value={encoded}&rev={rev}&source=scanner", headers=kiosk.headers(),
        content_type="application/x-www-form-urlencoded"))
    assert cue["tone"] == "ok" and step["data-step"] == "destination"
    _, step, cue = _screen(kiosk.http.post(
        f"/runs/{run.id}/steps/destination", headers=kiosk.headers(),
        data={"value": "LOC-V-B2", "rev": step["data-rev"], "source": "scanner"},
        content_type="multipart/form-data"))
    assert cue["tone"] == "ok" and step["data-step"] == "package"
    assert Run.get_by_id(run.id).data["moved"] == 1

"""Counting a product sold by weight with the bench scale, through the kiosk's views and a
fake MT-SICS scale on a pseudo-terminal: the live weight on screen, a reading refused in the
scale's words until it is stable, the weight converted exactly into the package's unit, a
weight a screen tries to send itself ignored, and the cable pulled."""

from __future__ import annotations

from decimal import Decimal

import pytest
from count_helpers import TAGS, UPC
from fake_scale import FakeScale

from kiosk.models import CountLine, StepEvent


@pytest.fixture
def fake():
    scale = FakeScale(weight="0.45360", unit="kg")
    yield scale
    scale.close()


@pytest.fixture
def settings(settings, fake):
    """The kiosk's settings with the fake scale as its bench scale."""
    return {**settings, "scale": fake.url}


@pytest.fixture
def weigher(driver):
    driver.as_("erin")
    driver.start("cycle_count")
    driver.ok("which", value="place")
    driver.ok("place", value="LOC-V-A1")
    driver.ok("product", value=UPC["bulk"])
    driver.ok("tag", value=TAGS[5])
    assert driver.at == "weight"
    return driver


def test_the_live_weight_shows_on_the_weigh_step(weigher, fake):
    page = weigher.page()
    live = page.select_one("#scale-live")
    assert live["hx-get"].endswith("/scale/live")  # the screen asks; the server reads
    fake.mode = "unstable"
    shown = weigher.get("/scale/live")
    assert "0.45360 kg" in shown and "still moving" in shown
    assert 'hx-trigger="load delay:1s"' in shown  # and asks again a second later
    fake.mode = "stable"
    assert "0.45360 kg, stable." in weigher.get("/scale/live")
    last = weigher.get("/scale/live?n=120")
    assert "hx-trigger" not in last.split("Show the live weight")[0]  # stops after two minutes
    assert "Show the live weight" in last


@pytest.mark.parametrize("mode, words", [
    ("unstable", "could not settle on a weight"),
    ("overload", "Too heavy for the scale (overload)"),
    ("underload", "below zero (underload)"),
    ("garbage", "sent something this kiosk cannot read"),
])
def test_only_a_stable_reading_is_taken(weigher, fake, mode, words):
    fake.mode = mode
    assert words in weigher.refused("weight", source="scale")
    assert weigher.at == "weight"


def test_a_stable_reading_is_kept_exactly_in_the_packages_unit(weigher, fake):
    # A screen that posts a weight of its own with "scale" gets the scale's reading instead.
    message = weigher.ok("weight", source="scale", value="999", scale="453.6")
    assert message.startswith("453.6 Grams counted.")
    line = CountLine.get(CountLine.tag == TAGS[5])
    assert line.counted == Decimal("453.6")  # 0.45360 kg × 1000, exactly
    assert line.counted_how == "scale 0.45360 kg"
    event = StepEvent.get(StepEvent.step_id == "weight", StepEvent.accepted == True)  # noqa: E712
    assert event.value["scale"] == {"status": "stable", "value": "0.45360", "unit": "kg",
                                    "words": "0.45360 kg, stable.", "raw": "S S    0.45360 kg"}
    assert fake.asked[-1] == "S"


def test_the_cable_pulled_mid_reading_is_said_and_nothing_is_kept(weigher, fake):
    fake.mode = "pull"
    refused = weigher.refused("weight", source="scale")
    assert "stopped answering" in refused or "did not answer" in refused
    assert CountLine.get(CountLine.tag == TAGS[5]).counted is None
    # The person can still type the weight with a reason; it is kept marked as typed.
    weigher.expect("warn", "weight", source="keyed", value="453.6",
                   reason="The scale is not working")
    assert CountLine.get(CountLine.tag == TAGS[5]).counted_how == \
        "typed weight (The scale is not working)"

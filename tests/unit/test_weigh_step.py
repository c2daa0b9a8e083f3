"""The weigh step kind: a stable reading from the scale is taken exactly as read; an
unstable, overloaded or missing one is refused in the scale's own words; a weight typed by
hand needs a reason and is kept marked as keyed."""

from decimal import Decimal

import pytest

from kiosk import engine
from kiosk.models import Run, StepEvent


def keep_weight(run, weight, ctx):
    """Keep the weight as read."""
    run.data["weight"] = {**weight, "weight": str(weight["weight"])}


FLOW = engine.Workflow(
    key="weigh_test", title="Weigh test", sop="TEST-W", version=1, roles=("counter",),
    steps=(engine.weigh("weight", "Weigh it", unit="g", effect=keep_weight),
           engine.instruct("after", "Done")))


class Registry:
    def get(self, key):
        return FLOW if key == FLOW.key else None


@pytest.fixture
def counter(database, make_employee, fixed_clock):
    return make_employee("Cora", "2001", "1111", "counter")


def submit(run, raw, who):
    run = Run.get_by_id(run.id)
    return engine.submit(run.id, "weight", run.rev, raw, who, "test-1", {}, Registry())


def reading(status, value=None, unit="g", words=""):
    return {"status": status, "value": value, "unit": unit, "words": words}


def test_a_stable_reading_is_kept_exactly(counter):
    run = engine.start(FLOW, counter, "test-1", {})
    outcome = submit(run, {"source": "scale", "scale": reading("stable", "453.60")}, counter)
    assert outcome.accepted
    kept = Run.get_by_id(run.id).data["weight"]
    assert kept == {"weight": "453.60", "unit": "g", "keyed": False}
    event = StepEvent.get(StepEvent.run == run.id, StepEvent.accepted == True)  # noqa: E712
    assert event.value["scale"]["value"] == "453.60"  # what the scale said is on record


@pytest.mark.parametrize("scale", [
    reading("unstable", "12.1", words="The weight is still moving."),
    reading("overload", words="Too heavy for the scale (overload)."),
    reading("offline", words="The scale stopped answering."),
])
def test_no_stable_reading_is_refused_in_the_scales_words(counter, scale):
    run = engine.start(FLOW, counter, "test-1", {})
    outcome = submit(run, {"source": "scale", "scale": scale}, counter)
    assert not outcome.accepted and outcome.message == scale["words"]
    assert Run.get_by_id(run.id).current_step == "weight"


def test_a_negative_stable_reading_asks_to_zero_the_scale(counter):
    run = engine.start(FLOW, counter, "test-1", {})
    outcome = submit(run, {"source": "scale", "scale": reading("stable", "-0.40")}, counter)
    assert not outcome.accepted and "zero the empty scale" in outcome.message


def test_a_typed_weight_needs_a_reason_and_is_marked_keyed(counter):
    run = engine.start(FLOW, counter, "test-1", {})
    refused = submit(run, {"source": "keyed", "value": "28.5"}, counter)
    assert not refused.accepted and "needs a reason" in refused.message
    bad = submit(run, {"source": "keyed", "value": "lots", "reason": "Scale broken"}, counter)
    assert not bad.accepted and bad.message == (
        "A weight of lots is not possible here: enter a number of grams from 0 to 100,000, "
        "with at most 3 decimals.")
    taken = submit(run, {"source": "keyed", "value": "28.50", "reason": "Scale broken"},
                   counter)
    assert taken.accepted
    kept = Run.get_by_id(run.id).data["weight"]
    assert kept == {"weight": "28.50", "unit": "g", "keyed": True, "reason": "Scale broken"}
    assert Decimal(kept["weight"]) == Decimal("28.50")


def test_nothing_at_all_says_what_to_do(counter):
    run = engine.start(FLOW, counter, "test-1", {})
    outcome = submit(run, {"source": "keyed", "value": ""}, counter)
    assert "press Take reading" in outcome.message


def test_the_weigh_kind_is_part_of_the_engine():
    assert "weigh" in engine.KINDS and engine.check(FLOW) == []

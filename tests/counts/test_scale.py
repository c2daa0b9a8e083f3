"""The bench scale over a real serial line (a pseudo-terminal) with a fake scale on the far
end: stable, unstable, overload, underload, garbage, an unknown command, silence, and the
cable pulled in the middle of a reading. Every case is a Reading whose words a person can act
on; nothing raises, and weights are exact decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fake_scale import FakeScale

from kiosk.hardware import scale


@pytest.fixture
def sics():
    fake = FakeScale(weight="453.60", unit="g")
    yield fake
    fake.close()


def test_a_stable_reading_is_the_exact_decimal_the_scale_printed(sics):
    reading = scale.open_scale(sics.url).read()
    assert reading.stable and reading.status == "stable"
    assert reading.value == Decimal("453.60") and isinstance(reading.value, Decimal)
    assert str(reading.value) == "453.60"  # trailing zero kept: nothing is rounded or floated
    assert reading.unit == "g"
    assert reading.words == "453.60 g, stable."
    assert sics.asked == ["S"]  # a stable weight is asked for with MT-SICS "S"


@pytest.mark.parametrize("mode, status, words", [
    ("unstable", "unstable", "could not settle on a weight"),
    ("overload", "overload", "Too heavy for the scale (overload)"),
    ("underload", "underload", "below zero (underload)"),
    ("garbage", "error", "sent something this kiosk cannot read"),
    ("unknown", "error", "did not understand the kiosk's request (MT-SICS ES)"),
])
def test_every_unusable_answer_says_why_in_words(sics, mode, status, words):
    sics.mode = mode
    reading = scale.open_scale(sics.url).read()
    assert reading.status == status and not reading.stable
    assert words in reading.words
    assert reading.value is None


def test_the_live_value_asks_for_the_weight_now_and_shows_it_moving(sics):
    sics.mode = "unstable"
    reading = scale.open_scale(sics.url).peek()
    assert sics.asked == ["SI"]
    assert reading.status == "unstable" and reading.value == Decimal("453.60")
    assert "still moving (now 453.60 g)" in reading.words


def test_a_silent_scale_is_offline_after_the_wait(sics):
    sics.mode = "silent"
    reading = scale.open_scale(sics.url, read_seconds=0.5).read()
    assert reading.status == "offline"
    assert "did not answer within 0.5 seconds" in reading.words


def test_the_cable_pulled_mid_reading_is_said_and_the_next_reading_tries_again(sics):
    device = scale.open_scale(sics.url, read_seconds=2)
    assert device.read().stable
    sics.mode = "pull"
    reading = device.read()
    assert reading.status == "offline"
    assert "stopped answering" in reading.words or "did not answer" in reading.words
    # The port is gone: the next reading tries to open it again and says so, it never raises.
    again = device.read()
    assert again.status == "offline" and "cable" in again.words


def test_a_streaming_scale_counts_only_lines_flagged_stable():
    fake = FakeScale(weight="0012.34", unit="g", streaming=True)
    try:
        device = scale.open_scale(fake.url, read_seconds=1)
        fake.switch("unstable")
        moving = device.read()
        assert moving.status == "unstable" and moving.value == Decimal("12.34")
        fake.switch("stable")
        steady = device.read()
        assert steady.stable and steady.value == Decimal("12.34") and steady.unit == "g"
        fake.switch("overload")
        assert device.read().status == "overload"
        fake.switch("garbage")
        assert device.read().status == "error"
        fake.mode = "pull"
        assert device.read().status == "offline"
    finally:
        fake.close()


def test_no_scale_asks_for_a_typed_weight_with_a_reason():
    reading = scale.open_scale("none").read()
    assert reading.status == "absent"
    assert "KIOSK_SCALE is none" in reading.words


@pytest.mark.parametrize("url, fine", [
    ("none", True), ("sics+serial:///dev/ttyUSB0?baudrate=9600", True),
    ("stream+serial:///dev/ttyUSB1", True), ("serial:///dev/ttyUSB0", False),
    ("sics+serial:///dev/ttyUSB0?baudrate=fast", False),
    ("sics+serial:///dev/ttyUSB0?speed=9600", False),
])
def test_scale_addresses(url, fine):
    assert (scale.problem(url) is None) == fine


def test_parsers_read_the_documented_shapes():
    assert scale.parse_sics("S S      100.00 g").value == Decimal("100.00")
    assert scale.parse_sics("S S     -0.02 g").value == Decimal("-0.02")
    assert scale.parse_stream("ST,GS,+0012.34 g").value == Decimal("12.34")
    assert scale.parse_stream("ST,NT,+0001.5 oz").unit == "oz"
    assert scale.parse_stream("0012.34 g").status == "unstable"  # no flag: not taken as stable

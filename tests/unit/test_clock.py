"""The store's clock: records keep UTC, people and Metrc get the store's own time."""

import datetime as dt

import pytest

from kiosk import clock
from kiosk.sync import pos, pulls


@pytest.fixture
def denver():
    clock.use_zone("America/Denver")


def test_an_evening_in_the_store_is_the_next_morning_in_utc(denver):
    evening = dt.datetime(2026, 11, 24, 2, 30)  # UTC: 19:30 the day before in Denver (MST)
    assert clock.local(evening) == dt.datetime(2026, 11, 23, 19, 30)
    assert clock.store_date(evening) == dt.date(2026, 11, 23)
    assert clock.from_local(dt.datetime(2026, 11, 23, 19, 30)) == evening


def test_summer_time_moves_the_offset(denver):
    assert clock.local(dt.datetime(2026, 7, 1, 18, 0)) == dt.datetime(2026, 7, 1, 12, 0)  # MDT
    assert clock.local(dt.datetime(2026, 12, 1, 18, 0)) == dt.datetime(2026, 12, 1, 11, 0)  # MST


def test_a_store_day_in_utc(denver):
    assert clock.store_day_bounds(dt.date(2026, 11, 23), dt.date(2026, 11, 24)) == (
        dt.datetime(2026, 11, 23, 7, 0), dt.datetime(2026, 11, 25, 7, 0))


def test_an_unknown_zone_is_refused():
    with pytest.raises(ValueError, match="not a time zone name"):
        clock.use_zone("Mountain")


def test_metrc_writes_a_transfers_times_on_the_facilitys_clock(denver):
    # As Metrc's own example writes EstimatedArrivalDateTime: no offset, the facility's time.
    assert pulls._facility_time("2026-11-23T13:00:00.000") == dt.datetime(2026, 11, 23, 20, 0)
    assert pulls._facility_time("2026-11-23T13:00:00Z") == dt.datetime(2026, 11, 23, 13, 0)
    assert pulls._facility_time("2026-11-23T13:00:00+00:00") == dt.datetime(2026, 11, 23, 13)
    assert pulls._facility_time("") is None


def test_a_pos_report_without_an_offset_is_on_the_stores_clock(denver):
    assert pos.when("2026-11-23 17:05") == dt.datetime(2026, 11, 24, 0, 5)
    assert pos.when("2026-11-23T17:05:00-05:00") == dt.datetime(2026, 11, 23, 22, 5)

"""Numbers that mean something: every quantity has its unit's range and decimals, is typed
as plain digits, is kept as a decimal string (never a float) and is refused in words; the
POS webhook's bodies are checked against their schema."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from attacks import BULK_TAG, JAR_TAG, signed, to_step

from kiosk import db, limits
from kiosk.models import PosSale, StepEvent, TransferPackage
from kiosk.models.picks import PickLine, PickRequest


def _stored(sql: str) -> list[str]:
    """The first column of every row as the database holds it (JSON as text)."""
    return [row[0] for row in db.database.execute_sql(sql).fetchall()]


CASES = "enter a whole number of cases from 0 to 999."
UNITS = "enter a whole number of units from 0 to 99,999."
GRAMS = "enter a number of grams from 0 to 100,000, with at most 3 decimals."


@pytest.mark.parametrize("typed", ["1e25", "1e30", "1E3", "1000", "-1", "Infinity", "NaN",
                                   "1_000", "0x10", "١٢", "12,5", "9" * 17, "+5", "5 5"])
def test_a_case_count_out_of_range_or_not_plain_digits_is_refused_in_words(screen, typed):
    to_step(screen, "receiving", "cases")
    assert screen.refused(value=typed) == f"A count of {typed} is not possible here: {CASES}"
    assert "cases" not in screen.run.data


def test_a_case_count_in_range_is_kept_as_typed(screen):
    to_step(screen, "receiving", "cases")
    screen.ok(value=" 006 ")
    assert screen.run.data["cases"] == 6
    event = StepEvent.select().where(StepEvent.step_id == "cases",
                                     StepEvent.accepted == True).get()  # noqa: E712
    assert event.value["number"] == "6"


def test_a_unit_count_is_whole_and_a_decision_always_follows(screen):
    to_step(screen, "receiving", "units")
    for typed in ("1e25", "99999999999999999", "100000", "47.5", "1e20"):
        assert screen.refused(value=typed) == f"A count of {typed} is not possible here: {UNITS}"
    screen.ok(value="99999")
    assert screen.run.current_step == "decide"
    page = screen.kiosk.get(f"/runs/{screen.run_id}")
    assert page.status_code == 200 and "Accept 99999 Each (99951 more than shipped)" in \
        page.get_data(as_text=True)
    screen.ok(value="over")
    line = TransferPackage.get(TransferPackage.tag == JAR_TAG)
    assert line.received_quantity == Decimal("99999")


def test_grams_take_three_decimals_and_stay_decimal_strings(screen):
    to_step(screen, "receiving", "package")
    screen.ok(value=BULK_TAG)
    screen.ok(value="intact")
    assert screen.refused(value="453.6001") == f"A weight of 453.6001 is not possible here: {GRAMS}"
    assert screen.refused(value="100000.5") == f"A weight of 100000.5 is not possible here: {GRAMS}"
    screen.ok(value="453.125")
    assert screen.run.data["counted"] == "453.125"
    assert '"counted":"453.125"' in _stored("SELECT data FROM run")[0]
    floats = set()
    for text in _stored("SELECT value FROM step_event") + _stored("SELECT data FROM run"):
        json.loads(text, object_pairs_hook=lambda pairs: floats.update(
            k for k, v in pairs if isinstance(v, float)) or dict(pairs))
    # No quantity is ever a JSON float; the one float is a setting (the potency tolerance %).
    assert floats == {"tolerance"}


def test_a_paper_manifest_count_is_ranged_by_the_items_unit(screen):
    to_step(screen, "paper_manifest", "cases")
    assert screen.refused(value="1e30") == f"A count of 1e30 is not possible here: {CASES}"
    screen.ok(value="2")
    screen.ok(value="1A4099900000000000000001")
    from kiosk import demo

    screen.ok(value=demo.demo_upc(1))  # Blue Dream 3.5g Jar, sold by the unit
    assert screen.refused(value="12.5") == f"A count of 12.5 is not possible here: {UNITS}"
    screen.ok(value="24")
    assert TransferPackage.get(TransferPackage.tag == "1A4099900000000000000001"
                               ).shipped_quantity == Decimal(24)


@pytest.mark.parametrize("value, unit, kw, expected", [
    ("12", "Each", {}, Decimal(12)),
    ("12.0", "Each", {}, Decimal(12)),
    (".5", "Grams", {}, Decimal("0.5")),
    ("0.125", "g", {}, Decimal("0.125")),
    (Decimal("2.5"), "Grams", {"above_zero": True}, Decimal("2.5")),
    (3, "Each", {"above_zero": True}, Decimal(3)),
    ("12.34", limits.MONEY, {}, Decimal("12.34")),
])
def test_quantities_in_range(value, unit, kw, expected):
    assert limits.quantity(value, unit, **kw) == expected


@pytest.mark.parametrize("value, unit, kw", [
    ("0", "Each", {"above_zero": True}), (0, "Grams", {"above_zero": True}),
    (Decimal("NaN"), "Grams", {}), (Decimal("-Infinity"), "Grams", {}), (True, "Each", {}),
    (1.5, "Grams", {}), (None, "Each", {}), ([1], "Each", {}), (10**4000, "Each", {}),
    (Decimal("1E+20"), "Each", {}), (Decimal("1E-50"), "Grams", {}), ("12.345", limits.MONEY, {}),
    ("5", "cases", {"maximum": Decimal(4)}), ("", "Each", {}), ("１２", "Each", {}),
])
def test_quantities_out_of_range_or_not_numbers(value, unit, kw):
    with pytest.raises(limits.QuantityError) as refused:
        limits.quantity(value, unit, **kw)
    assert len(str(refused.value)) < 160


SALE = {"receipt": "R-2001", "sold_at": "2026-11-23T12:00:00-08:00",
        "lines": [{"tag": JAR_TAG, "quantity": 2, "unit": "Each", "amount": "70.00"}]}


def _sale(**line) -> dict:
    return {**SALE, "lines": [{**SALE["lines"][0], **line}]}


@pytest.mark.parametrize("body, reason", [
    (b'{"receipt": "R-1", "sold_at": "2026-11-23T12:00:00Z", "lines": '
     b'[{"tag": "1A4050100000000000005001", "quantity": NaN}]}', "NaN is not a number"),
    (b'{"receipt": "R-1", "sold_at": "2026-11-23T12:00:00Z", "lines": '
     b'[{"tag": "1A4050100000000000005001", "quantity": -Infinity}]}',
     "-Infinity is not a number"),
    (_sale(quantity=-5), "quantity '-5' is not possible: it must be a whole number of units "
                         "from 1 to 99,999"),
    (_sale(quantity=0), "quantity '0' is not possible"),
    (_sale(quantity="1e20"), "quantity '1e20' is not possible"),
    (_sale(quantity=1e20), "quantity '1E+20' is not possible"),
    (_sale(quantity=2.5), "quantity '2.5' is not possible"),
    (_sale(quantity=[2]), "line 1: quantity must be a number (or one in quotes)"),
    (_sale(unit="bushels"), "the unit 'bushels' is not one this kiosk knows"),
    (_sale(amount="12.345"), "amount '12.345' is not possible"),
    (_sale(tag=12345), "line 1: tag must be a 24-character package tag"),
    ({**SALE, "receipt": {"a": 1}}, "receipt must be text of 1 to 64 characters"),
    ({**SALE, "receipt": "R\x00"}, "receipt must be text of 1 to 64 characters"),
    ({**SALE, "lines": {"tag": JAR_TAG}}, "lines must be a list of 1 to 500 lines"),
    ({**SALE, "lines": []}, "lines must be a list of 1 to 500 lines"),
    ({**SALE, "store": "X"}, "Additional properties are not allowed ('store' was unexpected)"),
    ({k: v for k, v in SALE.items() if k != "lines"}, "'lines' is a required property"),
    ([SALE], "the body must be a sale"),
    ({**SALE, "sold_at": "0001-01-01T00:00:00+23:59"}, "is not between 2000 and 2099"),
])
def test_the_sales_webhook_refuses_what_its_schema_does_not_allow(app, store, body, reason):
    response = signed(app.test_client(), "/api/pos/sales", body)
    assert response.status_code == 400
    assert reason in response.get_json()["error"], response.get_json()
    assert PosSale.select().count() == 0


def test_a_sale_with_one_bad_line_stores_none_of_it(app, store):
    sale = {**SALE, "lines": [SALE["lines"][0], {"tag": BULK_TAG, "quantity": "-1"}]}
    assert signed(app.test_client(), "/api/pos/sales", sale).status_code == 400
    assert PosSale.select().count() == 0


def test_a_good_sale_is_stored_in_its_unit_as_decimals(app, store):
    sale = {**SALE, "lines": [SALE["lines"][0], {"tag": BULK_TAG, "quantity": 3.5, "unit": "g",
                                                  "amount": 8.4}]}
    response = signed(app.test_client(), "/api/pos/sales", sale)
    assert response.get_json() == {"ok": True, "new": 2}
    bulk = PosSale.get(PosSale.tag == BULK_TAG)
    assert (bulk.quantity, bulk.unit, bulk.amount) == (Decimal("3.5"), "Grams", Decimal("8.4"))


def test_pick_requests_keep_quantities_as_text_and_refuse_the_rest(app, store):
    client = app.test_client()
    pick = {"id": "PICK-1", "note": "online order",
            "lines": [{"tag": JAR_TAG, "quantity": 2}, {"item": "Bulk Wax (grams)",
                                                        "quantity": 0.5, "unit": "Grams"}]}
    assert signed(client, "/api/pos/pick-requests", pick).get_json() == {"ok": True, "new": True}
    # The queue's lines are decimals in the item's unit; the sender's own lines are kept as
    # sent, their fractions as text (never a float).
    lines = PickLine.select().order_by(PickLine.number)
    assert [(line.quantity, line.unit) for line in lines] == [
        (Decimal(2), "Each"), (Decimal("0.5"), "Grams")]
    assert all(isinstance(line.quantity, Decimal) for line in lines)
    assert '"quantity":"0.5"' in _stored("SELECT lines FROM pick_request")[0]
    for bad, reason in (
            ({**pick, "id": "PICK-2", "lines": [{"quantity": 1}]}, "line 1 must be a line"),
            ({**pick, "id": "PICK-2", "lines": [{"tag": JAR_TAG, "quantity": -1}]},
             "line 1: the quantity '-1' is not possible"),
            ({**pick, "id": "PICK-2", "note": "n" * 501}, "note must be text of at most 500"),
            ({**pick, "id": "PICK-2", "lines": [{"tag": JAR_TAG, "quantity": 1, "x": 1}]},
             "'x' was unexpected")):
        response = signed(client, "/api/pos/pick-requests", bad)
        assert response.status_code == 400 and reason in response.get_json()["error"], \
            response.get_json()
    assert PickRequest.select().count() == 1

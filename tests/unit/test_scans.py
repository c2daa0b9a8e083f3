"""Every scan becomes a typed value, or a message that says what the step expects."""

import pytest

from kiosk import scans


@pytest.mark.parametrize("raw", ["1A4FF0100000022000000123", "1a4ff0100000022000000123",
                                 " 1A4FF0100000022000000123\r\n", "]C01A4FF0100000022000000123"])
def test_package_tags_are_normalised(raw):
    scan = scans.parse(raw, ("package_tag",))
    assert scan.kind == "package_tag"
    assert scan.value == "1A4FF0100000022000000123"


@pytest.mark.parametrize("raw,gtin", [
    ("012345678905", "00012345678905"),          # UPC-A
    ("0012345678905", "00012345678905"),         # the same UPC-A sent as 13 digits
    ("]E00012345678905", "00012345678905"),      # with the scanner's AIM prefix
    ("4006381333931", "04006381333931"),         # EAN-13
    ("96385074", "00000096385074"),              # EAN-8
    ("10012345678902", "10012345678902"),        # GTIN-14 case code
])
def test_item_barcodes_normalise_to_gtin14(raw, gtin):
    assert scans.parse(raw, ("gtin",)).value == gtin


def test_upc_a_and_its_13_digit_form_are_the_same_item():
    assert scans.parse("012345678905", ("gtin",)) .value == \
        scans.parse("0012345678905", ("gtin",)).value


def test_wrong_check_digit_is_named():
    with pytest.raises(scans.ScanError, match="check digit"):
        scans.parse("012345678906", ("gtin",))


def test_check_digit_vectors():
    assert scans.gs1_check_digit("01234567890") == 5
    assert scans.gs1_check_digit("0950110102091") == 7


@pytest.mark.parametrize("raw", [
    "]d2010950110102091717261231\x1d10ABC123",
    "]C1010950110102091717261231\x1d10ABC123",
    "010950110102091717261231\x1d10ABC123",
])
def test_gs1_element_strings(raw):
    scan = scans.parse(raw, ("gs1",))
    assert scan.fields == {"01": "09501101020917", "17": "2026-12-31", "10": "ABC123"}
    assert scan.gtin == "09501101020917"


def test_gs1_serial_and_end_of_month_expiry():
    scan = scans.parse("]d2010950110102091717260200\x1d21SN42\x1d10LOT7", ("gs1",))
    assert scan.fields["17"] == "2026-02-28"   # day 00 = last day of the month
    assert scan.fields["21"] == "SN42" and scan.fields["10"] == "LOT7"


def test_gs1_with_bad_gtin_is_refused():
    with pytest.raises(scans.ScanError, match="GTIN"):
        scans.parse("]d2010950110102091817261231", ("gs1",))


def test_locations_badges_manifests():
    assert scans.parse("loc-v-a1", ("location",)).value == "LOC-V-A1"
    assert scans.parse("EMP-1002", ("badge",)).value == "1002"
    assert scans.parse("1002", ("badge",)).value == "1002"
    assert scans.parse("0000012345", ("manifest",)).value == "0000012345"
    assert scans.parse("MAN-4411", ("manifest",)).value == "4411"


def test_item_barcode_where_a_tag_is_expected_says_so():
    with pytest.raises(scans.ScanError) as err:
        scans.parse("012345678905", ("package_tag",))
    assert "item barcode" in str(err.value) and "package tag" in str(err.value)


def test_tag_with_a_missing_character_says_how_long_a_tag_is():
    with pytest.raises(scans.ScanError, match="24"):
        scans.parse("1A4FF010000002200000012", ("package_tag",))


def test_garbage_says_what_was_expected():
    with pytest.raises(scans.ScanError, match="location label"):
        scans.parse("hello world", ("location",))
    with pytest.raises(scans.ScanError, match="Nothing was scanned"):
        scans.parse("   ", ("location",))


@pytest.mark.parametrize("raw", ["VIS-000123", "vis-000123", "VIS-123", " VIS-000123\r\n"])
def test_visitor_badges_name_their_visit(raw):
    scan = scans.parse(raw, ("visitor",))
    assert (scan.kind, scan.value) == ("visitor", "123")


def test_a_visitor_badge_is_no_employee_badge_and_says_so():
    with pytest.raises(scans.ScanError, match=r"That was a visitor badge \(starts VIS-\)"):
        scans.parse("VIS-000123", ("badge",))
    with pytest.raises(scans.ScanError, match="This step needs a visitor badge"):
        scans.parse("EMP-1002", ("visitor",))
    assert [s.kind for s in scans.readings("VIS-12X")] == []

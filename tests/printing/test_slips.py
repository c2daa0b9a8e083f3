"""Slips as ESC/POS: the bytes python-escpos makes, read back for text and barcodes."""

from __future__ import annotations

import pytest
from escpos_reader import read

from kiosk.hardware import slips
from kiosk.hardware.escpos_slips import slip_bytes
from kiosk.hardware.samples import SLIPS

SETTINGS = {"store_name": "Café Verde Dispensary", "license": "C10-0000123-LIC",
            "training": False}


def printed(layout, data=None, training=False, copies=1):
    return read(slip_bytes(layout, SLIPS[layout] if data is None else data, SETTINGS,
                           training, copies))


def test_receiving_slip_lists_every_package_with_accents_and_a_manifest_barcode():
    out = printed("receiving_slip")
    text = "\n".join(out.lines)
    assert "Café Verde Dispensary" in out.lines[0] or "Café Verde Dispensary" in text
    assert "RECEIVING" in text
    for package in SLIPS["receiving_slip"]["packages"]:
        assert package["tag"] in out.lines
        assert any(line.startswith(package["item"][:30]) for line in out.lines)
    assert any("Niño Verde Farms" in line for line in out.lines)
    assert any(line.endswith("REJECTED") for line in out.lines)
    assert "Reason: Seal broken on arrival" in out.lines
    # Code 128 by the printer's own command (GS k 73), carrying the manifest number exactly.
    assert out.barcodes == [(73, "0000123456")]
    assert out.cuts == 1
    assert max(len(line) for line in out.lines) <= slips.COLUMNS


def test_vault_access_slip_names_both_people_and_links_the_run():
    out = printed("vault_access_slip")
    assert "Ana Peña" in out.bold_lines and "Bob Lee" in out.bold_lines
    assert any(line.startswith("Purpose") and line.endswith("Cycle count") for line in out.lines)
    assert out.barcodes == [(73, "RUN-1")]


def test_count_sheet_shows_variances():
    out = printed("count_sheet")
    assert any(line.startswith("VARIANCE") and line.endswith("-1") for line in out.lines)
    assert any(line.startswith("Lines with a variance") and line.endswith("1")
               for line in out.lines)
    assert SLIPS["count_sheet"]["lines"][0]["tag"] in out.lines


def test_shift_summary_prints_each_label_and_value():
    out = printed("shift_summary")
    for label, value in SLIPS["shift_summary"]["lines"]:
        assert any(line.startswith(label) and line.endswith(value) for line in out.lines)


def test_tag_barcode_uses_code_set_c_for_digit_runs_and_still_reads_back_exactly():
    data = {"manifest": "1A4FF0100000022000000123"}
    raw = slip_bytes("receiving_slip", data, SETTINGS)
    assert b"{B1A4FF0{C" in raw  # shorter than all-B, so it fits 72 mm at 2 dots a module
    assert read(raw).barcodes == [(73, "1A4FF0100000022000000123")]


@pytest.mark.parametrize("layout", sorted(slips.SLIPS))
def test_training_slips_say_so_at_top_and_bottom(layout):
    out = printed(layout, training=True)
    marks = [n for n, line in enumerate(out.lines) if slips.TRAINING_LINE in line]
    assert len(marks) == 2 and marks[0] < 2 and marks[1] > len(out.lines) - 5
    assert slips.TRAINING_LINE not in "\n".join(printed(layout).lines)


@pytest.mark.parametrize("layout", sorted(slips.SLIPS))
def test_slips_accept_missing_fields(layout):
    out = printed(layout, data={})
    assert out.cuts == 1 and out.lines


def test_copies_print_and_cut_each_one():
    out = printed("vault_access_slip", copies=2)
    assert out.cuts == 2
    assert out.lines.count("Ana Peña") == 2


def test_code_page_is_set_after_the_reset_so_accents_survive():
    raw = slip_bytes("vault_access_slip", SLIPS["vault_access_slip"], SETTINGS)
    assert raw.index(b"\x1b@") < raw.index(b"\x1bt\x13")  # ESC @ resets the code page
    assert raw.count(b"\x1b@") == 1


@pytest.mark.parametrize("manifest", ["Niño-0001", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGH"])
def test_a_manifest_that_cannot_be_a_barcode_prints_as_text(manifest):
    """Accented, or too wide for 72 mm at 2 dots a module: the number is printed instead."""
    out = printed("receiving_slip", data={"manifest": manifest})
    assert out.barcodes == []
    assert manifest in out.lines

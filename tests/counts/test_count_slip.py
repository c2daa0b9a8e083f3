"""The count slip as the receipt printer gets it (ESC/POS, read back) and as its preview is
drawn: the area, who counted, recounted and signed, when, how many packages, the variances
left; a barcode for the count; and no expected quantity anywhere on it."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "printing"))
from escpos_reader import read  # noqa: E402

from kiosk.hardware import preview, slips  # noqa: E402
from kiosk.hardware.escpos_slips import slip_bytes  # noqa: E402
from kiosk.hardware.samples import SLIPS  # noqa: E402

SETTINGS = {"store_name": "Demo Dispensary", "license": "C10-0000001-LIC", "training": True}


def test_the_count_slip_says_who_when_and_what_is_left():
    data = SLIPS["count_slip"]
    out = read(slip_bytes("count_slip", data, SETTINGS))
    lines = out.lines
    assert "CYCLE COUNT" in "\n".join(lines) and "*** TRAINING - NOT A RECORD ***" in lines
    assert "Vault shelf A1" in out.bold_lines
    for label, value in (("Counted by", "Ana Peña"), ("Recounted by", "Bob Lee"),
                         ("Started", "2026-11-23 09:00"), ("Closed", "2026-11-23 10:15"),
                         ("Packages counted", "58"), ("Found, not expected", "1"),
                         ("Variances to investigate", "2")):
        assert any(line.startswith(label) and line.endswith(value) for line in lines), label
    assert data["variances"][0]["tag"] in lines
    assert any(line.startswith("not found") and line.endswith("counted not found")
               for line in lines)
    assert out.barcodes == [(73, "COUNT-42")]
    assert max(len(line) for line in lines) <= slips.COLUMNS
    assert not any(line.startswith("Expected") for line in lines)  # unlike the count sheet


def test_the_count_slip_preview_is_drawn_from_the_same_layout():
    html = preview.render_html("count_slip", SLIPS["count_slip"], SETTINGS)
    assert "Vault shelf A1" in html and "Variances to investigate" in html

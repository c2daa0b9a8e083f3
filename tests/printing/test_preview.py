"""The on-screen preview is drawn from the same layout as the printer's bytes."""

from __future__ import annotations

import re

import pytest
import zxingcpp
from bs4 import BeautifulSoup
from escpos_reader import read
from PIL import Image, ImageDraw

from kiosk.hardware import labels, preview, samples, slips
from kiosk.hardware.escpos_slips import slip_bytes
from kiosk.hardware.zpl import to_zpl


def bars_image(svg) -> Image.Image:
    """Rasterise the preview's bar SVG (x/width in modules) at 3 px a module."""
    total = int(svg["viewbox"].split()[2])
    image = Image.new("L", (total * 3 + 60, 120), 255)
    draw = ImageDraw.Draw(image)
    for rect in svg.find_all("rect"):
        x, w = int(rect["x"]), int(rect["width"])
        draw.rectangle((30 + x * 3, 10, 30 + (x + w) * 3 - 1, 110), fill=0)
    return image


@pytest.mark.parametrize("stock", ["2x1", "4x6"])
@pytest.mark.parametrize("layout", sorted(labels.LAYOUTS))
def test_label_preview_matches_the_printed_label(layout, stock):
    settings = {"label_stock": stock, "label_dpi": 300, "training": True}
    data = samples.LABELS[layout]
    html = BeautifulSoup(preview.render_html(layout, data, settings), "html.parser")
    label = labels.build(layout, data, stock, training=True)
    zpl = to_zpl(label, 300)
    # Same words, line for line, as the ZPL fields.
    shown = [span.text for span in html.find_all("span")]
    printed = re.findall(r"\^FD(.*?)\^FS", zpl)
    texts = [i.text for i in label.items if isinstance(i, labels.Text)]
    assert shown == texts and all(t in printed for t in texts)
    # The preview's bars are a real symbol for the same data.
    (bars,) = html.find_all(attrs={"data-barcode": True})
    code = {"location_label": "code", "visitor_badge": "code"}.get(layout, "tag")
    assert bars["data-barcode"] == data[code]
    results = zxingcpp.read_barcodes(bars_image(bars.find("svg")))
    assert [(r.format.name, r.text) for r in results] == [("Code128", data[code])]
    # The label has the stock's proportions.
    assert f"aspect-ratio:{label.stock.width}/{label.stock.height}" in str(html)


def test_slip_preview_has_the_same_lines_as_the_printout():
    settings = {"store_name": "Café Verde", "license": "C10-1", "training": True}
    data = samples.SLIPS["receiving_slip"]
    html = BeautifulSoup(preview.render_html("receiving_slip", data, settings), "html.parser")
    shown = [div.text for div in html.find(class_="slip-preview").find_all("div")
             if not div.has_attr("data-barcode")]
    printout = read(slip_bytes("receiving_slip", data, settings))
    printed = [line for line in printout.lines if line.strip()]
    assert [s for s in shown if s.strip() and s != "0000123456"] == printed
    (bars,) = html.find_all(attrs={"data-barcode": True})
    assert [r.text for r in zxingcpp.read_barcodes(bars_image(bars.find("svg")))] == \
        ["0000123456"]
    assert slips.TRAINING_LINE in shown


def test_preview_of_an_unknown_layout_says_so():
    out = preview.render_html("price_tag", {}, {})
    assert "This cannot be shown" in out and "price_tag" in out


def test_preview_escapes_text():
    out = preview.render_html("location_label", {"code": "A1", "name": "<script>x</script>"},
                              {})
    assert "<script>" not in out and "&lt;script&gt;" in out

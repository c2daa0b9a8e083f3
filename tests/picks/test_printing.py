"""What an online order prints, from the records a real order and pick make: its pick ticket
(ESC/POS, read back byte by byte) when it arrives, and its bag labels (ZPL, rendered by a
Zebra-compatible renderer and their barcodes decoded) when it is picked."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import zxingcpp

from kiosk.hardware import labels
from kiosk.hardware.escpos_slips import slip_bytes
from kiosk.hardware.zpl import to_zpl
from kiosk.models import PrintJob

PRINTING = Path(__file__).resolve().parents[1] / "printing"
sys.path.insert(0, str(PRINTING))
from escpos_reader import read  # noqa: E402


@pytest.fixture(scope="module")
def renderer():
    spec = importlib.util.spec_from_file_location("printing_fixtures", PRINTING / "conftest.py")
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    zpl = fixtures.ZplRenderer()
    yield zpl
    zpl.close()


def test_an_online_order_prints_a_pick_ticket_that_says_where_each_line_is(
        store, order, settings):
    order("W-77", [("Watermelon Gummies", 2), ("Moon Rocks", 1)], kind="online",
          customer="Jo Peña", note="Curbside, blue car")
    job = PrintJob.get(PrintJob.layout == "pick_ticket")
    out = read(slip_bytes(job.layout, job.data, {**settings, "store_name": "Café Verde"},
                          job.training))
    text = "\n".join(out.lines)
    assert "PICK TICKET" in text and "Jo Peña" in text and "Curbside, blue car" in text
    soon = store.packages.gummies_soon
    assert "2 x Watermelon Gummies" in out.bold_lines
    assert any(line.startswith("Vault shelf A1") and line.endswith(f"tag ...{soon.tag[-6:]}")
               for line in out.lines)
    assert any(line.startswith("not in the vault") for line in out.lines)
    assert (73, "W-77") in out.barcodes  # Code 128 of the order number
    assert "TRAINING" in text  # the test store is in training mode


@pytest.mark.parametrize("stock", ("2x1", "4x6"))
def test_the_bag_labels_render_and_their_barcodes_read_back_as_the_package_tags(
        store, order, runner, renderer, stock):
    request = order("W-78", [("Watermelon Gummies", 12)], kind="online", customer="Jo Peña")
    runner.claim(request)
    runner.send(store.packages.gummies_soon.tag)
    runner.send(store.packages.gummies_later.tag)
    assert runner.send("print")[0] == "ok"
    jobs = list(PrintJob.select().where(PrintJob.layout == "pick_label").order_by(PrintJob.id))
    assert [j.data["tag"] for j in jobs] == [store.packages.gummies_soon.tag,
                                             store.packages.gummies_later.tag]
    for job in jobs:
        label = labels.build(job.layout, job.data, stock, job.training)
        image = renderer.render(to_zpl(label, 203), label.stock.width, label.stock.height,
                                203)[0]
        found = {r.text for r in zxingcpp.read_barcodes(image)}
        assert job.data["tag"] in found
        words = " ".join(item.text for item in label.items if hasattr(item, "text"))
        assert "Order W-78" in words

"""Every label layout, rendered by a Zebra-compatible renderer and read back by a barcode
decoder: both stocks, both densities, training marks, awkward text."""

from __future__ import annotations

import re

import pytest
import zxingcpp

from kiosk.hardware import labels, samples
from kiosk.hardware.zpl import dots_per_mm, to_zpl

STOCKS = ("2x1", "4x6")
DPIS = (203, 300)
LONG_ACCENTED = ("Crème Brûlée Señorita Jalapeño Niño Extra-Long Live Resin Cartridge "
                 "with a name far too long for any label")
BARCODE_FIELD = {"package_label": "tag", "location_label": "code", "quarantine_label": "tag",
                 "pick_label": "tag", "visitor_badge": "code"}


def render_label(renderer, layout, data, stock, dpi, training=False):
    label = labels.build(layout, data, stock, training)
    zpl = to_zpl(label, dpi)
    images = renderer.render(zpl, label.stock.width, label.stock.height, dpi)
    assert len(images) == 1, "one label format must give exactly one label"
    return label, zpl, images[0]


def decoded(image):
    return {(r.format.name, r.text) for r in zxingcpp.read_barcodes(image)}


@pytest.mark.parametrize("dpi", DPIS)
@pytest.mark.parametrize("stock", STOCKS)
@pytest.mark.parametrize("layout", sorted(labels.LAYOUTS))
def test_every_layout_renders_and_its_barcode_reads_back(renderer, layout, stock, dpi):
    data = dict(samples.LABELS[layout])
    if "item" in data:
        data["item"] = LONG_ACCENTED
    label, zpl, image = render_label(renderer, layout, data, stock, dpi)
    d = dots_per_mm(dpi)
    assert image.size == (round(label.stock.width * d) + 1, round(label.stock.height * d) + 1) \
        or abs(image.size[0] - label.stock.width * d) <= 2
    wanted = data[BARCODE_FIELD[layout]]
    found = decoded(image)
    assert ("Code128", wanted) in found
    if layout == "package_label":
        assert ("DataMatrix", wanted) in found
    assert "^CI28" in zpl
    assert "TRAINING" not in zpl  # no training mark outside training
    if "item" in data:
        # The accented name goes out as UTF-8 text, wrapped and cut with "..." to fit.
        lines = item_lines(label, data["item"])
        assert lines[0].startswith("Crème Brûlée") and lines[-1].endswith("...")
        assert " ".join(lines)[:-3].rstrip() in LONG_ACCENTED
        for line in lines:
            assert f"^FD{line}^FS" in zpl
            assert labels.text_width(line, label_text(label, line).size) <= \
                label_text(label, line).w + 1e-6


def label_text(label, text):
    return next(i for i in label.items if isinstance(i, labels.Text) and i.text == text)


def item_lines(label, item):
    """The label's text lines that carry the item name (they start the name or follow it)."""
    texts = [i.text for i in label.items if isinstance(i, labels.Text)]
    start = next(n for n, t in enumerate(texts) if item.startswith(t.rstrip(".")[:8]))
    lines = [texts[start]]
    for t in texts[start + 1:]:
        if lines[-1].endswith("...") or t.rstrip(".").strip() not in item:
            break
        lines.append(t)
    return lines


@pytest.mark.parametrize("dpi", DPIS)
def test_24_character_tag_of_letters_fits_a_2x1_label(renderer, dpi):
    """The widest tag (no digit runs to compress) still reads on the smallest label."""
    tag = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    data = {**samples.LABELS["package_label"], "tag": tag, "item": LONG_ACCENTED}
    _, _, image = render_label(renderer, "package_label", data, "2x1", dpi)
    assert {("Code128", tag), ("DataMatrix", tag)} <= decoded(image)


def _mark_boxes(label):
    """The black boxes right under each reversed TRAINING text."""
    items = label.items
    return [items[i - 1] for i, item in enumerate(items)
            if isinstance(item, labels.Text) and item.reverse and "TRAINING" in item.text]


@pytest.mark.parametrize("stock", STOCKS)
@pytest.mark.parametrize("layout", sorted(labels.LAYOUTS))
def test_training_labels_carry_a_printed_training_mark(renderer, layout, stock):
    data = samples.LABELS[layout]
    label, zpl, image = render_label(renderer, layout, data, stock, 203, training=True)
    boxes = _mark_boxes(label)
    assert boxes, "a training label must have a TRAINING mark"
    assert re.search(r"\^FR\^FH_\^FDTRAINING", zpl)
    d = dots_per_mm(203)
    for box in boxes:
        # The renderer really drew a black box there (white letters on it stay a minority).
        region = image.crop((round(box.x * d), round(box.y * d),
                             round((box.x + box.w) * d), round((box.y + box.h) * d)))
        dark = sum(1 for v in region.getdata() if v < 128) / (region.width * region.height)
        assert dark > 0.5
    # The barcode still reads with the mark beside it.
    assert ("Code128", data[BARCODE_FIELD[layout]]) in decoded(image)


@pytest.mark.parametrize("stock", STOCKS)
@pytest.mark.parametrize("layout", sorted(labels.LAYOUTS))
def test_layouts_accept_missing_fields(renderer, layout, stock):
    """Only the barcode field given, then nothing at all: still a label, never an error."""
    key = BARCODE_FIELD[layout]
    _, _, image = render_label(renderer, layout, {key: "1A4FF0100000022000000999"}, stock, 203)
    assert ("Code128", "1A4FF0100000022000000999") in decoded(image)
    label, zpl, _ = render_label(renderer, layout, {}, stock, 203, training=True)
    assert zpl.startswith("^XA") and _mark_boxes(label)


def test_user_text_cannot_inject_zpl_commands(renderer):
    data = {**samples.LABELS["package_label"], "item": "Evil ^XZ^XA^FO0,0^FDhacked~JA",
            "brand": "under_score"}
    _, zpl, image = render_label(renderer, "package_label", data, "4x6", 203)
    assert "^XZ^XA" not in zpl.replace("^XZ\n", "")
    assert "_5EXZ_5EXA" in zpl and "_7EJA" in zpl and "under_5Fscore" in zpl
    assert ("Code128", data["tag"]) in decoded(image)


# What receiving writes as a reason (its own findings are the longest), and wide letters.
QUARANTINE_REASONS = (
    "Short: 46 of 48 received",
    "Label says THC 31% but the lab found 23.4% (more than 10% apart).",
    "Lab test failed: THC, CBD, Pesticides, Microbials, Heavy Metals, Residual Solvents, "
    "Mycotoxins, Water Activity.",
    "Seal broken on arrival; WWW MMM @@@ %%% mmm www: the widest letters font 0 has, twice "
    "over: WWW MMM @@@ %%% mmm www",
)


def ink_columns(image, top: float, height: float, d: float) -> list[int]:
    """The columns (in dots) where the band from ``top`` mm, ``height`` mm high, has ink."""
    pixels = image.load()
    rows = range(int(top * d), min(image.height, int((top + height) * d) + 1))
    return [x for x in range(image.width) if any(pixels[x, y] < 128 for y in rows)]


@pytest.mark.parametrize("dpi", DPIS)
@pytest.mark.parametrize("stock", STOCKS)
@pytest.mark.parametrize("reason", QUARANTINE_REASONS, ids=lambda r: f"{len(r)}-chars")
def test_a_quarantine_reason_is_printed_whole(renderer, reason, stock, dpi):
    """Wrapped and, when long, smaller: never cut, and every line inside the label."""
    data = {**samples.LABELS["quarantine_label"], "reason": reason}
    label, zpl, image = render_label(renderer, "quarantine_label", data, stock, dpi)
    texts = [i for i in label.items if isinstance(i, labels.Text)]
    rest = texts[next(n for n, t in enumerate(texts) if t.text.startswith("Reason: ")):]
    lines = rest[:next(n for n, t in enumerate(rest) if t.text.startswith(data["date"]))]
    assert " ".join(t.text for t in lines) == f"Reason: {reason}"
    d = dots_per_mm(dpi)
    for line in lines:
        assert line.size >= labels.SMALLEST_TEXT
        assert f"^FD{line.text}^FS" in zpl
        # The printed line (the renderer's font, not our estimate) stays inside its row.
        ink = ink_columns(image, line.y, line.size, d)
        assert ink and min(ink) >= line.x * d - 1
        assert max(ink) <= (line.x + line.w) * d + 1 < image.width - 1
    last = max(i.y + (i.h if hasattr(i, "h") else i.size) for i in label.items)
    assert last <= label.stock.height
    assert ("Code128", data["tag"]) in decoded(image)


def test_a_reason_too_long_for_a_small_label_is_refused_not_cut():
    reason = " ".join(["Seal broken on arrival, bag torn along the top seam"] * 8)
    with pytest.raises(labels.LayoutError, match="too long to print whole on a 2x1 label"):
        labels.build("quarantine_label", {**samples.LABELS["quarantine_label"],
                                          "reason": reason}, "2x1")
    label = labels.build("quarantine_label", {**samples.LABELS["quarantine_label"],
                                              "reason": reason}, "4x6")
    assert reason in " ".join(i.text for i in label.items if isinstance(i, labels.Text))


def test_quarantine_label_leads_with_a_large_heading():
    label = labels.build("quarantine_label", samples.LABELS["quarantine_label"], "2x1")
    first_text = next(i for i in label.items if isinstance(i, labels.Text))
    assert first_text.text == "QUARANTINE" and first_text.reverse
    assert first_text.size == max(i.size for i in label.items if isinstance(i, labels.Text))


def test_copies_become_a_print_quantity():
    label = labels.build("location_label", samples.LABELS["location_label"], "2x1")
    assert "^PQ3," in to_zpl(label, 203, copies=3)


def test_unknown_layout_or_stock_is_refused_with_its_name():
    with pytest.raises(labels.LayoutError, match="price_tag"):
        labels.build("price_tag", {}, "2x1")
    with pytest.raises(labels.LayoutError, match="3x2"):
        labels.build("package_label", {}, "3x2")

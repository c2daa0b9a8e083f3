"""Label layouts: what goes where on a label, in millimetres, independent of the printer.

Each layout turns a job's data into a ``Label`` (a list of placed text, barcodes and boxes).
The ZPL writer (``zpl.py``) and the on-screen preview (``preview.py``) both draw from that
one ``Label``, so what the screen shows is what the printer gets.

Layouts are written as a column of rows that flows from the top; the stock (2x1" or 4x6")
decides the sizes. Every field is optional: a missing value leaves its row empty or drops
it, never fails. Text is wrapped and cut to its row here (not by the printer's ``^FB``,
which overwrites its last line when text is too long).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal

from babel.dates import format_date

from kiosk import printer_words as w
from kiosk.hardware.code128 import BarcodeDataError, plan
from kiosk.hardware.label_parts import (  # noqa: F401  (re-exported: the label vocabulary)
    MATRIX_SAFE,
    STOCKS,
    Bars,
    Box,
    Label,
    LayoutError,
    Matrix,
    Stock,
    Text,
    text_width,
    wrap,
)
from kiosk.words import DEFAULT, UNIT_WORDS, Number, _, known, say

TRAINING_BANNER = _("TRAINING ONLY")
TRAINING_MARK = _("TRAINING")  # big labels also carry a banner; every label has the mark
# The smallest text a layout shrinks to so that something is printed whole (a quarantine
# reason): 10 dots at 203 dpi, font 0's least legible height; 15 dots at 300 dpi.
SMALLEST_TEXT = 1.25
READABLE_TEXT = 1.6  # below this a layout would rather drop a lesser row (13 dots at 203 dpi)


class Flow:
    """Places rows top to bottom on a stock; an optional DataMatrix sits in the top right."""

    def __init__(self, layout: str, stock: Stock, training: bool, language: str = DEFAULT):
        self.label = Label(layout, stock, training)
        self.language = language  # of the person who asked for the print
        self.stock = stock
        self.y = stock.margin
        self.left = stock.margin
        self.right = stock.width - stock.margin
        self.matrix_bottom = 0.0
        self.marked = False

    def say(self, text):
        """The label's words in the language of whoever printed it."""
        return say(text, self.language)

    def _width(self, y: float) -> float:
        """Row width at ``y``: narrower beside the DataMatrix."""
        if y < self.matrix_bottom:
            return self.right - self.left - self.stock.matrix - self.stock.gap
        return self.right - self.left

    def matrix(self, data) -> None:
        """A DataMatrix in the top-right corner (skipped for data it cannot carry safely)."""
        data = _clean(data)
        if not data or not MATRIX_SAFE.match(data):
            return
        size = self.stock.matrix
        self.label.items.append(Matrix(self.right - size, self.y, size, data))
        self.matrix_bottom = self.y + size

    def banner(self, text: str, size: str = "xl") -> None:
        """A full-width black band with white text (headings that must be seen)."""
        h = self.stock.sizes[size]
        pad = h * 0.25
        width = self.right - self.left
        self.label.items.append(Box(self.left, self.y, width, h + 2 * pad))
        line = wrap(text, width - 2 * pad, h, 1)[0]
        self.label.items.append(Text(self.left + pad, self.y + pad, width - 2 * pad, h, line,
                                     reverse=True))
        self.y += h + 2 * pad + self.stock.gap

    def text(self, value, size: str = "m", lines: int = 1) -> None:
        """Wrapped text; an empty value leaves no row."""
        value = _clean(value)
        if not value:
            return
        h = self.stock.sizes[size]
        self._rows(wrap(value, self._width(self.y), h, lines), h)

    def fits(self, value, size: str, lines: int) -> bool:
        """Whether ``value`` wraps into ``lines`` rows of ``size`` here without being cut."""
        value = _clean(value)
        h = self.stock.sizes[size]
        return len(wrap(value, self._width(self.y), h, len(value) or 1)) <= lines

    def _rows(self, lines: list[str], h: float) -> None:
        for line in lines:
            self.label.items.append(Text(self.left, self.y, self._width(self.y), h, line))
            self.y += h + self.stock.gap * 0.6
        self.y += self.stock.gap * 0.4

    def rows_height(self, h: float, lines: int) -> float:
        """How far ``lines`` rows of text ``h`` mm high move the flow down (as ``text``)."""
        return lines * (h + self.stock.gap * 0.6) + self.stock.gap * 0.4 if lines else 0.0

    def barcode_height(self) -> float:
        """How far a ``barcode`` row moves the flow down."""
        return self.stock.bar_height + self.stock.gap * 1.6 + self.stock.sizes["s"]

    def fit(self, value, room: float, size: str = "m") -> tuple[float, list[str]] | None:
        """The largest text height, from ``size`` down to SMALLEST_TEXT, at which all of
        ``value`` wraps into ``room`` mm, with its lines; None when even that is too tall."""
        value = _clean(value)
        h, width = self.stock.sizes[size], self._width(self.y)
        while True:
            lines = wrap(value, width, h, len(value))  # as many lines as it takes: never cut
            if self.rows_height(h, len(lines)) <= room + 1e-9:
                return h, lines
            if h <= SMALLEST_TEXT:
                return None
            h = max(SMALLEST_TEXT, h * 0.92)

    def barcode(self, data) -> None:
        """A full-width Code 128 with its text below, and the training mark beside that."""
        data = _clean(data)
        if not data:
            return
        try:
            symbol = plan(data)
        except BarcodeDataError as exc:
            raise LayoutError(*exc.args) from None
        self.y = max(self.y, self.matrix_bottom + self.stock.gap)
        width = self.right - self.left
        self.label.items.append(Bars(self.left, self.y, width, self.stock.bar_height, symbol))
        self.y += self.stock.bar_height + self.stock.gap * 0.6
        h = self.stock.sizes["s"]
        mark_w = self._mark_width(h) if self.label.training else 0.0
        self.label.items.append(Text(self.left, self.y, width - mark_w, h, data))
        if mark_w:
            self._mark(self.right - mark_w + self.stock.gap, self.y, h)
        self.y += h + self.stock.gap

    def _mark_width(self, h: float) -> float:
        return text_width(self.say(TRAINING_MARK), h) + h * 0.8 + self.stock.gap

    def _mark(self, x: float, y: float, h: float) -> None:
        pad = h * 0.2
        w = text_width(self.say(TRAINING_MARK), h) + 2 * pad
        self.label.items.append(Box(x, y - pad, w, h + 2 * pad))
        self.label.items.append(Text(x + pad, y, w - 2 * pad, h, self.say(TRAINING_MARK),
                                     reverse=True))
        self.marked = True

    def finish(self) -> Label:
        """Add the training mark if no barcode row carried it, and check everything fits."""
        if self.label.training and not self.marked:
            h = self.stock.sizes["m"]
            self._mark(self.left, self.y + h * 0.2, h)
            self.y += h * 1.4 + self.stock.gap
        if self.y > self.stock.height + 0.01:
            raise LayoutError(w.filled(w.DOES_NOT_FIT, layout=self.label.layout,
                                       stock=self.stock.name, height=f"{self.y:.1f}",
                                       room=f"{self.stock.height:.1f}"))
        return self.label


_CONTROL = dict.fromkeys([*range(32), 127])  # deleted by str.translate


def _clean(value) -> str:
    """Text fit for a label: no control characters, single spaces."""
    if value is None:
        return ""
    return " ".join(str(value).translate(_CONTROL).split())


# A printed date in another language than English: the day, the month's name and the year
# ("5 dic 2026"), never digits only, which a US reader could take the wrong way round.
DAY_PATTERN = "d MMM y"


def day(value, language: str = DEFAULT) -> str:
    """A date for a label from a date, datetime or ISO string; '' if none. English (and
    the data a job keeps) writes YYYY-MM-DD; another language its own way with the month's
    name (``DAY_PATTERN``)."""
    if not value:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        text = value.isoformat()[:10]
    else:
        text = str(value)
        if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
            return text
        text = text[:10]
    if language == DEFAULT:
        return text
    try:
        return format_date(dt.date.fromisoformat(text), DAY_PATTERN, locale=language)
    except ValueError:  # not a real date (2026-02-30): as it was given
        return text


def _pct(label: str, value) -> str:
    if value in (None, ""):
        return ""
    text = str(value).rstrip("%")
    return f"{label} {text}%"


def _join(*parts, sep: str = "  |  ") -> str:
    return sep.join(p for p in (_clean(x) for x in parts) if p)


def _quantity(data: dict, flow) -> str:
    qty = data.get("quantity")
    if qty in (None, ""):
        return ""
    unit = data.get("unit")
    return _join(flow.say(_("Qty {quantity}", quantity=_number(qty))),
                 flow.say(UNIT_WORDS.get(unit, unit)), sep=" ")


def _number(text) -> Number | str:
    try:
        return Number(Decimal(str(text)), str(text))
    except ArithmeticError:
        return str(text)


def package_label(data: dict, flow: Flow) -> None:
    """Package: item, brand, batch, tag (Code 128 + DataMatrix), dates, potency."""
    small = flow.stock.small
    if not small and flow.label.training:
        flow.banner(flow.say(TRAINING_BANNER), "l")
    flow.matrix(data.get("tag"))
    flow.text(data.get("item"), "l", lines=1 if small else 3)
    flow.text(_join(data.get("brand"), data.get("batch") and flow.say(
        _("Batch {batch}", batch=_clean(data["batch"])))), "m", lines=1 if small else 2)
    received, expires = day(data.get("received"), flow.language), \
        day(data.get("expires"), flow.language)
    parts = [received and flow.say(_("Rcv {date}", date=received)),
             expires and flow.say(_("Exp {date}", date=expires))]
    dates = _join(*parts)
    if flow.language == DEFAULT or flow.fits(dates, "m", 1):
        flow.text(dates, "m", lines=1 if small else 2)
    elif small:  # a language that writes dates longer: smaller type, never a cut date
        flow.text(dates, "s")
    else:  # one date a row, not a date broken across two
        h = flow.stock.sizes["m"]
        flow._rows([wrap(_clean(p), flow._width(flow.y), h, 1)[0] for p in parts if p], h)
    flow.text(_join(_pct("THC", data.get("thc")), _pct("CBD", data.get("cbd")),
                    _quantity(data, flow)),
              "m", lines=1 if small else 2)
    flow.barcode(data.get("tag"))


def location_label(data: dict, flow: Flow) -> None:
    """Location: its name large, its code as a barcode."""
    if not flow.stock.small and flow.label.training:
        flow.banner(flow.say(TRAINING_BANNER), "l")
    flow.text(data.get("name"), "xl", lines=2)
    flow.barcode(data.get("code"))


def quarantine_label(data: dict, flow: Flow) -> None:
    """Quarantine: a QUARANTINE heading that cannot be missed, item, the reason (always
    whole: wrapped, and smaller type when it is long), date, who, batch, tag."""
    small, stock = flow.stock.small, flow.stock
    flow.banner(flow.say(_("QUARANTINE")))
    reason = _clean(data.get("reason"))
    reason = reason and flow.say(_("Reason: {reason}", reason=known(reason, flow.language)))
    when = _join(day(data.get("date"), flow.language),
                 data.get("who") and flow.say(_("by {name}", name=_clean(data["who"]))),
                 _clean(data.get("batch")) and flow.say(_("batch {batch}",
                                                          batch=_clean(data["batch"]))))
    when_size = "s" if small else "m"
    when_lines = len(wrap(when, flow.right - flow.left, stock.sizes[when_size], 2)) \
        if when else 0
    below = flow.rows_height(stock.sizes[when_size], when_lines)
    if _clean(data.get("tag")):
        below += flow.barcode_height()
    elif flow.label.training:
        below += stock.sizes["m"] * 1.4 + stock.gap
    item = _clean(data.get("item"))
    # The reason is never cut: the item row gets smaller, then goes (the tag names the
    # package), before the reason would be too small to read or cut.
    best = None
    for size, lines in (("m" if small else "l", 1 if small else 2), ("s", 1), (None, 0)):
        item_h = stock.sizes[size] if size and item else 0.0
        item_lines = wrap(item, flow._width(flow.y), item_h, lines) if item_h else []
        room = stock.height - flow.y - below - flow.rows_height(item_h, len(item_lines))
        fitted = flow.fit(reason, room) if reason else (READABLE_TEXT, [])
        if fitted is not None and (best is None or fitted[0] > best[2][0]):
            best = (item_h, item_lines, fitted)
        if fitted is not None and fitted[0] >= READABLE_TEXT:
            break
    if best is None:
        raise LayoutError(w.filled(w.REASON_TOO_LONG, stock=stock.name, length=str(len(reason))))
    item_h, item_lines, (reason_h, reason_lines) = best
    flow._rows(item_lines, item_h)
    flow._rows(reason_lines, reason_h)
    flow.text(when, when_size, lines=2)
    flow.barcode(data.get("tag"))


def pick_label(data: dict, flow: Flow) -> None:
    """Pick/bag: order, customer, item, quantity, where it came from, tag barcode."""
    small = flow.stock.small
    if not small and flow.label.training:
        flow.banner(flow.say(TRAINING_BANNER), "l")
    order = data.get("order")
    flow.text(_join(order not in (None, "") and flow.say(_("Order {number}",
                                                            number=_clean(order))),
                    data.get("customer")), "l", lines=1 if small else 2)
    flow.text(data.get("item"), "m", lines=1 if small else 3)
    flow.text(_join(_quantity(data, flow),
                    data.get("location") and flow.say(_("from {place}",
                                                        place=_clean(data["location"])))),
              "m")
    flow.barcode(data.get("tag"))


def visitor_badge(data: dict, flow: Flow) -> None:
    """Visitor badge: VISITOR that cannot be missed, the name, company, the day and until
    when it is good, the escort, and the badge code (Code 128) that signs the visitor out."""
    small = flow.stock.small
    flow.banner(flow.say(_("VISITOR")), "l" if small else "xl")
    flow.text(data.get("name"), "m" if small else "l", lines=1 if small else 2)
    flow.text(data.get("company"), "s" if small else "m", lines=1 if small else 2)
    date, valid = day(data.get("date")), _clean(data.get("valid_until"))
    until = valid[11:] if date and valid[:10] == date else valid  # the time, on the same day
    if date and flow.language != DEFAULT and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        # The day as the language of whoever printed the badge writes it ("23 nov"): a
        # badge is good for one day, and its year would push the escort off a 2x1 label.
        date = format_date(dt.date.fromisoformat(date), "d MMM", locale=flow.language)
    when = _join(date, until and flow.say(_("valid until {time}", time=until)),
                 sep=" " if small else "  |  ")
    escort = _clean(data.get("escort"))
    escort = escort and flow.say(_("Escort: {name}", name=escort))
    if small:  # one row for both: a 1" label has room for four rows and the barcode
        flow.text(_join(when, escort), "s")
    else:
        flow.text(when, "m", lines=2)
        flow.text(escort, "m", lines=2)
    flow.barcode(data.get("code"))


LAYOUTS: dict[str, Callable[[dict, Flow], None]] = {
    "package_label": package_label,
    "location_label": location_label,
    "quarantine_label": quarantine_label,
    "pick_label": pick_label,
    "visitor_badge": visitor_badge,
}


def build(layout: str, data: dict | None, stock: str = "2x1", training: bool = False,
          language: str = DEFAULT) -> Label:
    """Lay out ``layout`` with ``data`` on ``stock``, its words in ``language``; raises
    LayoutError for an unknown name."""
    if layout not in LAYOUTS:
        raise LayoutError(w.filled(w.NO_LABEL_LAYOUT, layout=repr(layout)))
    if stock not in STOCKS:
        raise LayoutError(w.filled(w.BAD_STOCK, stock=repr(stock)))
    flow = Flow(layout, STOCKS[stock], training, language)
    LAYOUTS[layout](data or {}, flow)
    return flow.finish()


def package_label_data(package) -> dict:
    """The ``package_label`` data for a Package record (used for reprints from its page)."""
    item = package.item
    return {
        "tag": package.tag,
        "item": item.name if item else "",
        "brand": item.brand if item else "",
        "batch": package.batch,
        "received": day(package.received_at),
        "expires": day(package.expires_on),
        "thc": None if package.thc_pct is None else str(package.thc_pct),
        "cbd": None if package.cbd_pct is None else str(package.cbd_pct),
        "unit": package.unit,
        "quantity": None if package.quantity is None else f"{package.quantity.normalize():f}",
    }

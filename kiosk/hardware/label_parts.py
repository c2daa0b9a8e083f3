"""What a label is made of: stock sizes, placed text, boxes and barcodes (in millimetres),
and how wide printed text is. ``labels.py`` arranges these into layouts; ``zpl.py`` and
``preview.py`` draw them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kiosk import printer_words as w
from kiosk.hardware.code128 import Symbol

MM_PER_INCH = 25.4


class LayoutError(ValueError):
    """The layout name is unknown or the data cannot be laid out; the message says which."""


@dataclass(frozen=True)
class Stock:
    """Label stock: size and the type sizes and spacing that suit it (all in mm)."""

    name: str
    width: float
    height: float
    margin: float
    gap: float
    sizes: dict
    bar_height: float
    matrix: float  # the DataMatrix box (a square)

    @property
    def small(self) -> bool:
        return self.height < 50


STOCKS = {
    "2x1": Stock("2x1", 2 * MM_PER_INCH, 1 * MM_PER_INCH, margin=1.2, gap=0.45,
                 sizes={"xl": 3.9, "l": 3.0, "m": 2.3, "s": 2.1}, bar_height=6.8, matrix=9.6),
    "4x6": Stock("4x6", 4 * MM_PER_INCH, 6 * MM_PER_INCH, margin=4.0, gap=2.2,
                 sizes={"xl": 14.0, "l": 9.5, "m": 7.0, "s": 5.0}, bar_height=30.0, matrix=30.0),
}


@dataclass(frozen=True)
class Text:
    """One line of text; ``size`` is the font height. ``reverse`` = white on a black box."""

    x: float
    y: float
    w: float
    size: float
    text: str
    reverse: bool = False


@dataclass(frozen=True)
class Box:
    """A black box: filled, or a frame of ``line`` thickness."""

    x: float
    y: float
    w: float
    h: float
    line: float = 0.0  # 0 = filled


@dataclass(frozen=True)
class Bars:
    """A Code 128 barcode fitted into ``w`` mm (quiet zones included)."""

    x: float
    y: float
    w: float
    h: float
    symbol: Symbol

    def fit(self, dpmm: float) -> tuple[int, int]:
        """(module width in dots, left edge of the bars in dots) at ``dpmm`` dots per mm.

        The module is a whole number of dots (printers cannot print half dots) and the
        largest that fits; the symbol is centred in its box.
        """
        room = int(self.w * dpmm)
        module = max(1, room // self.symbol.width_modules)
        bars = len(self.symbol.modules) * module
        return module, int(round(self.x * dpmm)) + (room - bars) // 2


@dataclass(frozen=True)
class Matrix:
    """A square ECC 200 DataMatrix inside a ``size`` mm box."""

    x: float
    y: float
    size: float
    data: str

    def grid(self) -> int:
        """Modules per side of the smallest square symbol that holds the data.

        Counts ASCII encodation (a digit pair is one codeword); printers may pick a more
        compact encodation, which only makes the symbol smaller than this.
        """
        codewords, i = 0, 0
        while i < len(self.data):
            pair = self.data[i:i + 2]
            i += 2 if len(pair) == 2 and pair.isdigit() else 1
            codewords += 1
        for side, capacity in _DATAMATRIX_SQUARES:
            if codewords <= capacity:
                return side
        raise LayoutError(w.MATRIX_TOO_FULL)

    def module(self, dpmm: float) -> int:
        """Module size in whole dots so the symbol fits the box."""
        return max(1, int(self.size * dpmm) // self.grid())


# ECC 200 square symbol sizes and their data capacity in codewords (ISO/IEC 16022 table).
_DATAMATRIX_SQUARES = ((10, 3), (12, 5), (14, 8), (16, 12), (18, 18), (20, 22), (22, 30),
                       (24, 36), (26, 44), (32, 62), (36, 86), (40, 114), (44, 144))
MATRIX_SAFE = re.compile(r"^[0-9A-Za-z .\-/+:]+$")


@dataclass
class Label:
    """A laid-out label: its stock and the placed items."""

    layout: str
    stock: Stock
    training: bool
    items: list = field(default_factory=list)


# Approximate advance widths of the printer's scalable font 0, as a fraction of its height,
# measured on rendered labels; wide letters are over-estimated so text never runs off.
_NARROW = set("iljtfrI1.,:;'!|() ")
_WIDE = set("MWmw@%")


def _advance(ch: str) -> float:
    if ch in _NARROW:
        return 0.32
    if ch in _WIDE:
        return 0.86
    if ch.isupper() or ch.isdigit():
        return 0.56
    return 0.52


_ADVANCE: dict[str, float] = {}


def text_width(text: str, size: float) -> float:
    """Estimated printed width of ``text`` at font height ``size`` (mm)."""
    table = _ADVANCE
    total = 0.0
    for ch in text:
        width = table.get(ch)
        if width is None:  # each character is worked out once, then looked up
            width = table[ch] = _advance(ch)
        total += width
    return total * size


def wrap(text: str, width: float, size: float, lines: int) -> list[str]:
    """Word-wrap ``text`` into at most ``lines`` lines; the last one ends in "..." if cut."""
    words = " ".join(str(text).split()).split(" ")
    space = text_width(" ", size)
    out: list[str] = []
    current, current_w = "", 0.0
    for word in words:
        word_w = text_width(word, size)
        if not current and word_w <= width:
            current, current_w = word, word_w
            continue
        if current and current_w + space + word_w <= width:
            current, current_w = f"{current} {word}", current_w + space + word_w
            continue
        if current:
            out.append(current)
        current, current_w = word, word_w
        while current_w > width:  # a word longer than the line: split it
            cut = len(current)
            while cut > 1 and text_width(current[:cut], size) > width:
                cut -= 1
            out.append(current[:cut])
            current = current[cut:]
            current_w = text_width(current, size)
        if len(out) > lines:
            break  # the rest will be cut anyway
    if current:
        out.append(current)
    if len(out) > lines:
        last = out[lines - 1]
        while last and text_width(last + "...", size) > width:
            last = last[:-1]
        out = out[:lines - 1] + [last.rstrip() + "..."]
    return out

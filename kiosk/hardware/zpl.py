"""ZPL II for a laid-out label, at 203 or 300 dpi.

Facts this relies on (ZPL II Programming Guide): ``^CI28`` makes field data UTF-8; ``^FH_``
lets ``_5E``/``_7E`` stand for ``^``/``~`` so user text can never inject a command; ``^BC``
mode A picks code sets by the same rule as ``code128.plan``; ``^BX`` needs quality 200 for ECC 200
(the default 0 is the obsolete ECC 000); ``^FR`` prints a field reversed over a black box.
Nothing here saves settings on the printer (no ``^JUS``).
"""

from __future__ import annotations

from kiosk import printer_words as w
from kiosk.hardware.label_parts import Bars, Box, Label, Matrix, Text
from kiosk.hardware.labels import build

DPI = (203, 300)


def dots_per_mm(dpi: int) -> float:
    """Printer dots per millimetre: 8 at 203 dpi, 12 at 300 dpi (as the printers define it)."""
    if dpi not in DPI:
        raise ValueError(w.filled(w.BAD_DPI, dpi=str(dpi)))
    return 8.0 if dpi == 203 else 12.0


def escape(text: str) -> str:
    """Field data safe inside ``^FH_^FD…^FS``: the three special characters as hex."""
    return text.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")


def to_zpl(label: Label, dpi: int = 203, copies: int = 1) -> str:
    """The ZPL for one label format, printed ``copies`` times."""
    d = dots_per_mm(dpi)
    out = ["^XA", "^CI28", f"^PW{round(label.stock.width * d)}",
           f"^LL{round(label.stock.height * d)}", "^LH0,0", f"^PQ{max(1, int(copies))},0,1,Y"]
    for item in label.items:
        x, y = round(item.x * d), round(item.y * d)
        if isinstance(item, Box):
            w, h = round(item.w * d), round(item.h * d)
            thickness = min(w, h) if item.line == 0 else max(1, round(item.line * d))
            out.append(f"^FO{x},{y}^GB{w},{h},{thickness},B,0^FS")
        elif isinstance(item, Text):
            h = max(10, round(item.size * d))
            reverse = "^FR" if item.reverse else ""
            out.append(f"^FO{x},{y}^A0N,{h},{h}{reverse}^FH_^FD{escape(item.text)}^FS")
        elif isinstance(item, Bars):
            module, left = item.fit(d)
            out.append(f"^BY{module},3,{round(item.h * d)}")
            # Interpretation line off: the layout prints the text itself, where it wants it.
            out.append(f"^FO{left},{y}^BCN,{round(item.h * d)},N,N,N,A"
                       f"^FH_^FD{escape(item.symbol.zpl_data())}^FS")
        elif isinstance(item, Matrix):
            # Escape character "`": our DataMatrix data never contains it (see MATRIX_SAFE).
            out.append(f"^FO{x},{y}^BXN,{item.module(d)},200,0,0,6,`^FD{item.data}^FS")
    out.append("^XZ")
    return "\n".join(out) + "\n"


def label_zpl(layout: str, data: dict, settings: dict, training: bool = False,
              copies: int = 1, language: str = "en") -> str:
    """ZPL for a label job with the stock and density from settings. A job whose data is
    ``{"labels": [...]}`` is several labels of the layout, one after the other (a recall's
    quarantine labels: one job, so they come out together and in order)."""
    if isinstance(data.get("labels"), list):
        return "".join(label_zpl(layout, each if isinstance(each, dict) else {}, settings,
                                 training, copies, language) for each in data["labels"])
    training = training or bool(settings.get("training"))
    label = build(layout, data, str(settings.get("label_stock", "2x1")), training, language)
    return to_zpl(label, int(settings.get("label_dpi", 203)), copies)

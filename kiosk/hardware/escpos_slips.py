"""ESC/POS bytes for a slip, made with python-escpos into memory (its ``Dummy`` printer).

The bytes are made once, the same for every transport, and the transport only delivers
them. Barcodes use the printer's own Code 128 command (``GS k``): python-escpos' software
barcodes come out unreadable at 203 dpi. Text is sent in code page CP858 (Latin letters
with accents and the euro sign), forced so the bytes do not depend on guesswork.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import threading

# python-escpos 3.1 writes its capabilities cache to a new temporary directory on every
# import unless told where to keep it; one stable directory avoids littering /tmp.
os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR",
                      os.path.join(tempfile.gettempdir(), "kiosk-escpos-capabilities"))
os.makedirs(os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"], exist_ok=True)

from escpos.constants import RT_STATUS_PAPER  # noqa: E402,F401  (for transports)
from escpos.exceptions import DeviceNotFoundError  # noqa: E402,F401  (for transports)
from escpos.printer import Dummy  # noqa: E402  (must follow the environment setting)

from kiosk.hardware.slips import (  # noqa: E402
    MODULE_DOTS,
    Code,
    Feed,
    Line,
    Pair,
    Rule,
    build,
    code_symbol,
    pair_text,
)

PROFILE = "TM-T20II"  # a common 80 mm, 203 dpi printer; hardware Code 128 supported
CODE_PAGE = "CP858"
BARCODE_HEIGHT = 80  # dots: 10 mm at 203 dpi
_quiet = threading.Lock()


def to_escpos(lines: list, copies: int = 1, columns: int = 42) -> bytes:
    """ESC/POS for slip ``lines``, cut after each copy."""
    printer = Dummy(profile=PROFILE)
    # Reset first: ESC @ also resets the code page, so the code page must come after it.
    printer.hw("INIT")
    printer.charcode(CODE_PAGE)
    for _ in range(max(1, int(copies))):
        for line in lines:
            _emit(printer, line, columns)
        printer.cut()
    return printer.output


def _emit(printer: Dummy, line, columns: int) -> None:
    if isinstance(line, Line):
        printer.set(align=line.align, bold=line.bold, double_width=line.big,
                    double_height=line.big, normal_textsize=not line.big)
        printer.textln(line.text)
        printer.set(align="left", bold=False, normal_textsize=True)
    elif isinstance(line, Pair):
        printer.set(align="left", bold=line.bold)
        printer.textln(pair_text(line, columns))
        printer.set(bold=False)
    elif isinstance(line, Rule):
        printer.textln(line.char * columns)
    elif isinstance(line, Feed):
        printer.ln(line.lines)
    elif isinstance(line, Code):
        symbol = code_symbol(line)
        if symbol is None:
            printer.set(align="center")
            printer.textln(line.data)
            printer.set(align="left")
            return
        # python-escpos announces its renderer choice with print(); keep stdout clean.
        with _quiet, contextlib.redirect_stdout(io.StringIO()):
            printer.barcode(symbol.escpos_data().decode("latin-1"), "CODE128",
                            height=BARCODE_HEIGHT, width=MODULE_DOTS, pos="BELOW",
                            function_type="B")
        printer.set(align="left")


def printer_classes():
    """python-escpos' connection classes (Network, Usb, Serial, File), set up as above."""
    from escpos import printer

    return printer


def slip_bytes(layout: str, data: dict, settings: dict, training: bool = False,
               copies: int = 1, language: str = "en") -> bytes:
    """ESC/POS bytes for a slip job, its words in ``language``."""
    return to_escpos(build(layout, data, settings, training, language), copies)

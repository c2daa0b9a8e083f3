"""Code 128 symbols: which code sets to use for a string, and the bars that result.

We choose the code sets ourselves (instead of letting the printer do it) so that the label
preview, the width calculation and the printed symbol are the very same barcode. The plan
gives the bars for the preview and the width used to fit the label, and is written as
ESC/POS ``GS k`` data (``{B``/``{C`` code-set marks, set C as one byte per digit pair).
"""

from __future__ import annotations

from dataclasses import dataclass

# The bar/space patterns for the 107 Code 128 values are a published table; python-barcode
# (a python-escpos dependency) already ships it, so we read it rather than retype it.
from barcode.charsets.code128 import CODES, STOP

from kiosk import printer_words as w

START_B, START_C, TO_C, TO_B = 104, 105, 99, 100
QUIET_MODULES = 10  # quiet zone each side, in modules (ISO/IEC 15417 asks for 10)


class BarcodeDataError(ValueError):
    """The text cannot go into a Code 128 symbol (only printable ASCII can)."""


@dataclass(frozen=True)
class Symbol:
    """A planned Code 128 symbol: the text, its segments and its bar pattern."""

    text: str
    segments: tuple[tuple[str, str], ...]  # ("B", "1A4FF") or ("C", "0100000022")
    modules: str  # "1" bar, "0" space, without quiet zones

    @property
    def width_modules(self) -> int:
        """Modules including both quiet zones."""
        return len(self.modules) + 2 * QUIET_MODULES

    def zpl_data(self) -> str:
        """Field data for ``^BC`` in mode A (the printer picks the same code sets we do).

        Mode A applies the same digit-run rule as ``plan``, so the printed symbol has the
        width we fitted. (Explicit ``>5`` switches in mode N are not drawn the same way by
        every ZPL engine, so we do not rely on them.)
        """
        # A literal ">" starts an invocation code in ZPL; "><" is the escaped form.
        return self.text.replace(">", "><")

    def escpos_data(self) -> bytes:
        """Data for ESC/POS ``GS k`` Code 128 (function B): ``{B``/``{C`` marks, C as bytes."""
        out = bytearray()
        for code_set, chunk in self.segments:
            out += b"{" + code_set.encode()
            if code_set == "C":
                out += bytes(int(chunk[i:i + 2]) for i in range(0, len(chunk), 2))
            else:
                out += chunk.replace("{", "{{").encode("ascii")
        return bytes(out)


def _digit_run(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end].isdigit():
        end += 1
    return end - start


def plan(text: str) -> Symbol:
    """Choose code sets for ``text``: set C for long digit runs, set B for everything else.

    Set C packs two digits per symbol character, so a run of 4+ digits at either end or 6+
    in the middle is shorter in C (the usual rule, also what printers' auto modes do).
    """
    if not text:
        raise BarcodeDataError(w.EMPTY_BARCODE)
    bad = [c for c in text if not 32 <= ord(c) <= 126]
    if bad:
        raise BarcodeDataError(w.filled(w.BARCODE_CHARACTER, character=repr(bad[0])))
    segments: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        run = _digit_run(text, i)
        at_edge = i == 0 or i + run == len(text)
        if run >= (4 if at_edge else 6):
            if run % 2:  # an odd digit goes in set B first, so set C gets whole pairs
                if i == 0 and not segments:
                    # At the very start, keep the odd digit at the end of the run instead.
                    segments.append(("C", text[i:i + run - 1]))
                    i += run - 1
                    continue
                _append(segments, "B", text[i])
                i += 1
                run -= 1
            _append(segments, "C", text[i:i + run])
            i += run
        else:
            _append(segments, "B", text[i])
            i += 1
    values = _values(segments)
    check = (values[0] + sum(n * v for n, v in enumerate(values[1:], 1))) % 103
    # The stop pattern is 13 modules: the table holds the first 11, then a 2-module bar.
    modules = "".join(CODES[v] for v in values) + CODES[check] + STOP + "11"
    return Symbol(text, tuple(segments), modules)


def _append(segments: list[tuple[str, str]], code_set: str, chunk: str) -> None:
    if segments and segments[-1][0] == code_set:
        segments[-1] = (code_set, segments[-1][1] + chunk)
    else:
        segments.append((code_set, chunk))


def _values(segments) -> list[int]:
    values: list[int] = []
    for index, (code_set, chunk) in enumerate(segments):
        if index == 0:
            values.append(START_C if code_set == "C" else START_B)
        else:
            values.append(TO_C if code_set == "C" else TO_B)
        if code_set == "C":
            values += [int(chunk[j:j + 2]) for j in range(0, len(chunk), 2)]
        else:
            values += [ord(c) - 32 for c in chunk]
    return values

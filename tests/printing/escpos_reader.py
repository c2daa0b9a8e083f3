"""Read ESC/POS bytes back: the printed text (per code page) and the barcodes' contents.

Covers the commands python-escpos emits for our slips (Epson ESC/POS command reference):
ESC @ init, ESC t n code page, ESC ! n, ESC E n bold, ESC - n, ESC a n align, ESC d n feed,
GS ! n size, GS h/w/f/H barcode settings, GS k m n d… barcode (function B), GS V cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CODE_PAGES = {0: "cp437", 2: "cp850", 16: "cp1252", 19: "cp858"}


@dataclass
class Printout:
    lines: list[str] = field(default_factory=list)
    bold_lines: list[str] = field(default_factory=list)
    barcodes: list[tuple[int, str]] = field(default_factory=list)  # (type m, decoded data)
    cuts: int = 0
    code_pages: list[int] = field(default_factory=list)


def _code128(data: bytes) -> str:
    """Epson Code 128 data: {A/{B/{C select code sets; in C each byte is two digits."""
    out, code_set, i = [], "B", 0
    while i < len(data):
        if data[i] == ord("{") and i + 1 < len(data):
            mark = chr(data[i + 1])
            if mark in "ABC":
                code_set = mark
                i += 2
                continue
            if mark == "{":
                out.append("{")
                i += 2
                continue
            raise ValueError(f"unknown Code 128 mark {{{mark}")
        out.append(f"{data[i]:02d}" if code_set == "C" else chr(data[i]))
        i += 1
    return "".join(out)


def read(raw: bytes) -> Printout:
    """Interpret ``raw``; raises ValueError on a command it does not know."""
    result = Printout()
    page, bold, current = 0, False, bytearray()

    def end_line():
        text = bytes(current).decode(CODE_PAGES.get(page, "cp437"))
        result.lines.append(text)
        if bold:
            result.bold_lines.append(text)
        current.clear()

    i = 0
    while i < len(raw):
        b = raw[i]
        if b == 0x0A:
            end_line()
            i += 1
        elif b == 0x1B:
            cmd = raw[i + 1]
            if cmd == ord("@"):
                page, bold = 0, False
                i += 2
            elif cmd == ord("t"):
                page = raw[i + 2]
                result.code_pages.append(page)
                i += 3
            elif cmd == ord("E"):
                bold = bool(raw[i + 2])
                i += 3
            elif cmd in (ord("!"), ord("-"), ord("a"), ord("M"), ord("d")):
                i += 3
            else:
                raise ValueError(f"unknown ESC {chr(cmd)!r} at {i}")
        elif b == 0x1D:
            cmd = raw[i + 1]
            if cmd in (ord("!"), ord("h"), ord("w"), ord("f"), ord("H"), ord("B")):
                i += 3
            elif cmd == ord("V"):
                result.cuts += 1
                i += 4 if raw[i + 2] in (65, 66) else 3
            elif cmd == ord("k"):
                kind = raw[i + 2]
                if kind < 65:
                    raise ValueError("function A barcodes are not used by the kiosk")
                length = raw[i + 3]
                data = raw[i + 4:i + 4 + length]
                result.barcodes.append((kind, _code128(data) if kind == 73 else
                                        data.decode("ascii")))
                i += 4 + length
            else:
                raise ValueError(f"unknown GS {chr(cmd)!r} at {i}")
        elif b < 0x20:
            raise ValueError(f"unexpected control byte {b:#x} at {i}")
        else:
            current.append(b)
            i += 1
    if current:
        end_line()
    return result

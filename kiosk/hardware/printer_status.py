"""What a printer says about itself, turned into one sentence a person can act on.

ZPL printers answer ``~HS`` with three ``STX … ETX`` strings (ZPL II Programming Guide,
"~HS Host Status Return"): string 1 field 2 is paper out, field 3 pause, field 6 buffer
full, fields 11 and 12 under/over temperature; string 2 field 3 is head open and field 4
ribbon out. ESC/POS printers answer ``DLE EOT 4`` with one byte whose bits 5 and 6 mean
the paper has run out.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk import printer_words as w

STX, ETX = b"\x02", b"\x03"


class PrinterError(Exception):
    """A printer problem as one plain sentence: what is wrong and what to do (a ``Phrase``:
    its English is what a job's ``last_error`` keeps, and a screen says it again in its
    reader's language through ``kiosk.kept_words``)."""

    sent = 0  # of several jobs sent together, how many the printer took before this


@dataclass(frozen=True)
class ZebraStatus:
    """The flags of a ``~HS`` answer that stop printing."""

    paper_out: bool = False
    paused: bool = False
    buffer_full: bool = False
    under_temperature: bool = False
    over_temperature: bool = False
    head_open: bool = False
    ribbon_out: bool = False

    def problem(self, who: str = w.WHO["label"]) -> str:
        """The most important problem as a sentence, or '' when the printer is ready.

        Order matters: an open head or empty media also pause the printer, and the person
        must fix the cause, not just press the pause button.
        """
        if self.head_open:
            return w.filled(w.HEAD_OPEN, who=who)
        if self.paper_out:
            return w.filled(w.OUT_OF_LABELS, who=who)
        if self.ribbon_out:
            return w.filled(w.OUT_OF_RIBBON, who=who)
        if self.over_temperature:
            return w.filled(w.TOO_HOT, who=who)
        if self.under_temperature:
            return w.filled(w.TOO_COLD, who=who)
        if self.buffer_full:
            return w.filled(w.MEMORY_FULL, who=who)
        if self.paused:
            return w.filled(w.PAUSED, who=who)
        return ""


def parse_zebra(raw: bytes) -> ZebraStatus:
    """Parse a ``~HS`` answer; raises ValueError if it is not one."""
    strings = []
    for part in raw.split(ETX):
        if STX in part:
            strings.append(part.split(STX, 1)[1].decode("ascii", "replace").split(","))
    if len(strings) < 2 or len(strings[0]) < 12 or len(strings[1]) < 4:
        raise ValueError("not a ~HS answer")
    first, second = strings[0], strings[1]

    def flag(fields, index):
        return fields[index].strip() == "1"

    return ZebraStatus(paper_out=flag(first, 1), paused=flag(first, 2),
                       buffer_full=flag(first, 5), under_temperature=flag(first, 10),
                       over_temperature=flag(first, 11), head_open=flag(second, 2),
                       ribbon_out=flag(second, 3))


def complete_zebra(raw: bytes) -> bool:
    """True once a ``~HS`` answer has all three strings."""
    return raw.count(ETX) >= 3


def escpos_paper_problem(status: bytes, who: str = w.WHO["receipt"]) -> str:
    """The sentence for a ``DLE EOT 4`` answer, or '' when there is paper (or no answer)."""
    if not status:
        return ""
    if status[0] & 0x60:
        return w.filled(w.OUT_OF_ROLL, who=who)
    return ""

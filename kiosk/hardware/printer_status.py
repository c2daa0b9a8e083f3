"""What a printer says about itself, turned into one sentence a person can act on.

ZPL printers answer ``~HS`` with three ``STX … ETX`` strings (ZPL II Programming Guide,
"~HS Host Status Return"): string 1 field 2 is paper out, field 3 pause, field 6 buffer
full, fields 11 and 12 under/over temperature; string 2 field 3 is head open and field 4
ribbon out. ESC/POS printers answer ``DLE EOT 4`` with one byte whose bits 5 and 6 mean
the paper has run out.
"""

from __future__ import annotations

from dataclasses import dataclass

STX, ETX = b"\x02", b"\x03"


class PrinterError(Exception):
    """A printer problem as one plain sentence: what is wrong and what to do."""

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

    def problem(self, who: str = "The label printer") -> str:
        """The most important problem as a sentence, or '' when the printer is ready.

        Order matters: an open head or empty media also pause the printer, and the person
        must fix the cause, not just press the pause button.
        """
        if self.head_open:
            return f"{who}'s print head is open. Close the print head and press Retry."
        if self.paper_out:
            return f"{who} is out of paper. Load labels and press Retry."
        if self.ribbon_out:
            return f"{who} is out of ribbon. Load a new ribbon and press Retry."
        if self.over_temperature:
            return f"{who}'s print head is too hot. Let it cool for a few minutes, then " \
                   "press Retry."
        if self.under_temperature:
            return f"{who} is too cold to print. Move it somewhere warmer and press Retry."
        if self.buffer_full:
            return f"{who}'s memory is full. Wait a minute and press Retry."
        if self.paused:
            return f"{who} is paused. Press the pause button on the printer, then press Retry."
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


def escpos_paper_problem(status: bytes, who: str = "The receipt printer") -> str:
    """The sentence for a ``DLE EOT 4`` answer, or '' when there is paper (or no answer)."""
    if not status:
        return ""
    if status[0] & 0x60:
        return f"{who} is out of paper. Load a new paper roll and press Retry."
    return ""

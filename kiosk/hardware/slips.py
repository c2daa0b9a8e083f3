"""Slip layouts: receipts printed on the 80 mm receipt printer, as a list of lines.

A slip is plain data (``Line``, ``Pair``, ``Rule``, ``Code``, ``Feed``); ``escpos_slips.py``
turns it into ESC/POS bytes and ``preview.py`` into HTML, so both come from one definition.
Every field is optional. Training slips say so at the top and the bottom.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from babel.dates import format_time

from kiosk import printer_words as w
from kiosk.hardware.code128 import QUIET_MODULES, BarcodeDataError, Symbol, plan
from kiosk.hardware.labels import day
from kiosk.words import DEFAULT, UNIT_WORDS, Known, Number, Phrase, _, say

COLUMNS = 42  # font A on 80 mm printers is 42 to 48 columns; 42 fits them all
PRINT_WIDTH_DOTS = 576  # 72 mm printable at 203 dpi
MODULE_DOTS = 2  # GS k's narrowest bar: 0.25 mm
TRAINING_LINE = _("*** TRAINING - NOT A RECORD ***")


@dataclass(frozen=True)
class Line:
    """A line of text; ``big`` is double width and height (so half the columns)."""

    text: str
    align: str = "left"  # left | center | right
    bold: bool = False
    big: bool = False


@dataclass(frozen=True)
class Pair:
    """A label on the left and a value on the right of one line."""

    left: str
    right: str
    bold: bool = False


@dataclass(frozen=True)
class Rule:
    """A dashed line across the slip."""

    char: str = "-"


@dataclass(frozen=True)
class Code:
    """A Code 128 barcode drawn by the printer itself (its text printed below)."""

    data: str


@dataclass(frozen=True)
class Feed:
    """Blank lines."""

    lines: int = 1


def code_symbol(code: Code) -> Symbol | None:
    """The Code 128 symbol a slip prints for ``code``, or None when only its text can print:
    it is not plain ASCII, or it is wider than the 72 mm line (a printer silently drops a
    barcode that does not fit)."""
    try:
        symbol = plan(code.data)
    except BarcodeDataError:
        return None
    if (len(symbol.modules) + 2 * QUIET_MODULES) * MODULE_DOTS > PRINT_WIDTH_DOTS:
        return None
    return symbol


class SlipError(ValueError):
    """Unknown slip layout."""


def _s(value) -> str:
    if value is None:
        return ""
    return " ".join("".join(c for c in str(value) if c >= " ").split())


class When(str):
    """A slip's date or date-time: English's 'YYYY-MM-DD HH:MM', and the moment itself, which
    another language writes its own way ("5 dic 2026 14:30")."""

    def __new__(cls, text: str, at: dt.date | None):
        made = super().__new__(cls, text)
        made.at = at
        return made

    def said(self, language: str) -> str:
        if language == DEFAULT or self.at is None:
            return str(self)
        if isinstance(self.at, dt.datetime):
            return (f"{day(self.at.date(), language)} "
                    f"{format_time(self.at, 'HH:mm', locale=language)}")
        return day(self.at, language)


def when(value) -> str:
    """A date-time for a slip: 'YYYY-MM-DD HH:MM' from an ISO string or datetime (in the
    slip's language when it is printed: ``When``)."""
    text = value.isoformat() if hasattr(value, "isoformat") else _s(value)
    if len(text) >= 16 and text[10] in "T ":
        shown = f"{text[:10]} {text[11:16]}"
        try:
            at = dt.datetime.fromisoformat(f"{text[:10]}T{text[11:16]}")
        except ValueError:
            return shown
        return When(shown, at)
    shown = day(text)
    try:
        return When(shown, dt.date.fromisoformat(shown))
    except ValueError:
        return shown


def _header(title: str, settings: dict, training: bool) -> list:
    lines = []
    if training:
        lines += [Line(TRAINING_LINE, "center", bold=True), Feed()]
    lines += [Line(_s(settings.get("store_name")), "center", bold=True)]
    if settings.get("license"):
        lines.append(Line(_("Licence {licence}", licence=_s(settings.get("license"))), "center"))
    lines += [Feed(), Line(title, "center", bold=True, big=True), Rule()]
    return lines


def _footer(training: bool) -> list:
    lines = [Rule()]
    if training:
        lines += [Line(TRAINING_LINE, "center", bold=True)]
    return lines + [Feed(2)]


def _sign(label: str) -> list:
    return [Feed(2), Line("_" * 30), Line(label)]


# The receiving slip's words for a package's result and its totals (the data keeps keys).
RESULTS = {"accepted": _("ACCEPTED"), "rejected": _("REJECTED"), "shipped": _("SHIPPED")}
TOTALS = {"packages": _("Packages"), "accepted": _("Accepted"), "rejected": _("Rejected"),
          "cases": _("Cases")}


def _amount(value, unit: str):
    """'46 Each' with the number and unit in the slip's language."""
    text = _s(value)
    try:
        number = Number(Decimal(text), text)
    except ArithmeticError:
        number = text
    if not unit:
        return number
    return _("{number} {unit}", number=number, unit=UNIT_WORDS.get(unit, unit))


def receiving_slip(data: dict, settings: dict) -> list:
    """What was received on a manifest, package by package, with totals and signatures."""
    lines = [Pair(_("Manifest"), _s(data.get("manifest")), bold=True),
             Pair(_("From"), _s(data.get("shipper")))]
    if data.get("shipper_license"):
        lines.append(Pair(_("Licence"), _s(data["shipper_license"])))
    lines += [Pair(_("Received"), when(data.get("received_at"))),
              Pair(_("Receiver"), _s(data.get("receiver")))]
    if data.get("witness"):
        lines.append(Pair(_("Witness"), _s(data["witness"])))
    if data.get("manifest"):
        lines.append(Code(_s(data["manifest"])))
    lines.append(Rule())
    for package in data.get("packages") or []:
        package = package or {}
        unit = _s(package.get("unit"))
        lines.append(Line(_s(package.get("item")) or _("(no item name)"), bold=True))
        lines.append(Line(_s(package.get("tag"))))
        lines.append(Pair(_("Shipped"), _amount(package.get("shipped"), unit)))
        lines.append(Pair(_("Received"), _amount(package.get("received"), unit)))
        state = _s(package.get("state"))
        if state:
            lines.append(Pair(_("Result"), RESULTS.get(state, state.upper())))
        if package.get("reason"):
            lines.append(Line(_("Reason: {reason}", reason=Known(_s(package["reason"])))))
        if package.get("location"):
            lines.append(Pair(_("Put in"), _s(package["location"])))
        lines.append(Rule("."))
    totals = data.get("totals") or {}
    for key, value in totals.items():
        lines.append(Pair(TOTALS.get(key, _s(key).replace("_", " ").capitalize()), _s(value),
                          bold=True))
    return (lines + _sign(_("Receiver"))
            + (_sign(_("Witness")) if data.get("witness") else []))



def vault_access_slip(data: dict, settings: dict) -> list:
    """Who went into the vault, with whom, why, when and at which screen."""
    lines = [Pair(_("Entered"), when(data.get("entered_at")), bold=True),
             Pair(_("Purpose"), Known(_s(data.get("purpose")))),
             Pair(_("Station"), _s(data.get("station")))]
    if data.get("run") not in (None, ""):
        lines.append(Pair(_("Record"), _("run {number}", number=_s(data["run"]))))
    lines.append(Rule())
    for person in data.get("people") or []:
        lines.append(Line(_s(person), bold=True))
    visitors = data.get("visitors") or []
    if visitors:
        lines += [Rule("."), Line(_("Visitors ({count})", count=len(visitors)), bold=True)]
    for visitor in visitors:
        visitor = visitor if isinstance(visitor, dict) else {"name": visitor}
        lines.append(Line(_s(visitor.get("name")), bold=True))
        if visitor.get("company"):
            lines.append(Line(_s(visitor["company"])))
        if visitor.get("code"):
            lines.append(Pair(_("Badge"), _s(visitor["code"])))
        if visitor.get("escort"):
            lines.append(Pair(_("Escort"), _s(visitor["escort"])))
    if data.get("run") not in (None, ""):
        lines.append(Code(f"RUN-{_s(data['run'])}"))
    return lines


def count_sheet(data: dict, settings: dict) -> list:
    """A count: expected, counted and variance per package, with the counter's name."""
    lines = [Line(_s(data.get("title")), bold=True),
             Pair(_("Counted"), when(data.get("counted_at"))),
             Pair(_("Counter"), _s(data.get("counter"))), Rule()]
    variances = 0
    for row in data.get("lines") or []:
        row = row or {}
        lines.append(Line(_s(row.get("item")) or _("(no item name)"), bold=True))
        if row.get("tag"):
            lines.append(Line(_s(row["tag"])))
        lines.append(Pair(_("Expected {number}", number=_count_number(row.get("expected"))),
                          _("Counted {number}", number=_count_number(row.get("counted")))))
        variance = _s(row.get("variance"))
        if variance and variance.lstrip("+-").strip("0.") != "":
            variances += 1
            lines.append(Pair(_("VARIANCE"), _count_number(variance), bold=True))
        lines.append(Rule("."))
    lines.append(Pair(_("Lines with a variance"), str(variances), bold=True))
    return lines + _sign(_("Counter"))


def _count_number(value):
    """A count sheet's figure, written the slip's language's way."""
    text = _s(value)
    try:
        return Number(Decimal(text), text)
    except ArithmeticError:
        return text


def count_slip(data: dict, settings: dict) -> list:
    """A closed cycle count: the area, who counted, recounted and signed, when, how many
    packages were counted, and the variances left for investigation. No expected figures:
    the slip is printed at the counter's screen. Its words are in the slip's language: the
    title and each package's count as the count kept them to be said again."""
    from kiosk.words import restore

    title = restore(data["title_said"]) if data.get("title_said") else _s(data.get("title"))
    lines = [Line(title, bold=True)]
    if data.get("count") not in (None, ""):
        lines.append(Pair(_("Count"), _("no. {number}", number=_s(data["count"]))))
    lines += [Pair(_("Started"), when(data.get("started_at"))),
              Pair(_("Closed"), when(data.get("closed_at")))]
    for label, key in ((_("Counted by"), "counters"), (_("Recounted by"), "recounters"),
                       (_("Signed by"), "signers")):
        for number, name in enumerate(data.get(key) or []):
            lines.append(Pair(label if number == 0 else "", _s(name)))
    lines += [Rule(), Pair(_("Packages expected"), _s(data.get("expected"))),
              Pair(_("Packages counted"), _s(data.get("counted"))),
              Pair(_("Found, not expected"), _s(data.get("extra")))]
    variances = data.get("variances") or []
    lines += [Rule(), Pair(_("Variances to investigate"), str(len(variances)), bold=True)]
    for row in variances:
        row = row or {}
        counted = (restore(row["counted_said"]) if row.get("counted_said")
                   else Known(_s(row.get("counted"))))
        lines.append(Line(_s(row.get("item")) or _("(no item name)"), bold=True))
        lines.append(Line(_s(row.get("tag"))))
        lines.append(Pair(Known(_s(row.get("what"))), _("counted {amount}", amount=counted)))
        lines.append(Rule("."))
    if data.get("count") not in (None, ""):
        lines.append(Code(f"COUNT-{_s(data['count'])}"))
    return lines + _sign(_("Counter")) + _sign(_("Recounter or manager"))


def _said_pairs(rows, kept) -> list:
    """A summary's label/value rows, each said from the phrases kept beside them
    (``words.keep``) when there are, else from its English (a catalogue's message is still
    said in the slip's language)."""
    said = []
    for at, row in enumerate(rows or []):
        if not (isinstance(row, list | tuple) and len(row) >= 2):
            continue
        again = kept[at] if isinstance(kept, list) and at < len(kept) else None
        if isinstance(again, list | tuple) and len(again) >= 2:
            said.append((_kept(again[0]), _kept(again[1])))
        else:
            said.append((Known(_s(row[0])), Known(_s(row[1]))))
    return said


def _figure(text: str):
    """A figure as the data writes it ('1.7'), said the slip's way ('1,7')."""
    try:
        return _("{number}", number=Number(Decimal(text), text))
    except ArithmeticError:
        return text


def _kept(kept):
    """A kept phrase again, its words cleaned for the printer; plain text as it is."""
    from kiosk.words import restore

    made = restore(kept)
    return made if isinstance(made, Phrase) else _s(made)


def shift_summary(data: dict, settings: dict) -> list:
    """End of shift: a list of label/value lines for the station and date."""
    lines = [Pair(_("Date"), when(day(data.get("date"))) or _s(data.get("date")), bold=True),
             Pair(_("Station"), _s(data.get("station"))), Rule()]
    for row in data.get("lines") or []:
        if isinstance(row, list | tuple) and len(row) >= 2:
            lines.append(Pair(Known(_s(row[0])), Known(_s(row[1]))))
        elif row:
            lines.append(Line(Known(_s(row))))
    return lines + _sign(_("Signed"))


def day_summary(data: dict, settings: dict) -> list:
    """The end-of-day report in short: its headline figures, the fastest sellers, the oldest
    message still waiting, the day's reconciliations (who signed, how they were settled),
    and the kept PDF's SHA-256 (the whole report is that PDF). Its words are said from the
    phrases the data keeps beside its English (``data["said"]``), in the slip's language."""
    said = data.get("said") if isinstance(data.get("said"), dict) else {}
    lines = [Pair(_("Day"), when(day(data.get("date"))) or _s(data.get("date")), bold=True),
             Pair(_("Generated"), when(data.get("generated"))), Rule()]
    lines += [Pair(left, right) for left, right in _said_pairs(data.get("lines"),
                                                               said.get("lines"))]
    fastest = [r for r in data.get("fastest") or [] if isinstance(r, list | tuple) and len(r) >= 2]
    if fastest:
        lines += [Rule(), Line(_("Fastest sellers (units a day)"), bold=True)]
        lines += [Pair(_s(name), _figure(_s(rate))) for name, rate, *_rest in fastest]
    if data.get("oldest_waiting"):
        lines += [Rule(), Line(_("Oldest message waiting"), bold=True),
                  Line(_kept(said["oldest_waiting"]) if said.get("oldest_waiting")
                       else _s(data["oldest_waiting"]))]
    checks = _said_pairs(data.get("reconciliation"), said.get("reconciliation"))
    if checks:
        lines += [Rule(), Line(_("Reconciliation"), bold=True)]
        lines += [Line(_("{name}: {words}", name=name, words=words))
                  for name, words in checks]
    if data.get("sha256"):
        digest = _s(data["sha256"])
        lines += [Rule(), Line(_("Kept PDF, SHA-256:")), Line(digest[:32]), Line(digest[32:])]
    if data.get("chain_hash"):
        # Kept with the day's papers: `kiosk verify --anchor ENTRY:HASH` checks it later.
        digest = _s(data["chain_hash"])
        lines += [Rule(), Line(_("Audit chain at entry {entry}:",
                                 entry=_s(data.get("chain_seq")))),
                  Line(digest[:32]), Line(digest[32:])]
    return lines + _sign(_("Closing manager"))


def pick_ticket(data: dict, settings: dict) -> list:
    """An online order to pick: the order, when it came in, and each line with the shelf and
    tag ending of the package the kiosk would take."""
    not_in_vault = _("not in the vault")
    lines = [Pair(_("Order"), _s(data.get("order")), bold=True)]
    if data.get("customer"):
        lines.append(Pair(_("Customer"), _s(data["customer"])))
    lines.append(Pair(_("Received"), when(data.get("requested_at"))))
    if data.get("note"):
        lines.append(Line(_("Note: {note}", note=_s(data["note"]))))
    lines.append(Rule())
    for row in data.get("lines") or []:
        row = row or {}
        unit = _s(row.get("unit"))
        quantity = _s(row.get("quantity"))
        try:
            quantity = Number(Decimal(quantity), quantity)
        except ArithmeticError:
            pass
        item = _s(row.get("item"))
        lines.append(Line(_("{quantity} g {item}", quantity=quantity, item=item) if unit == "Grams"
                          else _("{quantity} x {item}", quantity=quantity, item=item), bold=True))
        tag = _s(row.get("tag"))
        where = _s(row.get("where"))
        # Older tickets kept the English words in their data; a shelf is the store's name.
        lines.append(Pair(where if where not in ("", not_in_vault) else not_in_vault,
                          _("tag ...{end}", end=tag[-6:]) if tag else ""))
        lines.append(Rule("."))
    if data.get("order"):
        lines.append(Code(_s(data["order"])))
    return lines


def destruction_log(data: dict, settings: dict) -> list:
    """One package destroyed: what, how much it weighed (and whether typed), how, why, what
    it was mixed with, and the two people who signed, with lines for their signatures."""
    weight = _amount(data.get("weight"), _s(data.get("weight_unit")))
    if data.get("keyed"):
        weight = _("{weight} (typed: {reason})", weight=weight,
                   reason=Known(_s(data.get("keyed_reason"))))
    lines = [Pair(_("Destroyed"), when(data.get("at")), bold=True),
             Line(_s(data.get("item")) or _("(no item name)"), bold=True),
             Line(_s(data.get("tag"))),
             Pair(_("Quantity"), _amount(data.get("quantity"), _s(data.get("unit")))),
             Pair(_("Weight"), weight),
             Line(_("Method: {method}", method=Known(_s(data.get("method")))))]
    if data.get("mixed_with"):
        lines.append(Line(_("Mixed with: {mixed}", mixed=_s(data["mixed_with"]))))
    lines += [Line(_("Metrc reason: {reason}", reason=_s(data.get("reason")))),
              Line(_("Note: {note}", note=_s(data.get("note"))))]
    if data.get("tag"):
        lines.append(Code(_s(data["tag"])))
    return (lines + _sign(_("Performed: {name}", name=_s(data.get("performed_by"))))
            + _sign(_("Witness: {name}", name=_s(data.get("witnessed_by")))))


def rtv_slip(data: dict, settings: dict) -> list:
    """A return to vendor for the driver: to whom, each package, the reason, and lines for
    our two signatures and the driver's."""
    lines = [Pair(_("Return"), _s(data.get("number")), bold=True),
             Pair(_("Date"), when(data.get("at"))),
             Pair(_("To"), _s(data.get("vendor"))), Pair(_("Licence"), _s(data.get("license"))),
             Line(_("Reason: {reason}", reason=_s(data.get("reason")))), Rule()]
    for package in data.get("packages") or []:
        package = package or {}
        lines.append(Line(_s(package.get("item")) or _("(no item name)"), bold=True))
        lines.append(Line(_s(package.get("tag"))))
        lines.append(Pair(_("Quantity"), _amount(package.get("quantity"),
                                                 _s(package.get("unit")))))
        if package.get("manifest"):
            lines.append(Pair(_("Came on manifest"), _s(package["manifest"])))
        lines.append(Rule("."))
    lines.append(Pair(_("Packages"), str(len(data.get("packages") or [])), bold=True))
    if data.get("number"):
        lines.append(Code(_s(data["number"])))
    return (lines + _sign(_("Released by: {name}", name=_s(data.get("released_by"))))
            + _sign(_("Witness: {name}", name=_s(data.get("witnessed_by"))))
            + _sign(_("Driver (name, signature)")))


SLIPS: dict[str, tuple[str, Callable[[dict, dict], list]]] = {
    "receiving_slip": (_("RECEIVING"), receiving_slip),
    "vault_access_slip": (_("VAULT ACCESS"), vault_access_slip),
    "count_sheet": (_("COUNT SHEET"), count_sheet),
    "count_slip": (_("CYCLE COUNT"), count_slip),
    "shift_summary": (_("END OF SHIFT"), shift_summary),
    "day_summary": (_("END OF DAY"), day_summary),
    "pick_ticket": (_("PICK TICKET"), pick_ticket),
    "destruction_log": (_("DESTRUCTION LOG"), destruction_log),
    "rtv_slip": (_("RETURN TO VENDOR"), rtv_slip),
}


def build(layout: str, data: dict | None, settings: dict, training: bool = False,
          language: str = DEFAULT) -> list:
    """The lines of slip ``layout``, its words in ``language``; raises SlipError for an
    unknown name."""
    if layout not in SLIPS:
        raise SlipError(w.filled(w.NO_SLIP_LAYOUT, layout=repr(layout)))
    title, body = SLIPS[layout]
    training = training or bool(settings.get("training"))
    lines = _header(title, settings, training) + body(data or {}, settings) + _footer(training)
    return lines if language == DEFAULT else [_said(line, language) for line in lines]


def _said(line, language: str):
    """One slip line with its phrases in ``language``."""
    if isinstance(line, Line) and isinstance(line.text, Phrase):
        return replace(line, text=say(line.text, language))
    if isinstance(line, Line) and isinstance(line.text, When):
        return replace(line, text=line.text.said(language))
    if isinstance(line, Pair) and isinstance(line.left, Phrase | str):
        right = line.right.said(language) if isinstance(line.right, When) else line.right
        return replace(line, left=say(line.left, language), right=say(right, language))
    return line


def pair_text(pair: Pair, columns: int = COLUMNS) -> str:
    """A Pair as one line: left text, spaces, right text (left is shortened if needed)."""
    right = pair.right[:columns]
    room = columns - len(right) - 1
    left = pair.left if len(pair.left) <= room else pair.left[:max(0, room - 1)] + "~"
    return left + " " * (columns - len(left) - len(right)) + right

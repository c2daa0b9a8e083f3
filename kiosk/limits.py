"""How much of anything the kiosk takes: request bodies, each field by what it holds, text,
quantities by their unit, dates and record numbers.

Forms, the engine's answers and the POS webhook check their input here, so an answer out of
bounds is refused in words before anything is stored, and nothing unbounded reaches the
database or the audit chain. Plain Python: the engine and the syncer use it as well as the
views.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from kiosk.words import Known, Number, Phrase, _, n_

# -- request bodies, in bytes ---------------------------------------------------------------
# A screen's answer is a few dozen bytes; its longest (a note of NOTE characters, each at most
# nine bytes once percent-encoded) stays under FORM_BODY. A POS sale or pick request of a few
# hundred lines stays under WEBHOOK_BODY; the POS's inventory of a whole store (20,000
# packages at about 100 bytes each) under INVENTORY_BODY. The web server itself refuses
# anything larger than the largest of them before the app is called, and headers larger
# than SERVER_HEADERS.
FORM_BODY = 16 * 1024
FORM_PARTS = 20  # fields of a multipart form; a screen sends at most seven
WEBHOOK_BODY = 256 * 1024
INVENTORY_BODY = 4 * 1024 * 1024
INVENTORY_LINES = 20_000
SERVER_BODY = INVENTORY_BODY
SERVER_HEADERS = 32 * 1024
SIGNATURE_HEADER = 200  # "t=<10 digits>,v1=<64 hex digits>" is 80 characters

# -- fields, in characters, by what they hold -----------------------------------------------
BADGE = 40  # a badge as scanned or typed: an AIM prefix, "EMP-", up to 10 digits
PIN = 16  # PINs are 4 to 8 digits (`kiosk users`); anything longer is not one
SCAN = 100  # the longest code read here: GS1 with GTIN, dates, lot and serial is about 70
TAG = 24  # a Metrc package tag
NAME = 80  # a person's or a company's name, a vehicle, a licence number
REASON = 200  # why: a rejection, a cancellation, a skipped print, a resolved message
NOTE = 500
SEARCH = 40  # a filter typed over a list
RECEIPT = 64  # a POS receipt or pick-request number
UNIT = 20  # a unit of measure's name
TIME = 40  # an ISO date and time with its offset
ANSWER = 200  # a step's "value": a scan, a typed count, a short text, a button's value
SESSION_TOKEN = 64  # secrets.token_urlsafe(32) is 43

# What a step's form may send, by field: the longest each may be and what to call it.
FIELDS = {"value": (ANSWER, _("The answer")), "reason": (REASON, _("The reason")),
          "badge": (BADGE, _("The badge")), "pin": (PIN, _("The PIN")),
          "source": (16, _("The answer's source")), "note": (NOTE, _("The note")),
          "scan_id": (64, _("The scan's id"))}
# What callers name a field they check with ``text`` (given in English, as a record would
# keep it): said in the reader's language through the catalogue (``Known``).
FIELD_WORDS = (_("That"), _("An answer"), _("The follow-up"), _("the receipt number"))

GS = "\x1d"  # GS1's field separator: the one control character a scan may carry
# Control characters, and the bidirectional overrides that make text read other than it is
# stored; surrogates are what undecodable bytes leave behind.
_HIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def has_hidden(value: str, allowed: str = "") -> bool:
    """True if ``value`` holds a control character (other than those in ``allowed``)."""
    if value.isprintable():  # the usual answer, found in C: every one of them is unprintable
        return False
    found = _HIDDEN.search(value)
    if found is None or not allowed:
        return found is not None
    return any(char not in allowed for char in _HIDDEN.findall(value))


def _field(what) -> Phrase:
    """What a refusal calls a field, as a phrase (English text given: ``Known``)."""
    return what if isinstance(what, Phrase) else Known(str(what))


def too_long(what, cap: int) -> Phrase:
    return _("{what} is too long: at most {cap} characters, please.", what=_field(what),
             cap=cap)


def text(value, cap: int, what: str = "That") -> str:
    """``value`` without surrounding spaces if it is at most ``cap`` characters of plain
    text; ValueError with the words for the screen otherwise (a phrase, said in the
    reader's language)."""
    value = str(value).strip()
    if len(value) > cap:
        raise ValueError(too_long(what, cap))
    if has_hidden(value):
        raise ValueError(_("{what} has a hidden control character in it. Clear it and type "
                           "it again.", what=_field(what)))
    return value


def answer(raw: dict) -> None:
    """Check every field a step's form sent against ``FIELDS``; ValueError in words."""
    for name, value in raw.items():
        cap, what = FIELDS.get(name, (ANSWER, FIELD_WORDS[1]))
        if not isinstance(value, str) or (len(value) <= cap and value.isprintable()):
            continue  # the usual answer: a few printable characters
        if len(value) > cap:
            raise ValueError(too_long(what, cap))
        if has_hidden(value, GS if name == "value" else ""):
            raise ValueError(_("{what} has a hidden control character in it. Clear it and "
                               "try again.", what=what))


def excerpt(value, cap: int = 40) -> str:
    """A short copy of input that may be anything, safe to keep in a record or show in a
    message: hidden characters written as escapes (``\\x00``; a backslash typed is doubled,
    so the two never look alike), cut to ``cap`` characters with the full length said."""
    value = str(value)
    shown = _HIDDEN.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                        else f"\\u{ord(m.group()):04x}", value[:cap].replace("\\", "\\\\"))
    return shown if len(value) <= cap else f"{shown}… ({len(value)} characters)"


def storable(name: str, value):
    """A form field as a record keeps it: as sent when it is within ``FIELDS``' bounds, an
    ``excerpt`` otherwise (a refused answer is kept, but never whole when it is too big)."""
    if not isinstance(value, str):
        return value
    cap = FIELDS.get(name, (ANSWER, ""))[0]
    if len(value) <= cap and (value.isprintable()
                              or not has_hidden(value, GS if name == "value" else "")):
        return value
    return excerpt(value, cap)


# -- quantities -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Measure:
    """How a unit is counted: what people call it, its decimals, its largest sane amount,
    and what a figure in it is (a count, a weight ...)."""

    words: str
    decimals: int
    maximum: Decimal
    noun: str = "count"


# Stock quantities are kept as Decimal(14, 4) (``QuantityField``); each unit's maximum is far
# inside that and far above any one package (about 100 kg for weights).
MEASURES = {
    "cases": Measure("cases", 0, Decimal(999)),
    "Each": Measure("units", 0, Decimal(99_999)),
    "Grams": Measure("grams", 3, Decimal(100_000), "weight"),
    "Kilograms": Measure("kilograms", 3, Decimal(100), "weight"),
    "Milligrams": Measure("milligrams", 0, Decimal(100_000_000), "weight"),
    "Ounces": Measure("ounces", 3, Decimal(3_500), "weight"),
    "Pounds": Measure("pounds", 3, Decimal(220), "weight"),
    "Milliliters": Measure("millilitres", 1, Decimal(100_000), "volume"),
    "Liters": Measure("litres", 3, Decimal(100), "volume"),
    "Fluid Ounces": Measure("fluid ounces", 2, Decimal(3_400), "volume"),
}
ANY = Measure("", 4, Decimal(1_000_000))  # a count step that names no unit
MONEY = Measure("dollars", 2, Decimal(1_000_000), "amount")
_ALIASES = {"ea": "Each", "each": "Each", "unit": "Each", "units": "Each", "g": "Grams",
            "kg": "Kilograms", "mg": "Milligrams", "oz": "Ounces", "lb": "Pounds",
            "lbs": "Pounds", "ml": "Milliliters", "l": "Liters", "fl oz": "Fluid Ounces"}
_BY_LOWER = {name.lower(): name for name in MEASURES} | _ALIASES
_PLAIN = re.compile(r"[0-9]{1,12}(?:\.[0-9]{0,8})?|\.[0-9]{1,8}")


def unit_name(unit) -> str:
    """The kiosk's name of a unit of measure ("g" -> "Grams"); ValueError if unknown."""
    name = _BY_LOWER.get(str(unit).strip().lower())
    if name is None or name == "cases":
        known = ", ".join(n for n in MEASURES if n != "cases")
        raise ValueError(_("the unit {unit} is not one this kiosk knows ({known})",
                           unit=repr(excerpt(unit, UNIT)), known=known))
    return name


class QuantityError(ValueError):
    """A quantity out of its unit's range or precision: ``shown`` is what was given (cut),
    ``wanted`` says what would do."""

    def __init__(self, shown: str, wanted: str, noun: str = "count"):
        self.shown, self.wanted = shown, wanted
        super().__init__(_("A {noun} of {shown} is not possible here: enter {wanted}.",
                           noun=Known(noun), shown=shown, wanted=wanted) if shown
                         else _("Enter {wanted}.", wanted=wanted))


def _wanted(measure: Measure, low: Decimal, high: Decimal, above_zero: bool) -> str:
    """What a quantity must be, in words (a phrase: said in the reader's language)."""
    def grouped(value):
        return Number(value, f"{value:,}")

    unit = Known(measure.words)
    if measure.decimals == 0:
        low = grouped(low + above_zero)
        if measure.words:
            return _("a whole number of {unit} from {low} to {high}", unit=unit, low=low,
                     high=grouped(high))
        return _("a whole number from {low} to {high}", low=low, high=grouped(high))
    low, high, places = grouped(low), grouped(high), measure.decimals
    if measure.words and above_zero:
        return n_("a number of {unit} more than {low} to {high}, with at most {count} decimal",
                  "a number of {unit} more than {low} to {high}, with at most {count} decimals",
                  places, unit=unit, low=low, high=high)
    if measure.words:
        return n_("a number of {unit} from {low} to {high}, with at most {count} decimal",
                  "a number of {unit} from {low} to {high}, with at most {count} decimals",
                  places, unit=unit, low=low, high=high)
    if above_zero:
        return n_("a number more than {low} to {high}, with at most {count} decimal",
                  "a number more than {low} to {high}, with at most {count} decimals",
                  places, low=low, high=high)
    return n_("a number from {low} to {high}, with at most {count} decimal",
              "a number from {low} to {high}, with at most {count} decimals",
              places, low=low, high=high)


def quantity(value, unit: str | Measure = "", *, minimum: Decimal | None = Decimal(0),
             maximum: Decimal | None = None, whole: bool = False,
             above_zero: bool = False) -> Decimal:
    """A quantity in ``unit`` as a Decimal, from typed text (plain digits and one point: no
    exponent, sign, spaces or other scripts' digits) or a JSON number; QuantityError in
    words when it is not one, is out of the unit's range (or the step's, if narrower) or is
    finer than the unit is counted. ``unit`` is a unit's name or a ``Measure``."""
    if isinstance(unit, Measure):
        measure = unit
    else:
        measure = MEASURES.get(unit) or MEASURES.get(_BY_LOWER.get(unit.lower(), "")) or ANY
    if whole:
        measure = Measure(measure.words, 0, measure.maximum, measure.noun)
    low = max(Decimal(0), minimum if minimum is not None else Decimal(0))
    high = min(measure.maximum, maximum) if maximum is not None else measure.maximum
    wanted = _wanted(measure, low, high, above_zero)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise QuantityError(excerpt(value, 20), wanted, measure.noun)
    if isinstance(value, str):
        typed = value.strip()
        if not _PLAIN.fullmatch(typed):
            raise QuantityError(excerpt(typed, 20), wanted, measure.noun)
        value = Decimal(typed)
    number = Decimal(value)
    shown = excerpt(value, 20)
    if (not number.is_finite() or number < low or number > high
            or (above_zero and number == 0)):
        raise QuantityError(shown, wanted, measure.noun)
    step = Decimal(1).scaleb(-measure.decimals)
    if number.quantize(step) != number:
        raise QuantityError(shown, wanted, measure.noun)
    return number.quantize(Decimal(1)) if measure.decimals == 0 else number


# -- dates and record numbers -------------------------------------------------------------
# A date or time from outside (a filter, a POS sale) means something only inside these years;
# beyond them the store's clock cannot even be worked out (year 9999 + a day overflows).
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
RECORD_ID_MAX = 2**63 - 1  # database keys are signed 64-bit integers


def plausible_day(day: dt.date) -> bool:
    """True for a date the kiosk can hold records of."""
    return FIRST_DAY <= day <= LAST_DAY


def record_id(text) -> int | None:
    """The record number ``text`` names (plain digits, within 64 bits), or None."""
    text = str(text)
    if not (0 < len(text) <= 19 and text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= RECORD_ID_MAX else None

"""What a scan is. Every scanner read or typed code becomes one typed value, or a clear message.

Kinds:
- ``package_tag``: a Metrc/state UID, 24 upper-case letters and digits (treated as opaque).
- ``gtin``: an item barcode (UPC-A, EAN-8, EAN-13, GTIN-14) with a valid check digit,
  normalised to 14 digits so a UPC-A sent as 13 digits with a leading 0 is the same item.
- ``gs1``: a GS1 element string (AIs 01, 10, 17, 21) from GS1-128 or GS1 DataMatrix.
- ``location``: a location code (``LOC-`` prefix, as printed on our location labels).
- ``badge``: an employee badge (``EMP-`` prefix on the card, or the bare badge number).
- ``manifest``: a transfer manifest number (``MAN-`` prefix, or a bare 10-digit number).
- ``visitor``: a visitor badge (``VIS-`` and the visit's number, as the badge label prints it).

``parse(raw, expect)`` picks the reading that fits what the step expects; when nothing fits,
the message says what was scanned and what the step needs.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from kiosk import limits
from kiosk.words import Phrase, _

GS = "\x1d"
TAG_RE = re.compile(r"^[0-9A-Z]{24}$")
LOCATION_RE = re.compile(r"^LOC-[0-9A-Z][0-9A-Z-]{0,30}$")
BADGE_RE = re.compile(r"^(?:EMP-)?(\d{3,10})$")
MANIFEST_RE = re.compile(r"^(?:MAN-(\d{4,12})|(\d{10}))$")
VISITOR_RE = re.compile(r"^VIS-(\d{1,12})$")
# Scanners with AIM identifiers on prefix the symbology: ]C1 GS1-128, ]d2 GS1 DataMatrix ...
AIM_RE = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
GS1_AIMS = {"]C1", "]d2", "]e0", "]Q3", "]J1"}
# Fixed-length AIs we read (value length); variable ones end at GS or at the end.
GS1_FIXED = {"01": 14, "17": 6, "11": 6, "13": 6, "15": 6}
GS1_VARIABLE = {"10": 20, "21": 20}

NAMES = {
    "package_tag": _("a package tag (24 letters and digits)"),
    "gtin": _("an item barcode (UPC)"),
    "gs1": _("a GS1 product barcode"),
    "location": _("a location label (starts LOC-)"),
    "badge": _("a badge"),
    "manifest": _("a manifest number"),
    "visitor": _("a visitor badge (starts VIS-)"),
}


class ScanError(ValueError):
    """The input is not what the step expects. Its first argument is the message for the
    screen, a phrase said in the reader's language (``words``); ``str()`` is its English."""

    @property
    def words(self) -> Phrase:
        return self.args[0]


@dataclass(frozen=True)
class Scan:
    """A recognised scan. ``value`` is the normalised identifier; ``fields`` holds GS1 parts."""

    kind: str
    value: str
    raw: str
    fields: dict = field(default_factory=dict)

    @property
    def gtin(self) -> str | None:
        """The item's GTIN-14 for a ``gtin`` or ``gs1`` scan."""
        if self.kind == "gtin":
            return self.value
        return self.fields.get("01")


def short(code: str) -> str:
    """A long code as people compare them by eye: its last six characters (…000122)."""
    return code if len(code) <= 8 else f"…{code[-6:]}"


def gs1_check_digit(digits: str) -> int:
    """The GS1 mod-10 check digit for ``digits`` (the number without its check digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def normalise_gtin(code: str) -> str | None:
    """A GTIN-8/12/13/14 with a valid check digit, as 14 digits; None if it is not one."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return None
    if gs1_check_digit(code[:-1]) != int(code[-1]):
        return None
    return code.zfill(14)


def _gs1_date(value: str) -> str:
    yy, mm, dd = int(value[:2]), int(value[2:4]), int(value[4:])
    year = 2000 + yy
    if dd == 0:  # GS1: day 00 means the last day of the month
        nxt = dt.date(year + (mm == 12), mm % 12 + 1, 1)
        return (nxt - dt.timedelta(days=1)).isoformat()
    return dt.date(year, mm, dd).isoformat()


def parse_gs1(data: str) -> dict:
    """Split a GS1 element string into {AI: value}; raises ScanError when malformed."""
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        if data[pos] == GS:
            pos += 1
            continue
        ai = data[pos:pos + 2]
        pos += 2
        if ai in GS1_FIXED:
            value = data[pos:pos + GS1_FIXED[ai]]
            if len(value) != GS1_FIXED[ai] or not value.isdigit():
                raise ScanError(_("The GS1 barcode's ({ai}) field is cut short.", ai=ai))
            pos += GS1_FIXED[ai]
        elif ai in GS1_VARIABLE:
            end = data.find(GS, pos)
            end = len(data) if end == -1 else end
            value = data[pos:end]
            if not value or len(value) > GS1_VARIABLE[ai]:
                raise ScanError(_("The GS1 barcode's ({ai}) field is empty or too long.", ai=ai))
            pos = end
        else:
            raise ScanError(_("The GS1 barcode has a field ({ai}) this kiosk does not read.",
                               ai=ai))
        fields[ai] = value
    if "01" in fields and normalise_gtin(fields["01"]) is None:
        raise ScanError(_("The GS1 barcode's GTIN has a wrong check digit; scan it again."))
    for ai in ("17", "11", "13", "15"):
        if ai in fields:
            try:
                fields[ai] = _gs1_date(fields[ai])
            except ValueError:
                raise ScanError(_("The GS1 barcode's date ({ai}) is not a real date.",
                                   ai=ai)) from None
    return fields


def readings(raw: str) -> list[Scan]:
    """Every way ``raw`` can be read, most specific first."""
    text = raw.strip("\r\n\t ")
    aim = ""
    if AIM_RE.match(text):
        aim, text = text[:3], text[3:]
    found: list[Scan] = []
    if aim in GS1_AIMS or (text[:2] == "01" and len(text) > 16 and text[2:16].isdigit()):
        try:
            found.append(Scan("gs1", text, raw, parse_gs1(text)))
        except ScanError:
            if aim in GS1_AIMS:
                raise
    upper = text.upper()
    if TAG_RE.match(upper):
        found.append(Scan("package_tag", upper, raw))
    gtin = normalise_gtin(text)
    if gtin:
        found.append(Scan("gtin", gtin, raw))
    if LOCATION_RE.match(upper):
        found.append(Scan("location", upper, raw))
    match = MANIFEST_RE.match(upper)
    if match:
        found.append(Scan("manifest", match.group(1) or match.group(2), raw))
    match = BADGE_RE.match(upper)
    if match:
        found.append(Scan("badge", match.group(1), raw))
    match = VISITOR_RE.match(upper)
    if match:  # the value is the visit's record number; VIS-000123 and VIS-123 are one
        found.append(Scan("visitor", str(int(match.group(1))), raw))
    return found


def recognised(raw: str) -> list[Scan]:
    """``readings``, but none (not a refusal) when a GS1 barcode cannot be read: for a screen
    that only names what came instead of what it wanted."""
    try:
        return readings(raw)
    except ScanError:
        return []


def describe(scan: Scan) -> str:
    """How to name what was scanned in a message (a phrase)."""
    return NAMES.get(scan.kind, scan.kind)


def either(kinds) -> str:
    """The kinds a step takes, named as one phrase: "a badge or a manifest number"."""
    names = [NAMES.get(k, k) for k in kinds]
    said = names[0] if names else ""
    for name in names[1:]:
        said = _("{first} or {rest}", first=said, rest=name)
    return said


def parse(raw: str, expect: tuple[str, ...] | list[str] = tuple(NAMES)) -> Scan:
    """The reading of ``raw`` that fits ``expect``; ScanError with a human message otherwise."""
    if not raw or not raw.strip():
        raise ScanError(_("Nothing was scanned. Scan the barcode again."))
    if len(raw) > limits.SCAN:
        raise ScanError(_("That is too long for a code here ({number} characters). Scan the "
                          "barcode again.", number=len(raw)))
    if not raw.isprintable() and limits.has_hidden(raw.strip("\r\n\t "), GS):
        raise ScanError(_("That has a character no barcode here carries. Scan the barcode "
                          "again."))
    options = readings(raw)
    for scan in options:
        if scan.kind in expect:
            return scan
    wanted = either(expect)
    shown = raw.strip()[:40]
    if options:
        raise ScanError(_("That was {kind} ({shown}). This step needs {wanted}.",
                          kind=describe(options[0]), shown=shown, wanted=wanted))
    digits = raw.strip()
    if digits.isdigit() and len(digits) in (8, 12, 13, 14):
        raise ScanError(_("{shown} looks like an item barcode but its check digit is wrong. "
                          "Scan it again; this step needs {wanted}.", shown=shown,
                          wanted=wanted))
    if len(digits) in (23, 25) and digits.isalnum():
        raise ScanError(_("{shown} has {number} characters; a package tag has 24. Scan the "
                          "tag again.", shown=shown, number=len(digits)))
    raise ScanError(_("{shown} is not a code this kiosk knows. This step needs {wanted}.",
                      shown=shown, wanted=wanted))

"""The screen's language: the logged-in person's, else the one chosen on the lock screen,
else the store's (the ``language`` setting). Flask-Babel serves the templates' ``_()``;
phrases from workflows (``kiosk.words``) are said in the same language wherever a template
prints them, and store clocks and numbers are written the language's way.

At logout the lock screen's choice is forgotten, so the screen goes back to the store's
language for whoever comes next.
"""

from __future__ import annotations

import datetime as dt

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from flask import Blueprint, Flask, current_app, g, request, url_for

from kiosk import clock, engine, words
from kiosk.views.home import LANGUAGE_COOKIE, go
from kiosk.words import _, n_

bp = Blueprint("language", __name__)

NAMES = {"en": "English", "es": "Español"}  # each in its own language: who reads it needs it


def store_language() -> str:
    return current_app.config["KIOSK"].get("language", words.DEFAULT)


def current() -> str:
    """The language of this request's screen (worked out once per request)."""
    here = g._get_current_object()
    language = here.get("language")
    if language is None:
        employee = here.get("employee")
        if employee is not None and employee.language in words.LANGUAGES:
            language = employee.language
        else:
            chosen = request.cookies.get(LANGUAGE_COOKIE, "")
            language = chosen if chosen in words.LANGUAGES else store_language()
        here.language = language
    return language


def say(text):
    """``text`` as this screen reads it (phrases translated, anything else as it is)."""
    return words.say(text, current()) if isinstance(text, words.Phrase) else text


# Store clocks, for the strftime patterns the templates use: English keeps them as they
# always read; another language gets Babel's own way of writing a date or a time.
_BABEL_TIMES = {"%H:%M": "short", "%H:%M:%S": "medium"}


def store_time(at, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A record's time (naive UTC, or its ISO text) on the store's clock, in the screen's
    language."""
    if not at:
        return ""
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    wall = clock.local(at)
    language = current()
    if language == words.DEFAULT:
        return wall.strftime(fmt)
    if fmt in _BABEL_TIMES:
        return format_time(wall, _BABEL_TIMES[fmt], locale=language)
    if "%H" not in fmt:
        return format_date(wall.date(), "medium", locale=language)
    if "%S" in fmt:  # the format asks for seconds (a signature's time)
        return format_datetime(wall, "medium", locale=language)
    # The date and the hour and minute, as English shows them ("5 dic 2026, 14:03").
    return Locale.parse(language).datetime_formats["medium"].format(
        format_time(wall, "short", locale=language),
        format_date(wall.date(), "medium", locale=language))


def store_day(day) -> str:
    """A date (or its ISO text) in the screen's language."""
    if not day:
        return ""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    language = current()
    return day.isoformat() if language == words.DEFAULT else format_date(day, "medium",
                                                                          locale=language)


def number(value, places: int | None = None) -> str:
    return words.number(value, current(), places)


# What a print step prints, as its preview names it.
LAYOUT_WORDS = {"receiving_slip": _("receiving slip"), "package_label": _("package label"),
                "quarantine_label": _("quarantine label"), "location_label": _("location label"),
                "pick_label": _("pick label"), "visitor_badge": _("visitor badge"),
                "vault_access_slip": _("vault access slip"), "pick_ticket": _("pick ticket")}
COUNTED_LAYOUTS = {
    "receiving_slip": lambda n: n_("{count} receiving slip", "{count} receiving slips", n),
    "package_label": lambda n: n_("{count} package label", "{count} package labels", n),
    "quarantine_label": lambda n: n_("{count} quarantine label", "{count} quarantine labels",
                                     n),
    "pick_label": lambda n: n_("{count} pick label", "{count} pick labels", n),
}


# The home screen's names of procedures whose modules do not mark their words yet: said in
# the screen's language through ``known``, which finds them in the catalogue by their
# English (a title changed in its module is shown as it is until it is translated again).
MENU_WORDS = (
    _('Vault entry'),
    _('Two people sign into the vault with a purpose, and sign out when they leave.'),
    _('Move packages'),
    _('Restock or put away: scan a package, then the shelf, floor or tote it goes to.'),
    _('Paper manifest'),
    _("The state system is down: record the driver's paper manifest to receive it."),
    _('Cycle count'),
    _('Count a shelf, a category or a spot list blind: barcode, tag, quantity.'),
    _('Investigate a variance'),
    _('Find out why a count differs, then adjust it or say where it was fixed.'),
    _('Sign a visitor in'),
    _('A driver, vendor, contractor or inspector: name, ID checked, an escort, a badge.'),
    _('Opening reconciliation'),
    _("Yesterday's POS sales against Metrc's receipts, tag by tag; today's spot count."),
    _('Closing reconciliation'),
    _("Today's sales against the closing count; every waiting message delivered or "
      "explained."),
    _('Pick'),
    _('Take what a request asks for from the vault and hand it off.'),
    _('Quarantine packages'),
    _('Take a package out of stock: a reason, the cage, a label. Or bring in a recalled one.'),
    _('Release from quarantine'),
    _("Put a held package back in stock, with a manager's signature."),
    _('Recall'),
    _('Hold every package of a recalled batch, item, source package or lab test batch, '
      'wherever it is.'),
    _('Destroy a package'),
    _('Destroy a package from the cage, weighed and witnessed, with the log slip.'),
    _('Return to vendor'),
    _("Send packages from the cage back to their vendor, signed by two, with the RTV slip "
      "and the sheet for Metrc."),
)


def known(text):
    """Words a procedure or record gives in English, in the screen's language where the
    catalogue has them."""
    if isinstance(text, words.Phrase) or not text:
        return say(text)
    return words.known(str(text), current())


def layout_words(layout: str):
    return LAYOUT_WORDS.get(layout, layout.replace("_", " "))


def print_list(counts) -> words.Phrase:
    """'2 package labels, 1 receiving slip' from {layout with spaces: how many}."""
    parts = []
    for layout, n in counts.items():
        counted = COUNTED_LAYOUTS.get(layout.replace(" ", "_"))
        parts.append(counted(n) if counted else f"{n} {layout}{'s' if n != 1 else ''}")
    return words.joined(parts, ", ")


# What the screen's scripts say (kiosk.js, scanner.js), given to them in the screen's
# language on the page; each script keeps its English for a key it does not find.
SCRIPT_WORDS = (
    _("Connection lost"),
    _("The kiosk server is not answering. Retrying; nothing you scanned is lost."),
    _("Something went wrong"),
    _("This screen was out of date. Press Home and try again; nothing was saved."),
    _("The kiosk hit an error and saved nothing from that action. Try again; if it happens "
      "again, get a manager."),
    _("Typing: {typed} (press Enter to send)"),
    _("Badge {badge} scanned: now the PIN"),
    _(" · {count} more waiting"),
    _("Connection lost — retrying · {count} waiting"),
    _("Connection lost — retrying"),
    _("{count} is waiting and will be sent in order as soon as the kiosk server answers. "
      "Nothing you scanned is lost; keep scanning."),
    _("{count} are waiting and will be sent in order as soon as the kiosk server answers. "
      "Nothing you scanned is lost; keep scanning."),
    _("{code} (sending…){waiting}"),
    _("{code} was not recorded: scan it again"),
    _("{code} was not recorded; nothing was saved from it. Scan it again; if it happens "
      "again, get a manager."),
    _("{code} (not recorded)"),
    _("{code}: not recorded, this run has ended"),
    _("{code}: nothing on this screen takes a scan"),
)
SCRIPT_PLURALS = {"{count} scan": lambda n: n_("{count} scan", "{count} scans", n)}


def script_words() -> dict:
    language = current()
    if language == words.DEFAULT:
        return {}
    said = {str(w): words.say(w, language) for w in SCRIPT_WORDS}
    # The two forms of "N scans waiting" the overlay needs (one, and any other number).
    said["{count} scan"] = words.say(SCRIPT_PLURALS["{count} scan"](1), language).replace(
        "1", "{count}", 1)
    said["{count} scans"] = words.say(SCRIPT_PLURALS["{count} scan"](2), language).replace(
        "2", "{count}", 1)
    return said


def init_app(app: Flask) -> None:
    """Flask-Babel for the templates, with the screen's language."""
    from flask_babel import Babel

    Babel(app, locale_selector=current, default_locale=words.DEFAULT,
          default_translation_directories=str(words.TRANSLATIONS))
    app.jinja_env.filters.update(store_time=store_time, store_day=store_day, number=number,
                                 say=say, known=known, recalled=words.recalled)
    app.jinja_env.globals.update(
        language_names=NAMES, role_words=engine.ROLE_WORDS, meaning_words=engine.MEANING_WORDS,
        status_words=engine.STATUS_WORDS, unit_words=words.UNIT_WORDS,
        role_list=engine.role_list, print_list=print_list, layout_words=layout_words)

    @app.context_processor
    def language():
        return {"language": current(), "script_words": script_words}


@bp.post("/language")
def choose():
    """The lock screen's language button: the screen reads this language until the next
    login (the person's own) or logout (the store's)."""
    wanted = request.form.get("language", "")
    response = go(url_for("home.index"))
    if g.get("employee") is None and wanted in words.LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, wanted, httponly=True, samesite="Strict")
    return response

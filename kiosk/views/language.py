"""The screen's language: the logged-in person's, else the one chosen on the lock screen,
else the store's (the ``language`` setting). Flask-Babel serves the templates' ``_()``;
phrases from workflows (``kiosk.words``) are said in the same language wherever a template
prints them, and store clocks and numbers are written the language's way.

At logout the lock screen's choice is forgotten, so the screen goes back to the store's
language for whoever comes next.
"""

from __future__ import annotations

import datetime as dt

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
    return format_datetime(wall, "medium", locale=language)


def store_day(day) -> str:
    """A date (or its ISO text) in the screen's language."""
    if not day:
        return ""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    language = current()
    return day.isoformat() if language == words.DEFAULT else format_date(day, "medium",
                                                                          locale=language)


def number(value) -> str:
    return words.number(value, current())


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
}


def layout_words(layout: str):
    return LAYOUT_WORDS.get(layout, layout.replace("_", " "))


def print_list(counts) -> words.Phrase:
    """'2 package labels, 1 receiving slip' from {layout with spaces: how many}."""
    parts = []
    for layout, n in counts.items():
        counted = COUNTED_LAYOUTS.get(layout.replace(" ", "_"))
        parts.append(counted(n) if counted else f"{n} {layout}{'s' if n != 1 else ''}")
    return words.joined(parts, ", ")


def init_app(app: Flask) -> None:
    """Flask-Babel for the templates, with the screen's language."""
    from flask_babel import Babel

    Babel(app, locale_selector=current, default_locale=words.DEFAULT,
          default_translation_directories=str(words.TRANSLATIONS))
    app.jinja_env.filters.update(store_time=store_time, store_day=store_day, number=number,
                                 say=say)
    app.jinja_env.globals.update(
        language_names=NAMES, role_words=engine.ROLE_WORDS, meaning_words=engine.MEANING_WORDS,
        status_words=engine.STATUS_WORDS, unit_words=words.UNIT_WORDS,
        role_list=engine.role_list, print_list=print_list, layout_words=layout_words)

    @app.context_processor
    def language():
        return {"language": current()}


@bp.post("/language")
def choose():
    """The lock screen's language button: the screen reads this language until the next
    login (the person's own) or logout (the store's)."""
    wanted = request.form.get("language", "")
    response = go(url_for("home.index"))
    if g.get("employee") is None and wanted in words.LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, wanted, httponly=True, samesite="Strict")
    return response

"""Words the kiosk says, in the reader's language, without Flask.

Workflows, guards and layouts write ``_("Manifest {number} from {shipper}.", number=...,
shipper=...)``. That marks the English text for the catalogue (``kiosk catalogues``) and
gives a ``Phrase``: a ``str`` holding today's English, so every test, record and log that
reads it as text sees the words it always did, which also remembers its message and
arguments. Whoever shows or prints it (a template, the feedback cue, a label) says it in
the reader's language with ``say``; arguments that are phrases are said too, and numbers
are written the language's way.

The catalogues are gettext's, in ``kiosk/translations/<language>/LC_MESSAGES/messages.mo``,
read here with Babel's ``Translations`` (the web app reads the same files through
Flask-Babel).
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).parent / "translations"
DEFAULT = "en"  # the language the kiosk's own words are written in
LANGUAGES = ("en", "es")


class Phrase(str):
    """English words that can be said in another language (see the module's docstring)."""


    def __new__(cls, message: str, args: dict):
        made = super().__new__(cls, message.format(**args) if args else message)
        made.message = message
        made.args = args
        return made

    def __reduce__(self):  # kept whole when a run's outcome crosses to another process
        return (Phrase, (self.message, self.args))


class Number(str):
    """A number in a phrase: the text English has always shown ("453.6", "48"), and the
    value, which another language writes its own way ("453,6")."""

    def __new__(cls, value, text: str | None = None, places: int | None = None):
        made = super().__new__(cls, text if text is not None else str(value))
        made.value, made.places = value, places
        return made

    def __reduce__(self):
        return (Number, (self.value, str(self), self.places))


def _(message: str, **args) -> Phrase:
    """Mark ``message`` for the catalogue; ``{name}`` places are filled from ``args``."""
    return Phrase(message, args)


def n_(singular: str, plural: str, count: int, **args) -> Phrase:
    """The singular or plural of a message, chosen by ``count`` in the reader's language
    (English: one or other); ``{count}`` in the message is the number."""
    return Plural(singular, plural, count, args)


class Plural(Phrase):

    def __new__(cls, singular: str, plural: str, count: int, args: dict):
        args = {**args, "count": count}
        made = Phrase.__new__(cls, singular if count == 1 else plural, args)
        made.message, made.plural, made.count = singular, plural, count
        return made

    def __reduce__(self):
        args = {k: v for k, v in self.args.items() if k != "count"}
        return (Plural, (self.message, self.plural, self.count, args))


class Trimmed(Phrase):
    """A phrase without its closing full stop, to go inside a sentence."""

    def __new__(cls, inner):
        made = str.__new__(cls, str(inner).rstrip("."))
        made.message, made.args = "{inner}", {"inner": inner}
        return made

    def __reduce__(self):
        return (Trimmed, (self.args["inner"],))


# Messages whose English a record keeps filled in ("Short: 46 of 48 received"), as patterns
# that find the message and its arguments again (``kept_forms``), the most specific first.
_FORMS: list[tuple[re.Pattern, str]] = []
_PLACE = re.compile(r"\{(\w+)\}")


def kept_forms(*messages: Phrase) -> None:
    """Let ``Known`` recognise these messages filled in, and say them again translated. A
    place called ``number`` matches a number only; any other, some text (the same text
    again where a message names a place twice).

    Text can fit more than one form ("3 packages not yet in Metrc" fits "{number} {unit}"
    too): the form with the most words of its own is tried first, so what is found does not
    depend on which module registered its forms first."""
    for message in messages:
        parts, at, literal, seen = [], 0, 0, set()
        for place in _PLACE.finditer(message.message):
            parts.append(re.escape(message.message[at:place.start()]))
            literal += place.start() - at
            name = place.group(1)
            wanted = r"[0-9][0-9.,]*" if name == "number" else r".+?"
            # A place said twice holds the same text both times.
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>{wanted})")
            seen.add(name)
            at = place.end()
        parts.append(re.escape(message.message[at:]))
        literal += len(message.message) - at
        form = (re.compile("".join(parts)), message.message)
        if form not in _FORMS:
            _FORMS.append(form)
            _LITERAL[form[1]] = literal
    _FORMS.sort(key=lambda form: -_LITERAL[form[1]])  # stable: equals keep their order


_LITERAL: dict[str, int] = {}  # each form's own text, in characters


class Known(Phrase):
    """Words a record kept in English (a rejection's reason): said in the reader's language
    when they are one of the catalogue's messages, or one of ``kept_forms`` filled in, else
    as they are."""

    def __new__(cls, text: str):
        made = str.__new__(cls, text)
        made.message, made.args = str(text), {}
        return made

    def __reduce__(self):
        return (Known, (str(self),))


@lru_cache(maxsize=8)
def catalogue(language: str) -> NullTranslations:
    """The compiled catalogue of a language (English: none, the words are English)."""
    if language not in LANGUAGES or language == DEFAULT:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [language])


def number(value, language: str, places: int | None = None) -> str:
    """A number as the language writes it (Spanish: 1.234,5), with exactly ``places``
    decimals when given (hours waited: "33,0"). English is left as the kiosk has always
    written it, so what English screens, slips and records say does not change."""
    if language == DEFAULT or isinstance(value, bool):
        return str(value)
    if places is not None:
        return format_decimal(value, "#,##0." + "0" * places if places else "#,##0",
                              locale=Locale.parse(language), group_separator=True)
    return format_decimal(value, locale=Locale.parse(language), group_separator=True)


def say(text, language: str):
    """``text`` in ``language``: a phrase translated and filled in; anything else unchanged."""
    if not isinstance(text, Phrase) or language == DEFAULT:
        return text
    if isinstance(text, Trimmed):
        return str(say(text.args["inner"], language)).rstrip(".")
    found = catalogue(language)
    if isinstance(text, Known):
        return _said_again(str(text), found, language)
    if isinstance(text, Plural):
        wording = found.ungettext(text.message, text.plural, text.count)
    else:
        wording = found.ugettext(text.message)
    if not text.args:
        return wording
    args = {key: _argument(value, language) for key, value in text.args.items()}
    try:
        return wording.format(**args)
    except (KeyError, IndexError, ValueError):  # a translation that lost a place: say it in English
        return str(text)


def known(text: str, language: str) -> str:
    """Words the kiosk wrote and a record kept in English (a rejection's reason), in
    ``language`` where the catalogue knows them (see ``Known``)."""
    if language == DEFAULT or not text:
        return text
    return say(Known(text), language)


def _said_again(text: str, found, language: str) -> str:
    translated = found.ugettext(text)
    if translated != text:
        return translated
    import kiosk.kept_words  # noqa: F401  (registers the forms once, on first use)

    for pattern, message in _FORMS:
        match = pattern.fullmatch(text)
        if match:
            return say(Phrase(message, {k: Known(v) for k, v in match.groupdict().items()}),
                       language)
    return text


def _argument(value, language: str):
    if isinstance(value, Phrase):
        return say(value, language)
    if isinstance(value, Number):
        return number(value.value, language, getattr(value, "places", None))
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return number(value, language)
    return value


def joined(parts, separator: str = " ") -> Phrase:
    """Phrases said one after another (each is translated on its own)."""
    parts = [p for p in parts if p]
    places = {f"p{i}": part for i, part in enumerate(parts)}
    # Not marked for the catalogue: the separator and the places are not words.
    return Phrase(separator.join("{" + key + "}" for key in places), places)


def keep(text):
    """A phrase as plain data, to keep in a run's JSON and say again later (``restore``);
    anything else as it is."""
    if isinstance(text, Known):  # English a record kept: found again by its words
        return {"known": str(text)}
    if isinstance(text, Trimmed):
        return {"trimmed": keep(text.args["inner"])}
    if isinstance(text, Plural):
        return {"said": text.message, "plural": text.plural, "count": text.count,
                "args": {k: keep(v) for k, v in text.args.items() if k != "count"}}
    if isinstance(text, Phrase):
        return {"said": text.message, "args": {k: keep(v) for k, v in text.args.items()}}
    if isinstance(text, Number):
        places = getattr(text, "places", None)
        return {"number": str(text), **({"places": places} if places is not None else {})}
    if isinstance(text, Decimal):
        return {"number": str(text)}
    return text


def restore(kept):
    """What ``keep`` kept, a phrase again; plain text as it is."""
    if not isinstance(kept, dict):
        return kept
    if "number" in kept:
        return Number(Decimal(kept["number"]), kept["number"], kept.get("places"))
    if "known" in kept:
        return Known(kept["known"])
    if "trimmed" in kept:
        return Trimmed(restore(kept["trimmed"]))
    args = {k: restore(v) for k, v in kept.get("args", {}).items()}
    if "plural" in kept:
        return Plural(kept["said"], kept["plural"], kept["count"], args)
    return Phrase(kept["said"], args)


def recalled(kept):
    """What ``keep`` kept, a phrase again; plain text (kept before its words were kept whole,
    or English a record kept) as ``Known`` words, said where the catalogue has them."""
    if isinstance(kept, dict):
        return restore(kept)
    return Known(kept) if isinstance(kept, str) and not isinstance(kept, Phrase) else kept


# Units of measure as a screen or label names them (records keep Metrc's names).
UNIT_WORDS = {"Each": _("Each"), "Grams": _("Grams"), "Kilograms": _("Kilograms"),
              "Milligrams": _("Milligrams"), "Ounces": _("Ounces"), "Pounds": _("Pounds"),
              "Milliliters": _("Milliliters"), "Liters": _("Liters"),
              "Fluid Ounces": _("Fluid Ounces"), "cases": _("cases"), "g": _("g")}

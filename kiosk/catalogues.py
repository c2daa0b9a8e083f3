"""Keep the translation catalogues in step with the code: ``python -m kiosk.catalogues``.

Extracts every marked message (Python's ``_``/``n_`` from ``kiosk.words``, the templates'
``_()``) into ``kiosk/translations/messages.pot`` with Babel, brings each language's
``messages.po`` up to date with it (new messages come in untranslated, gone ones are kept
as obsolete), and compiles each ``messages.mo``. Then it lists the messages that still lack
a translation and exits 1 if there are any, so a translator knows what to do next.
``--check`` changes nothing and says whether the files are up to date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from kiosk import words

PACKAGE = Path(__file__).parent
MAPPING = PACKAGE.parent / "babel.cfg"
TEMPLATE = words.TRANSLATIONS / "messages.pot"
KEYWORDS = {"_": None, "n_": (1, 2), "gettext": None, "ngettext": (1, 2)}
FIXED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TRANSLATED = tuple(lang for lang in words.LANGUAGES if lang != words.DEFAULT)


def extract() -> Catalog:
    """Every message marked in the package, with where it is used."""
    with open(MAPPING, encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, str(MAPPING))
    template = Catalog(project="kiosk", version="1", msgid_bugs_address="",
                       copyright_holder="", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(PACKAGE), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        template.add(message, None, [(filename, lineno)], auto_comments=comments,
                     context=context)
    return template


def po_path(language: str) -> Path:
    return words.TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def read(path: Path, language: str | None = None) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, locale=language)


def text_of(catalog: Catalog, **kw) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=False, sort_output=True, **kw)
    return out.getvalue()


def compiled(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def missing(catalog: Catalog) -> list[str]:
    """The messages with no (or only a fuzzy) translation."""
    gaps = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            gaps.append(message.id if isinstance(message.id, str) else message.id[0])
    return gaps


def _stamp(catalog: Catalog) -> None:
    # Dates in the headers would make every run a change; the files are kept in git.
    catalog.creation_date = catalog.revision_date = FIXED


def update() -> dict[str, list[str]]:
    """Write the template, update and compile each language; what each still lacks."""
    template = extract()
    _stamp(template)
    TEMPLATE.write_bytes(text_of(template, ignore_obsolete=True))
    gaps = {}
    for language in TRANSLATED:
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = read(path, language) if path.exists() else Catalog(locale=language)
        catalog.update(template, update_header_comment=False, no_fuzzy_matching=True)
        _stamp(catalog)
        path.write_bytes(text_of(catalog))
        path.with_suffix(".mo").write_bytes(compiled(catalog))
        gaps[language] = missing(catalog)
    return gaps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.catalogues", description=__doc__)
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a catalogue is out of date or incomplete")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    gaps = update()
    for language, ids in gaps.items():
        for message in ids:
            print(f"{language}: not translated: {message}")
    return 1 if any(gaps.values()) else 0


def check() -> list[str]:
    """What is out of date or missing, in words (empty when all is well)."""
    template = extract()
    wanted = {m.id for m in template if m.id}
    problems = []
    for language in TRANSLATED:
        path = po_path(language)
        catalog = read(path, language)
        have = {m.id for m in catalog if m.id}
        problems += [f"{language}: not in the catalogue: {m}" for m in sorted(wanted - have,
                                                                               key=str)]
        problems += [f"{language}: not translated: {m}" for m in missing(catalog)
                     if m in wanted or (m,) in wanted]
        if path.with_suffix(".mo").read_bytes() != compiled(catalog):
            problems.append(f"{language}: messages.mo is older than messages.po: run "
                            "python -m kiosk.catalogues")
    return problems


if __name__ == "__main__":
    sys.exit(main())

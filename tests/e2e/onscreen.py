"""Typing as a person does on the kiosk, which has no keyboard: on the in-page keyboard."""

from __future__ import annotations


def type_on_screen(page, words: str, then: str = "enter") -> None:
    """Tap ``words`` on the in-page keyboard (a field's first letter comes capital by
    itself; Caps is tapped on and off around any other capital), then ``then``: its Enter
    (the field's form is sent) or Hide."""
    caps = False
    for n, ch in enumerate(words):
        upper = ch.isalpha() and ch.isupper() and n > 0
        if upper != caps:
            page.locator('#keyboard [data-kb="shift"]').tap()
            caps = upper
        page.locator(f'#keyboard [data-kb="{ch.upper()}"]').tap()
    if caps:
        page.locator('#keyboard [data-kb="shift"]').tap()
    page.locator(f'#keyboard [data-kb="{then}"]').tap()

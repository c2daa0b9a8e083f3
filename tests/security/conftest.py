"""Fixtures of the attacker's view: the demo store as `make demo` builds it, a screen at
receiving-1 with a receiver logged in, and the POS webhook with its shared secret (helpers are
in attacks.py)."""

from __future__ import annotations

import pytest
from attacks import SECRET, Screen

from kiosk import demo


@pytest.fixture
def settings(settings):
    return {**settings, "station": "receiving-1", "pos_secret": SECRET}


@pytest.fixture
def store(database, fixed_clock):
    """The demo store (a few packages of stock, the two deliveries of the day)."""
    return demo.build(packages=6)


@pytest.fixture
def screen(kiosk, store):
    """A receiver and vault worker logged in at receiving-1."""
    return Screen(kiosk).login()

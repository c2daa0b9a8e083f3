"""Fixtures for the syncer: a training sandbox on a loopback port, sync settings pointing at
it, and a helper that writes outbox messages the way a workflow step does."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest

from kiosk import clock, db
from kiosk.models import OutboxMessage
from kiosk.sync.delivery import WRITES
from kiosk.sync.sandbox import Sandbox
from kiosk.sync.sandbox_data import OUR_LICENSE

_keys = itertools.count(1)


@pytest.fixture
def sandbox(fixed_clock):
    """A real HTTP Metrc sandbox on 127.0.0.1 (ephemeral port), its world built at the
    test clock's now (the sandbox runs in this process, so it shares that clock)."""
    box = Sandbox(OUR_LICENSE, now=clock.now())
    box.start()
    yield box
    box.stop()


@pytest.fixture
def sync_settings(database, sandbox):
    return {"database": database, "license": OUR_LICENSE, "state_system": "metrc",
            "metrc_url": sandbox.url, "metrc_vendor_key": "training-vendor-key",
            "metrc_user_key": "training-user-key", "metrc_timeout": 2, "pos": "none",
            "pos_secret": "", "sync_deadline_hours": 24, "station": "test-1"}


def add_message(kind: str, payload: dict, target: str = "metrc", ordering_key: str | None = None,
                key: str | None = None) -> OutboxMessage:
    """Write one outbox message in its own write transaction, as a committed step would."""
    now = clock.now()
    with db.write():
        return OutboxMessage.create(
            target=target, kind=kind, payload=payload,
            external_key=key or f"test-{next(_keys)}-{kind}",
            ordering_key=payload.get("tag", "") if ordering_key is None else ordering_key,
            next_attempt_at=now, created_at=now)


def status_of(message: OutboxMessage) -> OutboxMessage:
    return OutboxMessage.get_by_id(message.id)


@pytest.fixture
def message(database):
    """``message(kind, payload, target=..., ordering_key=..., key=...)`` writes one message."""
    return add_message


@pytest.fixture
def reload():
    """``reload(msg)``: the message as the database has it now."""
    return status_of


PATHS = {"package.adjust": "/packages/v2/adjust", "package.location": "/packages/v2/location",
         "package.note": "/packages/v2/note"}


@pytest.fixture
def by_package(sandbox):
    """``by_package(messages)``: per package tag, the (path, object) pairs the sandbox
    applied, and those these messages should have applied, each in order."""

    def compare(messages):
        applied, expected = defaultdict(list), defaultdict(list)
        for path, obj, _ in sandbox.world.applied:
            applied[obj.get("Label") or obj.get("PackageLabel")].append((path, obj))
        for m in messages:
            expected[m.payload["tag"]].append((PATHS[m.kind], WRITES[m.kind][0](m)))
        return applied, expected

    return compare

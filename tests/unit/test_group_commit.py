"""Group commit: steps from several screens share one transaction and one sync, and each
still gets exactly its own result, its own error, and nothing of another's failure. Sharing is
SQLite's (one writer at a time); on PostgreSQL each step is its own transaction."""

from __future__ import annotations

import threading
import time

import pytest

from kiosk import db, ledger
from kiosk.models import AuditEntry


def test_waiting_steps_commit_together_and_a_failing_one_undoes_only_itself(sqlite_database):
    ran_on: dict[str, int] = {}
    results: dict[str, object] = {}
    first_running = threading.Event()

    def step(name, fail=False, linger=0.0):
        def work():
            ran_on[name] = threading.get_ident()
            ledger.audit("test.step", name)
            if name == "first":
                first_running.set()
            time.sleep(linger)
            if fail:
                raise ValueError(f"{name} is refused")
            return f"{name} saved"
        return work

    def screen(name, work):
        with db.connection():
            try:
                results[name] = db.grouped(work)
            except ValueError as exc:
                results[name] = exc

    first = threading.Thread(target=screen, args=("first", step("first", linger=0.3)))
    first.start()
    assert first_running.wait(5)
    # While the first step holds the transaction, three more screens scan.
    others = [threading.Thread(target=screen, args=(name, step(name, fail=name == "bad")))
              for name in ("a", "bad", "b")]
    for thread in others:
        thread.start()
        time.sleep(0.02)
    for thread in [first, *others]:
        thread.join(10)

    assert results["first"] == "first saved"
    assert results["a"] == "a saved" and results["b"] == "b saved"
    assert isinstance(results["bad"], ValueError) and str(results["bad"]) == "bad is refused"
    # The three that waited were run by one thread, in one transaction after the first.
    assert ran_on["a"] == ran_on["bad"] == ran_on["b"] != ran_on["first"]
    with db.connection():
        saved = [e.subject for e in AuditEntry.select().where(AuditEntry.action == "test.step")
                 .order_by(AuditEntry.seq)]
        assert saved == ["first", "a", "b"]
        assert ledger.verify_chain() == []


def test_a_step_on_its_own_behaves_as_a_plain_transaction(database):
    with db.connection():
        assert db.grouped(lambda: ledger.audit("test.alone", "x") or "ok") == "ok"
        with pytest.raises(KeyError):
            db.grouped(lambda: (ledger.audit("test.alone", "y"), {}["missing"]))
        assert [e.subject for e in AuditEntry.select().where(
            AuditEntry.action == "test.alone")] == ["x"]

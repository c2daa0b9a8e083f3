"""Delivering outbox messages to the sandbox: batching, refusals, retries, 429, lost answers."""

from __future__ import annotations

import datetime as dt
import time

from kiosk import clock, db
from kiosk.models import AuditEntry, Employee
from kiosk.sync import outbox
from kiosk.sync.sandbox_data import tag
from kiosk.sync.worker import Worker

ON_HAND = [tag(11), tag(12), tag(13)]


def _worker(settings):
    return Worker(settings)


def _manager():
    with db.write():
        return Employee.create(name="Femi Adeyemi", badge="9006", pin_hash="x",
                               roles="manager", created_at=clock.now())


def test_moves_for_many_packages_go_ten_per_request(sync_settings, sandbox, message, reload,
                                                    fixed_clock):
    sandbox.world.adopt(["Vault A2"], [
        {"tag": f"1A4060300000000000{n:06d}", "quantity": 5, "unit": "Each",
         "location": "Vault A1"} for n in range(25)])
    msgs = [message("package.location", {"tag": f"1A4060300000000000{n:06d}",
                                         "location_name": "Vault A2", "date": "2026-11-23"})
            for n in range(25)]
    _worker(sync_settings).drain()
    puts = [r for r in sandbox.requests if r == ("PUT", "/packages/v2/location")]
    assert len(puts) == 3
    assert all(reload(m).status == "delivered" for m in msgs)
    assert all(sandbox.world.packages[m.payload["tag"]]["LocationName"] == "Vault A2"
               for m in msgs)


def test_messages_for_one_package_are_sent_in_order(sync_settings, sandbox, message,
                                                    fixed_clock):
    t = ON_HAND[0]
    for place in ("Vault A2", "Sales Floor", "Vault A1", "Quarantine"):
        message("package.location", {"tag": t, "location_name": place})
    message("package.adjust", {"tag": t, "quantity": -1, "unit": "Each", "reason": "Drying"})
    message("package.note", {"tag": t, "note": "last"})
    _worker(sync_settings).drain()
    applied = [(path.rsplit("/", 1)[1], obj) for path, obj, _ in sandbox.world.applied]
    assert [(p, o.get("Location") or o.get("Note") or o.get("AdjustmentReason"))
            for p, o in applied] == [
        ("location", "Vault A2"), ("location", "Sales Floor"), ("location", "Vault A1"),
        ("location", "Quarantine"), ("adjust", "Drying"), ("note", "last")]


def test_a_refused_row_needs_a_person_and_blocks_only_its_package(sync_settings, sandbox,
                                                                   message, reload,
                                                                   fixed_clock):
    bad = message("package.adjust", {"tag": ON_HAND[0], "quantity": -1, "unit": "Each",
                                     "reason": "Lost in space"})
    later_same = message("package.note", {"tag": ON_HAND[0], "note": "after the bad one"})
    good = message("package.adjust", {"tag": ON_HAND[1], "quantity": -2, "unit": "Each",
                                      "reason": "Drying"})
    _worker(sync_settings).drain()
    bad = reload(bad)
    assert bad.status == "attention"
    assert bad.last_error == (f"Metrc refused this for {ON_HAND[0]}: Adjustment reason "
                              "'Lost in space' is not valid for this facility.")
    assert reload(good).status == "delivered"
    assert reload(later_same).status == "pending", "blocked behind its package's parked message"
    assert sandbox.world.packages[ON_HAND[1]]["Quantity"] == 48
    summary = outbox.summary()
    assert summary["attention"] == 1 and summary["pending"] == 1

    manager = _manager()
    outbox.resolve(bad.id, manager, "Entered by hand in Metrc")
    _worker(sync_settings).drain()
    assert reload(later_same).status == "delivered"
    entry = AuditEntry.select().where(AuditEntry.action == "sync.resolve").get()
    assert entry.actor_name == "Femi Adeyemi" and entry.detail["why"] == "Entered by hand in Metrc"


def test_a_retried_message_is_sent_again_after_the_cause_is_fixed(sync_settings, sandbox,
                                                                  message, reload, fixed_clock):
    note_needed = message("package.adjust", {"tag": ON_HAND[0], "quantity": -1, "unit": "Each",
                                             "reason": "Theft", "note": ""})
    _worker(sync_settings).drain()
    assert "A note is required" in reload(note_needed).last_error
    sandbox.world.reasons["Theft"]["requires_note"] = False  # the state changed its rule
    outbox.retry(note_needed.id, _manager(), "rule changed")
    _worker(sync_settings).drain()
    assert reload(note_needed).status == "delivered"
    assert AuditEntry.select().where(AuditEntry.action == "sync.retry").count() == 1


def test_backoff_is_capped_and_jittered():
    samples = [outbox.backoff(n) for n in range(1, 30) for _ in range(5)]
    assert max(samples) <= outbox.BACKOFF_CAP
    late = {round(outbox.backoff(20), 3) for _ in range(20)}
    assert len(late) > 1 and min(late) >= outbox.BACKOFF_CAP / 2


def test_a_429_storm_is_waited_out_as_metrc_asks(sync_settings, sandbox, message, reload,
                                                 fixed_clock):
    msgs = [message("package.adjust", {"tag": ON_HAND[n % 3], "quantity": -1, "unit": "Each",
                                       "reason": "Drying"}) for n in range(30)]
    sandbox.faults.rate_limited, sandbox.faults.retry_after = 5, 30
    worker = _worker(sync_settings)
    for _ in range(5):
        sent_before = len(sandbox.requests)
        worker.drain()
        assert len(sandbox.requests) == sent_before + 1, "one probe, then wait as told"
        paused = dt.datetime.fromisoformat(outbox.health("metrc")["paused_until"])
        assert paused == clock.now() + dt.timedelta(seconds=30)
        fixed_clock.advance(seconds=15)
        before = len(sandbox.requests)
        worker.drain()
        assert len(sandbox.requests) == before, "nothing sent before Retry-After passed"
        fixed_clock.advance(seconds=16)
    worker.drain()
    assert all(reload(m).status == "delivered" for m in msgs)
    assert len(sandbox.world.adjustments) == 30
    assert [a["PackageLabel"] for a in sandbox.world.adjustments].count(ON_HAND[0]) == 10


def test_an_adjustment_applied_but_unanswered_is_not_sent_twice(sync_settings, sandbox,
                                                                message, reload, fixed_clock):
    msgs = [message("package.adjust", {"tag": ON_HAND[n], "quantity": -1, "unit": "Each",
                                       "reason": "Drying"}) for n in range(3)]
    sandbox.faults.drop_writes = 1
    worker = _worker(sync_settings)
    worker.drain()
    assert len(sandbox.world.adjustments) == 3, "Metrc applied the batch"
    assert all(reload(m).status == "pending" for m in msgs), "but we never heard"
    assert "broke before it answered" in reload(msgs[0]).last_error
    fixed_clock.advance(minutes=10)
    worker.drain()
    assert all(reload(m).status == "delivered" for m in msgs)
    assert len(sandbox.world.adjustments) == 3
    assert sandbox.requests.count(("POST", "/packages/v2/adjust")) == 1
    assert ("GET", "/packages/v2/adjustments") in sandbox.requests


def test_a_receipt_applied_but_unanswered_is_found_by_its_external_number(
        sync_settings, sandbox, message, reload, fixed_clock):
    sale = message("sale.receipt", {"sold_at": "2026-11-23T10:15:00.000", "lines": [
        {"tag": ON_HAND[0], "quantity": 1, "unit": "Each", "amount": 35}]}, ordering_key="")
    sandbox.faults.drop_writes = 1
    worker = _worker(sync_settings)
    worker.drain()
    fixed_clock.advance(minutes=10)
    worker.drain()
    assert reload(sale).status == "delivered"
    assert [r["ExternalReceiptNumber"] for r in sandbox.world.receipts] == [sale.external_key]
    assert ("GET", f"/sales/v2/receipts/external/{sale.external_key}") in sandbox.requests


def test_an_unapplied_write_after_a_lost_answer_is_sent_again(sync_settings, sandbox, message,
                                                             reload, fixed_clock):
    m = message("package.adjust", {"tag": ON_HAND[0], "quantity": -1, "unit": "Each",
                                   "reason": "Drying"})
    sandbox.faults.errors_500 = 1  # a 500 is ambiguous: maybe applied; here it was not
    worker = _worker(sync_settings)
    worker.drain()
    fixed_clock.advance(minutes=10)
    worker.drain()
    assert reload(m).status == "delivered"
    assert len(sandbox.world.adjustments) == 1


def test_two_workers_on_sqlite_never_claim_the_same_message(sync_settings, message,
                                                            fixed_clock):
    import threading

    for n in range(60):
        message("package.note", {"tag": f"1A4060300000000055{n:06d}", "note": "x"})
    claims, errors = [], []

    def take(name):
        try:
            with db.connection():
                while batch := outbox.claim(("metrc",), name, limit=7):
                    claims.append((name, [m.id for m in batch]))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=take, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ids = [i for _, batch in claims for i in batch]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 60


def test_sales_reconciliation_flags_tags_where_pos_and_metrc_differ(sync_settings, sandbox,
                                                                    fixed_clock):
    from kiosk.models.sync import Discrepancy
    from kiosk.sync import pos, reconcile
    from kiosk.sync.metrc import MetrcClient

    client = MetrcClient.from_settings(sync_settings)
    client.create_receipts([{"SalesDateTime": "2026-11-23T10:15:00.000",
                             "ExternalReceiptNumber": "R-1", "SalesCustomerType": "Consumer",
                             "Transactions": [{"PackageLabel": ON_HAND[0], "Quantity": 2,
                                               "UnitOfMeasure": "Each", "TotalAmount": 70}]}])
    pos.record_sale("csv", "R-1", ON_HAND[0], 2, "2026-11-23T10:15:00")
    pos.record_sale("csv", "R-2", ON_HAND[1], 1, "2026-11-23T11:00:00")
    fixed_clock.advance(hours=6)
    start = dt.datetime(2026, 11, 23)
    found = reconcile.sales(client, start, start + dt.timedelta(days=1))
    assert found == [(ON_HAND[1], "sold quantity (POS vs Metrc)", "1", "0")]
    assert Discrepancy.get().tag == ON_HAND[1]


def test_a_refusal_without_row_numbers_is_pinned_on_the_right_message(
        sync_settings, sandbox, message, reload, fixed_clock, monkeypatch):
    ok = message("package.location", {"tag": ON_HAND[0], "location_name": "Vault A2"})
    # An undocumented field name: Metrc answers with one general message, no row number.
    odd = message("package.location", {"tag": ON_HAND[1], "location_name": "Vault A2"})
    from kiosk.sync import delivery

    original = delivery.WRITES["package.location"]

    def build(m):
        obj = original[0](m)
        if m.id == odd.id:
            obj["LocationName"] = obj.pop("Location")
        return obj

    monkeypatch.setitem(delivery.WRITES, "package.location", (build, *original[1:]))
    _worker(sync_settings).drain()
    assert reload(ok).status == "delivered"
    assert reload(odd).status == "attention"
    assert reload(odd).last_error == (
        f"Metrc refused this for {ON_HAND[1]}: row 0: field 'LocationName' is not documented "
        "for this call (HTTP 400)")
    assert sandbox.requests.count(("PUT", "/packages/v2/location")) == 3


def test_a_message_with_broken_data_is_parked_not_sent(sync_settings, sandbox, message, reload,
                                                       fixed_clock):
    broken = message("package.location", {"location_name": "Vault A2"}, ordering_key="x")
    fine = message("package.location", {"tag": ON_HAND[0], "location_name": "Vault A2"})
    sandbox.faults.errors_500 = 1  # the good one fails this round; the broken one stays parked
    _worker(sync_settings).drain()
    assert reload(broken).status == "attention"
    assert reload(broken).last_error == ("This message cannot be sent: its data lacks or "
                                         "garbles 'tag'.")
    assert reload(fine).status == "pending"


def test_a_slow_metrc_times_out_and_the_late_write_is_not_doubled(sync_settings, sandbox,
                                                                 message, reload, fixed_clock):
    m = message("package.adjust", {"tag": ON_HAND[2], "quantity": -3, "unit": "Each",
                                   "reason": "Drying"})
    sandbox.faults.delay = 1.0
    worker = Worker({**sync_settings, "metrc_timeout": 0.3})
    worker.drain()
    assert reload(m).last_error == "Metrc did not answer within 0.3 seconds."
    deadline = time.monotonic() + 5
    while not sandbox.world.adjustments and time.monotonic() < deadline:
        time.sleep(0.05)  # Metrc finishes the write after we stopped listening
    sandbox.faults.delay = 0
    fixed_clock.advance(minutes=10)
    worker.drain()
    assert reload(m).status == "delivered"
    assert len(sandbox.world.adjustments) == 1
    assert sandbox.world.packages[ON_HAND[2]]["Quantity"] == 27

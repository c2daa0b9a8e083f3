"""'Step n of m' on the receiving screens counts the steps this delivery will go through, not
the twenty the procedure has for every case."""

from __future__ import annotations

from receiving_helpers import manifest


def shown(r) -> str:
    return r.page().select_one(".steptitle span:last-child").get_text()


def test_a_clean_delivery_counts_only_its_own_steps(receive, load):
    load(manifest(packages=2))
    r = receive()
    # Nothing is known yet: everything may still come but the two detours (a reject reason, a
    # stopped delivery) and the shelf scan, which needs a package in hand.
    assert shown(r) == "Step 1 of 17"
    r.open("0000300001")
    # Delivery, transport, order, cases, then this package's four, the missing-package
    # question while some are unscanned, review, sign, slip and Metrc. Quarantine, putaway,
    # the witness and labels do not apply (yet): nothing is rejected or accepted.
    assert r.at == "package" and shown(r) == "Step 5 of 13"
    r.check("1A4050900000000000000001", 48)
    # One package accepted: it has to be put away and labelled.
    assert r.at == "package" and shown(r) == "Step 5 of 15"
    r.check("1A4050900000000000000002", 48)
    # Nothing is missing now; the shelf is counted once a package is in hand.
    assert r.at == "putaway" and shown(r) == "Step 9 of 14"
    r.ok("putaway", value="1A4050900000000000000001")
    assert r.at == "shelf" and shown(r) == "Step 10 of 15"

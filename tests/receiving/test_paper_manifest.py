"""The state system is down: record the driver's paper manifest, then receive it."""

from __future__ import annotations

from receiving_helpers import manifest

from kiosk import demo, engine
from kiosk.models import LabResult, Transfer, TransferPackage

TAG = "1A4088800{:015d}"


def test_paper_manifest_then_receive_it(receive, load, kiosk):
    # A known shipper (we have an order from them): its name is filled in.
    load(manifest("0000300009", packages=1, prefix="1A4077700"))
    p = receive(workflow="paper_manifest")
    p.ok("number", value="0000412345")
    assert Transfer.get(Transfer.manifest_number == "0000412345").status == "draft"
    assert p.refused("shipper", value="C11 0000222") == (
        "C11 0000222 is not in the right form. It should look like C11-0000222-LIC.")
    assert p.ok("shipper", value="c11-0000222-lic") == "Shipper: Golden Coast Distribution."
    assert p.at == "driver"  # the name is known, so that question is skipped
    assert p.refused("driver", value="   ") == "Type the answer, then press Enter."
    p.ok("driver", value="Dana  Reyes")
    p.ok("vehicle", value="Ford Transit 8ABC123")
    p.ok("cases", value="1")
    assert p.refused("tag", value="__finish__") == "Scan at least one package before finishing."
    assert p.refused("tag", value="1A4077700000000000000001") == (
        "Package 1A4077700000000000000001 is on manifest 0000300009 from Golden Coast "
        "Distribution; receive that delivery instead.")
    p.ok("tag", value=TAG.format(1))
    # The items on the shipper's order are buttons; a tap sends the item's barcode.
    assert p.buttons() == ["Blue Dream 3.5g Jar"]
    assert p.refused("item", value="00850012999997").startswith("No item in this store has")
    p.ok("item", value=demo.demo_upc(1), source="tapped")
    assert p.refused("quantity", value="10.5") == (
        "A count of 10.5 is not possible here: enter a whole number of units from 0 to 99,999.")
    p.ok("quantity", value="24")
    p.ok("coa", value="pass")
    p.ok("tag", value=TAG.format(2))
    p.ok("item", value=demo.demo_upc(1))
    p.ok("quantity", value="24")
    p.ok("coa", value="fail", reason="Driver had no COA for this batch")
    assert p.refused("tag", value=TAG.format(2)) == (
        f"Package {TAG.format(2)} is already on this manifest. Scan the next one.")
    p.ok("tag", value="__finish__")
    assert p.do("sign", badge="1001", pin="1234")["tone"] == "ok"
    assert p.at == "completed"
    paper = Transfer.get(Transfer.manifest_number == "0000412345")
    assert (paper.source, paper.status, paper.shipper_name, paper.driver_name, paper.case_count) \
        == ("paper", "incoming", "Golden Coast Distribution", "Dana Reyes", 1)
    assert [(tp.tag, tp.shipped_quantity) for tp in paper.packages.order_by(TransferPackage.id)] \
        == [(TAG.format(1), 24), (TAG.format(2), 24)]
    assert LabResult.get(LabResult.tag == TAG.format(1)).source == "paper"

    r = receive()
    assert any(b.startswith("0000412345") for b in r.buttons())
    r.open("0000412345")
    r.check(TAG.format(1), 24)
    r.ok("package", value=TAG.format(2))
    r.ok("condition", value="intact")
    r.ok("units", value="24")
    assert r.buttons()[0] == "Reject: No COA"


def test_text_step_and_options_for_are_checked():
    def pick(run):
        """Two buttons."""
        return [engine.Option("a", "A")]

    broken = engine.Workflow(
        key="t", title="T", sop="SOP", version=1, roles=("manager",),
        steps=(engine.choose("c", "Pick", (), options_for=lambda run: []),
               engine.choose("d", "Pick", ()), engine.text("e", "Type"),
               engine.choose("f", "Pick", (), options_for=pick)))
    problems = engine.check(broken)
    assert any("c: <lambda> needs a name" in p for p in problems)
    assert "d: a choose step needs options" in problems
    assert not any(p.startswith(("e:", "f:")) for p in problems)
    assert "Two buttons." in engine.describe(broken)

"""The README's "Try each procedure" names tags that work in the demo store: a newcomer who
scans them is taken, not told to call a manager."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from receiving_helpers import feedback

from kiosk import demo
from kiosk.models import Package, Run, Transfer, TransferPackage
from kiosk.sync import sandbox_data

README = Path(__file__).resolve().parents[2] / "README.md"
TAG = re.compile(r"`(1A4[0-9A-Z]{21})`")


def guide(procedure: str) -> str:
    """The README's bullet for one procedure."""
    text = README.read_text()
    section = text[text.index("### Try each procedure"):text.index("## What it does")]
    match = re.search(rf"^- \*\*{re.escape(procedure)}\*\*(.*?)(?=^- \*\*|\Z)", section,
                      re.S | re.M)
    assert match, f"the README's guide has no bullet for {procedure}"
    return " ".join(match.group(1).split())


@pytest.fixture
def demo_store(database, fixed_clock):
    demo.build(packages=320)


def step(kiosk, run_id, step_id, value):
    answer = feedback(kiosk.step(run_id, step_id, value=value, source="typed"))
    assert answer["tone"] in ("ok", "done"), (step_id, value, answer)


def start(kiosk, workflow):
    kiosk.post("/runs", {"workflow": workflow})
    return Run.select().order_by(Run.id.desc()).get().id


def test_the_receiving_tags_are_on_the_deliveries_it_names(demo_store, kiosk):
    text = guide("Receive a delivery")
    named = set(re.findall(r"MAN-(\d{10})", text))
    sandbox = {t["manifest_number"]: {p["tag"] for p in t["packages"]}
               for t in sandbox_data.demo_data()["transfers"]}
    assert named == {"0000205101", "0000205102"} and set(sandbox) <= set(re.findall(
        r"`(\d{10})`", text))
    on_demo = {tp.tag: tp.transfer.manifest_number for tp in TransferPackage.select()}
    tags = TAG.findall(text)
    assert len(tags) >= 10
    for tag in tags:
        assert tag in on_demo or any(tag in s for s in sandbox.values()), tag
        assert Package.get_or_none(Package.tag == tag) is None, f"{tag} is already in stock"
    # Each named delivery takes the first tag the guide gives for it.
    kiosk.login("1001", "1234")
    for number in sorted(named):
        run_id = start(kiosk, "receiving")
        step(kiosk, run_id, "delivery", f"MAN-{number}")
        step(kiosk, run_id, "transport", "pass")
        step(kiosk, run_id, "order", "")
        step(kiosk, run_id, "cases", "1")
        first = next(t for t in tags if on_demo.get(t) == number)
        step(kiosk, run_id, "package", first)
        assert Run.get_by_id(run_id).current_step == "condition"


def test_the_moving_tags_are_in_stock_and_move_where_it_says(demo_store, kiosk):
    text = guide("Move packages")
    moves = re.findall(r"`(1A4[0-9A-Z]{21})`[^`→]*→ `(LOC-[A-Z0-9-]+)`", text)
    assert len(moves) == 2
    for tag in TAG.findall(text):
        assert Package.get(Package.tag == tag).status == "active"
    kiosk.login("1003", "3456")
    for tag, place in moves:
        run_id = start(kiosk, "move_package")
        step(kiosk, run_id, "package", tag)
        step(kiosk, run_id, "destination", place)
        assert Package.get(Package.tag == tag).location.code == place


def test_the_paper_manifest_example_is_new_to_the_demo(demo_store):
    text = guide("Paper manifest")
    (number,) = re.findall(r"`(\d{10})`", text)
    assert Transfer.get_or_none(Transfer.manifest_number == number) is None
    for tag in TAG.findall(text):
        assert Package.get_or_none(Package.tag == tag) is None
        assert TransferPackage.get_or_none(TransferPackage.tag == tag) is None
    upc, item = re.search(r"`(\d{12})` is ([^)]+?)\)?\.?$", text).groups()
    assert demo.demo_upc(next(i for i, row in enumerate(demo.ITEMS, 1) if row[2] == item)) \
        == upc

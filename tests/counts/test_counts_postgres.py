"""Counts on a real PostgreSQL server (the chain set-up): the migration, the demo's morning
spot count worked through the workflow with its recount and signatures, the variances it
leaves, a package's history, and the list of figures that disagree."""

from __future__ import annotations

from kiosk import db, demo, demo_counts, figures, variances
from kiosk.models import Count, CountLine, Variance


def test_a_count_and_its_variances_on_postgres(postgres_url):
    db.init(postgres_url)
    assert "0100_counts" in db.upgrade()
    with db.connection():
        demo.build(packages=60)
        demo_counts.seed()
        spot = Count.get(Count.title == "Spot count of 8 packages")
        assert spot.status == "closed" and CountLine.select().where(
            CountLine.count == spot.id).count() == 8
        found = {v.tag: (v.kind, v.state, v.recount) for v in Variance.select()}
        assert found[demo_counts.NOT_FOUND] == ("missing", "investigating", "confirmed")
        assert found[demo_counts.MISCOUNTED] == ("quantity", "closed", "cleared")
        assert found[demo.demo_tag(6)][1] == "investigating"  # the POS and Metrc are off
        history = variances.timeline(demo.demo_tag(6))
        assert [row[1].split(" ")[0] for row in history] == ["Received", "Counted", "Recounted"]
        rows, total, compared = figures.disagreements()
        assert {r.tag for r in rows} >= {demo.demo_tag(3), demo.demo_tag(6)}
        assert compared == 60 and total == len(rows)
        assert [v.tag for v in variances.open_variances()][:1] == [min(
            v.tag for v in Variance.select().where(Variance.state == "investigating"))]
    db.database.close_all()

"""A print step shows a few previews (one of each layout first) and counts the rest."""

from kiosk.views.runs import PREVIEWS_SHOWN, _previews


def test_previews_are_capped_and_cover_every_layout(app):
    jobs = [{"layout": "package_label", "data": {"tag": f"1A40603000000000000{n:05d}",
                                                 "item": "Gummies"}} for n in range(30)]
    jobs.append({"layout": "receiving_slip", "data": {"manifest": "0000205101",
                                                      "packages": []}})
    with app.test_request_context():
        shown = _previews(jobs)
    assert len(shown) == PREVIEWS_SHOWN
    assert [p["layout"] for p in shown][:2] == ["package_label", "receiving_slip"]
    assert all(p["html"] for p in shown)

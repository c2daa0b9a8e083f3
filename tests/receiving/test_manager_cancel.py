"""A manager cancels someone's delivery from Open runs: it is undone exactly as when the
receiver cancels it, and the manager is told what was undone."""

from __future__ import annotations

from bs4 import BeautifulSoup
from receiving_helpers import manifest

from kiosk.models import Package, Run, Transfer

TAG = "1A4050900{:015d}"


def test_a_manager_cancel_undoes_the_delivery_and_says_what(receive, load, kiosk):
    load(manifest(packages=2))
    r = receive()
    r.open("0000300001")
    r.check(TAG.format(1), 48)
    assert Package.get(Package.tag == TAG.format(1)).quantity == 48
    kiosk.login("1006", "6789")  # Femi, a manager, at the same screen
    response = kiosk.post(f"/manager/runs/{r.run_id}/cancel",
                          {"reason": "Left open at the end of a shift"})
    notice = BeautifulSoup(response.data, "html.parser").select_one("#runs .feedback")
    assert notice["class"] == ["feedback", "warn"]
    words = notice.get_text(" ", strip=True)
    assert words.startswith(f"! Receive a delivery (run {r.run_id}) is cancelled: Left open at "
                            "the end of a shift. Manifest 0000300001 is back among the expected "
                            "deliveries. The stock of its 1 checked package is reversed")
    assert Run.get_by_id(r.run_id).status == "cancelled"
    assert Transfer.get(Transfer.manifest_number == "0000300001").status == "incoming"
    assert Package.get(Package.tag == TAG.format(1)).quantity == 0

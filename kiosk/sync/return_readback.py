"""Reading a return to vendor back from Metrc.

Metrc's California API lets a retailer list its outgoing transfers but not create one: a
person enters the return in Metrc's own screen from the RTV slip and types the manifest
number Metrc gave it into the kiosk. The syncer then finds that manifest among the outgoing
transfers, reads its packages and compares them with the return's: a package missing from
Metrc's manifest, one on it that did not leave, or a quantity that differs becomes a
``Discrepancy`` on the manager screen, as receiving's read-back does.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kiosk import clock
from kiosk.sync import readback

SEARCH_BACK = dt.timedelta(days=14)


def _delivery_ids(client, manifest: str, since: dt.datetime) -> list[int]:
    end = clock.now()
    start = max(end - SEARCH_BACK, since - dt.timedelta(days=1))
    while end > start:
        window = max(start, end - dt.timedelta(hours=24))  # Metrc's widest list window
        found = [row["DeliveryId"] for row in client.outgoing_transfers(window, end)
                 if row.get("ManifestNumber") == manifest and row.get("DeliveryId")]
        if found:
            return found
        end = window
    return []


def compare(ours: list[dict], theirs: dict[str, dict]) -> list[tuple]:
    """(tag, field, ours, theirs) for each difference between the return and Metrc's."""
    differences = []
    for line in ours:
        row = theirs.get(line["tag"])
        if row is None:
            differences.append((line["tag"], "missing", f"returned, {line['quantity']} "
                                f"{line['unit']}", "not on Metrc's manifest"))
            continue
        shipped = row.get("ShippedQuantity")
        if shipped is None or abs(Decimal(str(shipped)) - Decimal(line["quantity"])) > \
                readback.TOLERANCE:
            differences.append((line["tag"], "quantity", line["quantity"], str(shipped)))
    known = {line["tag"] for line in ours}
    differences += [(tag, "extra", "not on our return", "on Metrc's manifest")
                    for tag in theirs if tag not in known]
    return differences


def check(client, message) -> tuple[bool, str]:
    """Read the return back; returns (finished, a sentence for the screen)."""
    payload = message.payload
    manifest = payload["manifest_number"]
    deliveries = _delivery_ids(client, manifest, message.created_at)
    if not deliveries:
        return False, (f"Manifest {manifest} ({payload.get('return', 'the return')}) is not "
                       "among Metrc's outgoing transfers yet; looking again later.")
    theirs = {}
    for delivery_id in deliveries:
        for row in client.delivery_packages(delivery_id):
            theirs[row["PackageLabel"]] = row
    differences = compare(list(payload.get("packages") or []), theirs)
    readback.flag(manifest, differences, message.id)
    if differences:
        return True, f"{len(differences)} difference(s) flagged on return manifest {manifest}."
    return True, f"Return manifest {manifest} matches Metrc."

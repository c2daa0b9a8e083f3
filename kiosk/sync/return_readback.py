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
from kiosk.words import Phrase, _, kept_forms

SEARCH_BACK = dt.timedelta(days=14)
# What a return's read-back says (kept as the message's last error, in English, and said
# again in the reader's language on the sync screen), and the words its differences keep.
NOT_YET = _("Manifest {manifest} ({ret}) is not among Metrc's outgoing transfers yet; looking "
            "again later.")
FLAGGED = _("{flagged} difference(s) flagged on return manifest {manifest}.")
MATCHES = _("Return manifest {manifest} matches Metrc.")
kept_forms(NOT_YET, FLAGGED, MATCHES)
KEPT = (_("quantity"), _("extra"), _("not on our return"), _("not on Metrc's manifest"),
        _("the return"))


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
        return False, Phrase(NOT_YET.message, {"manifest": manifest,
                                               "ret": str(payload.get("return", "the return"))})
    theirs = {}
    for delivery_id in deliveries:
        for row in client.delivery_packages(delivery_id):
            theirs[row["PackageLabel"]] = row
    differences = compare(list(payload.get("packages") or []), theirs)
    readback.flag(manifest, differences, message.id)
    if differences:
        return True, Phrase(FLAGGED.message, {"flagged": str(len(differences)),
                                              "manifest": manifest})
    return True, Phrase(MATCHES.message, {"manifest": manifest})

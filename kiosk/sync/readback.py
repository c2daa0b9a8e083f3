"""Reading a received transfer back from Metrc and flagging what differs from our record.

Metrc has no call to accept or reject an incoming transfer: a person does that in Metrc's own
screen. So after our receiving sign-off writes a ``transfer.received`` message, the syncer
reads the delivery's packages back and compares each one's state and received quantity with
what our receiving workflow recorded. Differences become ``Discrepancy`` rows that stay on the
manager screen until a person resolves them; while Metrc still shows packages as shipped the
message waits, visibly, with a sentence saying so.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kiosk import clock, ledger
from kiosk.db import write
from kiosk.models import Transfer, TransferPackage
from kiosk.models.sync import Discrepancy
from kiosk.words import Known, Phrase, _, kept_forms

TOLERANCE = Decimal("0.0001")

# What a read-back says; the sentence is kept as the message's last error, in English, and
# said again in the reader's language on the sync screen (``Known``).
NOT_YET = _("Manifest {manifest} is not among Metrc's incoming transfers to us yet; looking "
            "again later.")
WAITING = _("Waiting for manifest {manifest} to be received in Metrc ({waiting} of {shipped} "
            "packages still shown as shipped there).")
FLAGGED_WAITING = _("{flagged} difference(s) flagged on manifest {manifest}; waiting for "
                    "{waiting} package(s) still shown as shipped in Metrc.")
FLAGGED = _("{flagged} difference(s) flagged on manifest {manifest}.")
MATCHES = _("Manifest {manifest} matches Metrc.")
kept_forms(NOT_YET, WAITING, FLAGGED_WAITING, FLAGGED, MATCHES)
# The words a difference keeps (its field, and what each side shows).
KEPT = (_("missing"), _("state"), _("received quantity"), _("on our manifest"),
        _("not on Metrc's"), _("not recorded by us"), _("on Metrc's manifest"), _("accepted"),
        _("rejected"), _("shipped"))


def _filled(message: Phrase, **args) -> Phrase:
    return Phrase(message.message, args)


def _ours(message) -> tuple[Transfer | None, list[dict]]:
    payload = message.payload
    transfer = Transfer.get_or_none(Transfer.manifest_number == payload.get("manifest_number"))
    if transfer is not None:
        rows = [{"tag": p.tag, "state": p.state, "received_quantity": p.received_quantity,
                 "unit": p.shipped_unit}
                for p in TransferPackage.select().where(TransferPackage.transfer == transfer)]
        if rows:
            return transfer, rows
    return transfer, list(payload.get("packages") or [])


SEARCH_BACK = dt.timedelta(days=14)  # how far back a manifest without Metrc's ids is sought


def _delivery_ids(client, transfer: Transfer | None, payload: dict) -> list[int]:
    """Metrc's delivery ids for the manifest: kept from the pull, or looked up by its
    transfer id, or, for a manifest we hold without Metrc's ids (typed from paper), found by
    its number among the incoming transfers of the last weeks and kept. [] if not found."""
    if transfer is not None and transfer.metrc_delivery_id:
        return [transfer.metrc_delivery_id]
    transfer_id = payload.get("transfer_id") or (transfer.metrc_transfer_id if transfer else None)
    if transfer_id:
        return [row["Id"] for row in client.transfer_deliveries(int(transfer_id))]
    manifest = payload.get("manifest_number", "")
    end = clock.now()
    start = end - SEARCH_BACK
    if transfer is not None and transfer.created_at:
        start = max(start, transfer.created_at - dt.timedelta(days=2))
    while end > start:
        window = max(start, end - dt.timedelta(hours=24))  # Metrc's widest list window
        for row in client.incoming_transfers(window, end):
            if row.get("ManifestNumber") == manifest and row.get("DeliveryId"):
                if transfer is not None:
                    with write():
                        Transfer.update(metrc_transfer_id=row.get("Id"),
                                        metrc_delivery_id=row["DeliveryId"]).where(
                            Transfer.id == transfer.id).execute()
                return [row["DeliveryId"]]
        end = window
    return []


def _quantity(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def compare(ours: list[dict], theirs: dict[str, dict]) -> tuple[list[tuple], int]:
    """Differences as ``(tag, field, ours, theirs)`` and how many packages Metrc still shows
    as shipped (not yet received there)."""
    differences, waiting = [], 0
    for pkg in ours:
        row = theirs.get(pkg["tag"])
        if row is None:
            differences.append((pkg["tag"], "missing", "on our manifest", "not on Metrc's"))
            continue
        state = (row.get("ShipmentPackageState") or "").lower()
        if state == "shipped":
            waiting += 1
            continue
        if state != (pkg.get("state") or "").lower():
            differences.append((pkg["tag"], "state", pkg.get("state") or "", state))
            continue
        if state == "accepted":
            mine = _quantity(pkg.get("received_quantity"))
            metrc = _quantity(row.get("ReceivedQuantity"))
            if mine is None or metrc is None or abs(mine - metrc) > TOLERANCE:
                differences.append((pkg["tag"], "received quantity",
                                    "" if mine is None else f"{mine.normalize():f}",
                                    "" if metrc is None else f"{metrc.normalize():f}"))
    known = {p["tag"] for p in ours}
    for tag in theirs:
        if tag not in known:
            differences.append((tag, "missing", "not recorded by us", "on Metrc's manifest"))
    return differences, waiting


def check(client, message) -> tuple[bool, str]:
    """Read the transfer back; returns (finished, a sentence for the screen)."""
    payload = message.payload
    manifest = payload.get("manifest_number", "")
    transfer, ours = _ours(message)
    theirs = {}
    deliveries = _delivery_ids(client, transfer, payload)
    if not deliveries:
        return False, _filled(NOT_YET, manifest=manifest)
    for delivery_id in deliveries:
        for row in client.delivery_packages(delivery_id):
            theirs[row["PackageLabel"]] = row
    differences, waiting = compare(ours, theirs)
    if waiting and not differences:
        return False, _filled(WAITING, manifest=manifest, waiting=str(waiting),
                              shipped=str(len(theirs)))
    flagged = flag(manifest, differences, message.id)
    if waiting:
        return False, _filled(FLAGGED_WAITING, flagged=str(flagged), manifest=manifest,
                              waiting=str(waiting))
    if differences:
        return True, _filled(FLAGGED, flagged=str(len(differences)), manifest=manifest)
    return True, _filled(MATCHES, manifest=manifest)


def flag(manifest: str, differences: list[tuple], message_id: int | None) -> int:
    """Record new differences (an open one is never recorded twice); returns how many."""
    now = clock.now()
    added = 0
    with write():
        for tag, field, ours, theirs in differences:
            exists = Discrepancy.select().where(
                Discrepancy.manifest_number == manifest, Discrepancy.tag == tag,
                Discrepancy.field == field, Discrepancy.resolved_at.is_null()).exists()
            if not exists:
                Discrepancy.create(manifest_number=manifest, tag=tag, field=field, ours=ours,
                                   theirs=theirs, message_id=message_id, detected_at=now)
                added += 1
    return added


def describe(d: Discrepancy) -> str:
    """One sentence for the manager screen."""
    if d.field == "missing":
        return _("Package {tag} is {ours} but {theirs}.", tag=d.tag, ours=Known(d.ours),
                 theirs=Known(d.theirs))
    nothing = _("nothing")
    return _("Package {tag}: we recorded {field} {ours}, Metrc shows {theirs}.", tag=d.tag,
             field=Known(d.field), ours=Known(d.ours) if d.ours else nothing,
             theirs=Known(d.theirs) if d.theirs else nothing)


def resolve(discrepancy_id: int, actor, why: str, station: str = "") -> Discrepancy:
    """A person explains a difference (fixed in Metrc, recount, ...); who and why are kept."""
    if not why.strip():
        raise ValueError(_("Say how this difference was resolved."))
    with write():
        d = Discrepancy.get_by_id(discrepancy_id)
        if d.resolved_at is not None:
            raise ValueError(_("This difference is already resolved."))
        Discrepancy.update(resolved_at=clock.now(), resolved_by_id=actor.id,
                           resolved_note=why).where(Discrepancy.id == d.id).execute()
        ledger.audit("sync.discrepancy.resolve", f"manifest:{d.manifest_number}",
                     {"tag": d.tag, "field": d.field, "ours": d.ours, "theirs": d.theirs,
                      "why": why}, actor=actor, station=station)
    return Discrepancy.get_by_id(discrepancy_id)

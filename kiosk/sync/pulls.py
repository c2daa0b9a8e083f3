"""Pulling incoming transfers, their packages and lab results from Metrc into local manifests.

Runs every few minutes from the worker and on demand from the receiving screen. Windows are
at most 24 hours (both ``lastModified`` bounds always sent) and overlap the previous pull by
ten minutes so a record modified at the edge is not missed. All network calls happen before
the write transaction, so the database's single writer is never held while Metrc thinks.
A manifest already being received is left alone: what Metrc says after that is the
read-back's business.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kiosk import clock, manifests
from kiosk.db import connection, write
from kiosk.models import Item, LabResult, Transfer, TransferPackage
from kiosk.models.sync import SyncState
from kiosk.sync.metrc import MetrcClient, MetrcError
from kiosk.words import _, n_

WINDOW = dt.timedelta(hours=24)
OVERLAP = dt.timedelta(minutes=10)
FIRST_LOOK_BACK = dt.timedelta(days=7)
STATE_KEY = "pull:transfers"


def _time(value) -> dt.datetime | None:
    """One of our own times kept in ``SyncState`` (naive UTC)."""
    return dt.datetime.fromisoformat(str(value)) if value else None


def _facility_time(value) -> dt.datetime | None:
    """A time from Metrc, as naive UTC. Metrc writes a transfer's and a lab test's times on
    the facility's clock without an offset (``2026-11-23T13:00:00.000``); one that carries
    an offset or ``Z`` says so itself."""
    if not value:
        return None
    return clock.to_utc(dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")))


def _windows(start: dt.datetime, end: dt.datetime):
    while start < end:
        yield start, min(end, start + WINDOW)
        start += WINDOW


def last_pull() -> dict:
    row = SyncState.get_or_none(SyncState.key == STATE_KEY)
    return dict(row.value) if row else {}


def _fetch(client: MetrcClient, now: dt.datetime) -> dict[str, dict]:
    """Every incoming delivery changed since the last pull, with packages and lab results."""
    previous = _time(last_pull().get("end"))
    start = (previous - OVERLAP) if previous else now - FIRST_LOOK_BACK
    found: dict[str, dict] = {}
    for lo, hi in _windows(start, now):
        for row in client.incoming_transfers(lo, hi):
            found[row["ManifestNumber"]] = {"row": row}
    for entry in found.values():
        row = entry["row"]
        known = Transfer.get_or_none(Transfer.manifest_number == row["ManifestNumber"])
        if known is not None and known.status != "incoming":
            entry["skip"] = True
            continue
        entry["packages"] = list(client.delivery_packages(row["DeliveryId"]))
        entry["labs"] = {p["PackageLabel"]: list(client.lab_results(p["PackageId"]))
                         for p in entry["packages"] if p.get("PackageId")}
    return found


def _item(row: dict) -> Item | None:
    item = None
    if row.get("ItemId"):
        item = Item.get_or_none(Item.metrc_item_id == row["ItemId"])
    if item is None and row.get("ItemName"):
        item = Item.get_or_none(Item.name == row["ItemName"])
        if item is None:
            item = Item.create(name=row["ItemName"], brand=row.get("ItemBrandName") or "",
                               category=row.get("ItemCategoryName") or "",
                               unit=row.get("ShippedUnitOfMeasureName") or "Each",
                               metrc_item_id=row.get("ItemId"))
    return item


def _pct(value):
    return None if value in (None, "") else Decimal(str(value)).quantize(Decimal("0.01"))


def _store(entry: dict, now: dt.datetime) -> bool:
    """Create or refresh one manifest; returns True when it is new to us."""
    row = entry["row"]
    vehicle = " ".join(str(row.get(k) or "") for k in
                       ("VehicleMake", "VehicleModel", "VehicleLicensePlateNumber")).strip()
    fields = dict(
        metrc_transfer_id=row.get("Id"), metrc_delivery_id=row.get("DeliveryId"),
        shipper_name=row.get("ShipperFacilityName") or "",
        shipper_license=row.get("ShipperFacilityLicenseNumber") or "",
        receiver_license=row.get("RecipientFacilityLicenseNumber") or "",
        driver_name=row.get("DriverName") or "",
        driver_license=row.get("DriverOccupationalLicenseNumber") or "", vehicle=vehicle,
        est_departure=_facility_time(row.get("EstimatedDepartureDateTime")),
        est_arrival=_facility_time(row.get("EstimatedArrivalDateTime")),
        actual_departure=_facility_time(row.get("ActualDepartureDateTime")),
        actual_arrival=_facility_time(row.get("ActualArrivalDateTime")), raw=entry)
    transfer = Transfer.get_or_none(Transfer.manifest_number == row["ManifestNumber"])
    new = transfer is None
    if new:
        transfer = Transfer.create(manifest_number=row["ManifestNumber"], source="state",
                                   created_at=now, **fields)
    else:
        Transfer.update(**fields).where(Transfer.id == transfer.id).execute()
    if row.get("IsVoided"):
        Transfer.update(status="cancelled").where(Transfer.id == transfer.id).execute()
    for pkg in entry["packages"]:
        values = dict(item=_item(pkg), item_name=pkg.get("ItemName") or "",
                      batch=pkg.get("ProductionBatchNumber") or "",
                      shipped_quantity=Decimal(str(pkg.get("ShippedQuantity") or 0)),
                      shipped_unit=pkg.get("ShippedUnitOfMeasureName") or "Each",
                      label_thc_pct=_pct(pkg.get("ItemUnitThcPercent")),
                      label_cbd_pct=_pct(pkg.get("ItemUnitCbdPercent")),
                      metrc_package_id=pkg.get("PackageId"),
                      source_tags=", ".join(manifests.split_tags(pkg.get("SourcePackageLabels"))))
        updated = (TransferPackage.update(**values)
                   .where(TransferPackage.transfer == transfer,
                          TransferPackage.tag == pkg["PackageLabel"]).execute())
        if not updated:
            TransferPackage.create(transfer=transfer, tag=pkg["PackageLabel"], **values)
        for lab in entry["labs"].get(pkg["PackageLabel"], []):
            _store_lab(pkg, lab)
    return new


def _store_lab(pkg: dict, lab: dict) -> None:
    name = lab.get("TestTypeName") or "Result"
    level = lab.get("TestResultLevel")
    values = dict(batch=pkg.get("ProductionBatchNumber") or "", passed=bool(lab.get("TestPassed")),
                  thc_pct=_pct(level) if name.upper().startswith("THC") else None,
                  cbd_pct=_pct(level) if name.upper().startswith("CBD") else None,
                  coa_ref=str(lab.get("LabTestResultDocumentFileId") or ""),
                  tested_at=_facility_time(lab.get("TestPerformedDate")), source="state")
    updated = (LabResult.update(**values)
               .where(LabResult.tag == pkg["PackageLabel"], LabResult.test_type == name).execute())
    if not updated:
        LabResult.create(tag=pkg["PackageLabel"], test_type=name, **values)


def pull_transfers(client: MetrcClient, now: dt.datetime | None = None) -> int:
    """Pull incoming manifests; returns how many are new. Raises MetrcError if Metrc fails."""
    now = now or clock.now()
    found = _fetch(client, now)
    new = 0
    with write():
        for entry in found.values():
            if not entry.get("skip"):
                new += _store(entry, now)
        value = {"end": now.isoformat(), "at": now.isoformat(), "new": new}
        if not SyncState.update(value=value, updated_at=now).where(
                SyncState.key == STATE_KEY).execute():
            SyncState.create(key=STATE_KEY, value=value, updated_at=now)
    return new


def pull_now(settings: dict) -> str:
    """Pull at once (the receiving screen's button); returns one sentence for the screen."""
    if settings.get("state_system") != "metrc":
        return _("This store does not pull from Metrc (the state system is {system}).",
                 system=str(settings.get("state_system")))
    with connection():
        try:
            new = pull_transfers(MetrcClient.from_settings(settings))
        except MetrcError:
            at = _time(last_pull().get("at"))
            when = f"{clock.local(at):%H:%M}" if at else _("no earlier pull")
            return _("Metrc did not answer; showing what we had at {when}.", when=when)
    if new == 0:
        return _("No new deliveries from Metrc.")
    return n_("{count} new delivery from Metrc.", "{count} new deliveries from Metrc.", new)

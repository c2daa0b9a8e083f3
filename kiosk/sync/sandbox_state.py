"""The training sandbox's Metrc world: packages, manifests, lab results, and the writes made.

Kept apart from the HTTP layer (``sandbox``); the rules each write must pass are in
``sandbox_rules``. Every applied write object is appended to ``applied`` with the time, so
tests can count deliveries exactly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kiosk import clock
from kiosk.sync import sandbox_receipts
from kiosk.sync.sandbox_data import demo_data
from kiosk.sync.sandbox_rules import WRITES, facility_stamp, stamp

LIST_WINDOW_MAX = dt.timedelta(hours=24)


class SandboxRefusal(Exception):
    """A whole-request refusal, answered as ``{"Message": ...}``."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class RowErrors(Exception):
    """Per-object validation errors, answered as ``[{"row": i, "message": ...}]``."""

    def __init__(self, rows: list[tuple[int, str]]):
        super().__init__("; ".join(m for _, m in rows))
        self.rows = rows


def _parse_time(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise SandboxRefusal(f"'{text}' is not an ISO 8601 time") from None
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


class MetrcWorld:
    """One facility's view of Metrc, built from ``demo_data``."""

    def __init__(self, license: str, now: dt.datetime | None = None):
        self.license = license
        self.data = demo_data(license, now or clock.now())
        self.items = {i["id"]: i for i in self.data["items"]}
        self.locations = {loc["name"] for loc in self.data["locations"]}
        self.reasons = {r["name"]: r for r in self.data["adjust_reasons"]}
        self.units = {u["name"]: u for u in self.data["units"]}
        self.packages: dict[str, dict] = {}
        for pkg in self.data["on_hand"]:
            self._add_package(pkg, pkg["location"], None)
        self.deliveries: dict[int, dict] = {}
        for transfer in self.data["transfers"]:
            self.deliveries[transfer["delivery_id"]] = {
                "transfer": transfer,
                "packages": {p["tag"]: {"pkg": p, "state": "Shipped", "received": None}
                             for p in transfer["packages"]}}
        self.outgoing: dict[int, dict] = {}  # delivery id -> a transfer we sent (a return)
        self.adjustments: list[dict] = []
        self.receipts: list[dict] = []
        self.applied: list[tuple[str, dict, dt.datetime]] = []  # (path, object, when)

    def _add_package(self, pkg: dict, location: str, manifest: str | None) -> None:
        item = self.items[pkg["item_id"]]
        self.packages[pkg["tag"]] = {
            "Id": pkg["package_id"], "Label": pkg["tag"], "PackageType": "Product",
            "Quantity": Decimal(str(pkg["quantity"])), "UnitOfMeasureName": pkg["unit"],
            "LocationName": location, "Note": "", "IsOnHold": False, "IsFinished": False,
            "FinishedDate": None, "ProductionBatchNumber": pkg["batch"],
            "ReceivedFromManifestNumber": manifest, "LastModified": clock.now(),
            "Item": {"Id": item["id"], "Name": item["name"],
                     "ProductCategoryName": item["category"], "ItemBrandName": item["brand"],
                     "UnitThcPercent": item["thc_pct"], "UnitCbdPercent": item["cbd_pct"]}}

    def adopt(self, locations: list[str], packages: list[dict]) -> int:
        """Start Metrc agreeing with a store's opening stock (training only).

        ``packages`` are dicts with tag, quantity, unit, location, item_name, batch. Returns
        how many were new to the sandbox.
        """
        self.locations.update(locations)
        added = 0
        for number, pkg in enumerate(packages):
            if pkg["tag"] in self.packages:
                continue
            self.packages[pkg["tag"]] = {
                "Id": 900000 + number, "Label": pkg["tag"], "PackageType": "Product",
                "Quantity": Decimal(str(pkg["quantity"])), "UnitOfMeasureName": pkg["unit"],
                "LocationName": pkg.get("location"), "Note": "", "IsOnHold": False,
                "IsFinished": False, "FinishedDate": None,
                "ProductionBatchNumber": pkg.get("batch", ""), "ReceivedFromManifestNumber": None,
                "LastModified": clock.now(), "Item": {"Name": pkg.get("item_name", "")}}
            added += 1
        return added

    def adopt_transfers(self, transfers: list[dict]) -> int:
        """Serve a store's own incoming manifests as Metrc would (training only): the demo
        builds its deliveries locally, and their read-back after receiving needs Metrc to
        know them. Each dict has manifest_number, transfer_id, delivery_id, shipper_name,
        shipper_license, driver_name, driver_license, vehicle, est_departure, est_arrival
        and packages (tag, package_id, item_name, batch, quantity, unit, thc_pct, cbd_pct).
        Manifests already known, or without Metrc ids, are left out. Returns how many were
        added; their packages are shipped until someone receives them (``receive``)."""
        known = {d["transfer"]["manifest_number"] for d in self.deliveries.values()}
        added = 0
        for t in transfers:
            if t["manifest_number"] in known or not (t.get("transfer_id")
                                                     and t.get("delivery_id")):
                continue
            packages = [{"tag": p["tag"], "package_id": p.get("package_id"),
                         "item_id": self._adopt_item(p["item_name"], p["unit"], p),
                         "item_name": p["item_name"], "batch": p.get("batch", ""),
                         "quantity": float(p["quantity"]), "unit": p["unit"],
                         "thc_pct": p.get("thc_pct"), "cbd_pct": p.get("cbd_pct")}
                        for p in t["packages"]]
            transfer = {key: t.get(key) for key in (
                "manifest_number", "transfer_id", "delivery_id", "shipper_name",
                "shipper_license", "driver_name", "driver_license", "est_departure",
                "est_arrival")}
            transfer.update(vehicle_make=t.get("vehicle") or "", vehicle_model="",
                            vehicle_plate="", last_modified=clock.now(), packages=packages)
            self.deliveries[t["delivery_id"]] = {
                "transfer": transfer,
                "packages": {p["tag"]: {"pkg": p, "state": "Shipped", "received": None}
                             for p in packages}}
            added += 1
        return added

    def _adopt_item(self, name: str, unit: str, pkg: dict) -> int:
        for item in self.items.values():
            if item["name"] == name:
                return item["id"]
        item_id = 960000 + len(self.items)
        kind = self.units.get(unit, {}).get("quantity_type", "CountBased")
        self.items[item_id] = {"id": item_id, "name": name, "brand": "", "category": "",
                               "unit": unit, "quantity_type": kind,
                               "thc_pct": pkg.get("thc_pct"), "cbd_pct": pkg.get("cbd_pct")}
        return item_id

    # -- dispatch ------------------------------------------------------------------------
    def handle(self, method: str, template: str, path: str, query: dict, body):
        """Answer one contract-valid request; raises RowErrors or SandboxRefusal."""
        if "licenseNumber" in query and query["licenseNumber"] != self.license:
            raise SandboxRefusal("No valid license found for this user.", 401)
        parts = path.rstrip("/").split("/")
        key = (method, template)
        if key in WRITES:
            return self._write(path, body, *WRITES[key])
        if key == ("DELETE", "/sales/v2/receipts/{id}"):
            try:
                return sandbox_receipts.void(self, parts[-1])
            except ValueError as exc:
                raise SandboxRefusal(str(exc), 404) from None
        handler = _READS.get(key)
        if handler is None:
            raise SandboxRefusal(f"The training sandbox does not simulate {method} {template}.",
                                 501)
        return handler(self, parts, query)

    def _write(self, path: str, body: list, check, apply):
        errors = []
        for row, obj in enumerate(body):
            try:
                check(self, obj)
            except ValueError as exc:
                errors.append((row, str(exc)))
        if errors:
            raise RowErrors(errors)
        ids = [apply(self, obj) for obj in body]
        now = clock.now()
        self.applied += [(path, obj, now) for obj in body]
        return {"Ids": ids, "Warnings": None} if path.endswith("adjust") else None

    # -- reads ---------------------------------------------------------------------------
    def _window(self, query: dict, rows: list[dict]) -> list[dict]:
        start, end = query.get("lastModifiedStart"), query.get("lastModifiedEnd")
        if bool(start) != bool(end):
            raise SandboxRefusal("lastModifiedStart and lastModifiedEnd must be sent together.")
        if not start:
            return rows
        lo, hi = _parse_time(start), _parse_time(end)
        if hi < lo or hi - lo > LIST_WINDOW_MAX:
            raise SandboxRefusal("The last modified range may not exceed 24 hours.")
        return [r for r in rows if lo <= _parse_time(r["LastModified"]) <= hi]

    @staticmethod
    def page(query: dict, rows: list) -> dict:
        size = int(query.get("pageSize") or max(len(rows), 1))
        number = int(query.get("pageNumber") or 1)
        chunk = rows[(number - 1) * size: number * size]
        pages = max(1, -(-len(rows) // size))
        return {"Data": chunk, "Total": len(rows), "TotalRecords": len(rows), "PageSize": size,
                "RecordsOnPage": len(chunk), "Page": number, "CurrentPage": number,
                "TotalPages": pages}

    def _incoming(self, parts, query):
        rows = []
        for delivery_id, delivery in self.deliveries.items():
            t = delivery["transfer"]
            received = sum(1 for p in delivery["packages"].values() if p["state"] != "Shipped")
            rows.append({
                "Id": t["transfer_id"], "ManifestNumber": t["manifest_number"],
                "ShipperFacilityLicenseNumber": t["shipper_license"],
                "ShipperFacilityName": t["shipper_name"], "DriverName": t["driver_name"],
                "DriverOccupationalLicenseNumber": t["driver_license"],
                "VehicleMake": t["vehicle_make"], "VehicleModel": t["vehicle_model"],
                "VehicleLicensePlateNumber": t["vehicle_plate"], "DeliveryId": delivery_id,
                "RecipientFacilityLicenseNumber": self.license,
                "RecipientFacilityName": self.data["facility"]["name"],
                "ShipmentTypeName": "Transfer", "ShipmentTransactionType": "Standard",
                "PackageCount": len(delivery["packages"]), "ReceivedPackageCount": received,
                "EstimatedDepartureDateTime": facility_stamp(t["est_departure"]),
                "EstimatedArrivalDateTime": facility_stamp(t["est_arrival"]),
                "IsVoided": False, "LastModified": stamp(delivery.get("modified")
                                                         or t["last_modified"])})
        return self.page(query, self._window(query, rows))

    def _deliveries(self, parts, query):
        transfer_id = int(parts[3])
        rows = [{"Id": d_id, "ManifestNumber": d["transfer"]["manifest_number"],
                 "RecipientFacilityLicenseNumber": self.license,
                 "DeliveryPackageCount": len(d["packages"])}
                for d_id, d in self.deliveries.items()
                if d["transfer"]["transfer_id"] == transfer_id]
        if not rows:
            raise SandboxRefusal("Transfer not found.", 404)
        return self.page(query, rows)

    def _outgoing_rows(self, parts, query):
        rows = [{"Id": d["transfer_id"], "DeliveryId": d_id,
                 "ManifestNumber": d["manifest_number"],
                 "ShipperFacilityLicenseNumber": self.license,
                 "RecipientFacilityLicenseNumber": d["recipient_license"],
                 "ShipmentTypeName": "Transfer", "PackageCount": len(d["rows"]),
                 "IsVoided": False, "LastModified": stamp(d["modified"])}
                for d_id, d in self.outgoing.items()]
        return self.page(query, self._window(query, rows))

    def _delivery_packages(self, parts, query):
        key = int(parts[4]) if parts[4].isdigit() else -1
        if key in self.outgoing:
            return self.page(query, self.outgoing[key]["rows"])
        delivery = self.deliveries.get(key)
        if delivery is None:
            raise SandboxRefusal("Delivery not found.", 404)
        rows = []
        for entry in delivery["packages"].values():
            pkg = entry["pkg"]
            item = self.items[pkg["item_id"]]
            accepted = entry["state"] == "Accepted"
            rows.append({
                "PackageId": pkg["package_id"], "PackageLabel": pkg["tag"],
                "SourcePackageLabels": pkg.get("source_tags") or None,
                "PackageType": "Product", "ItemId": item["id"], "ItemName": item["name"],
                "ItemCategoryName": item["category"], "ItemBrandName": item["brand"],
                # The label's potency when the manifest gives it per package (adopted ones).
                "ItemUnitThcPercent": pkg.get("thc_pct", item["thc_pct"]),
                "ItemUnitCbdPercent": pkg.get("cbd_pct", item["cbd_pct"]),
                "ProductionBatchNumber": pkg["batch"], "LabTestingState": "TestPassed",
                "ShipmentPackageState": entry["state"], "ShippedQuantity": pkg["quantity"],
                "ShippedUnitOfMeasureName": pkg["unit"],
                "ReceivedQuantity": entry["received"] if accepted else None,
                "ReceivedUnitOfMeasureName": pkg["unit"] if accepted else None})
        return self.page(query, rows)

    def _lab_results(self, parts, query):
        wanted = query.get("packageId", "")
        rows = [{"PackageId": r["package_id"], "LabTestResultId": r["result_id"],
                 "LabFacilityLicenseNumber": r["lab_license"], "LabFacilityName": r["lab_name"],
                 "SourcePackageLabel": r["tag"],
                 "TestPerformedDate": facility_stamp(r["tested_at"]),
                 "OverallPassed": r["overall_passed"], "TestTypeName": r["test_type"],
                 "TestPassed": r["passed"], "TestResultLevel": r["level"],
                 "LabTestResultDocumentFileId": r["document_id"], "ResultReleased": True}
                for r in self.data["lab_results"] if str(r["package_id"]) == wanted]
        return self.page(query, rows)

    def _package_rows(self, which: str) -> list[dict]:
        rows = []
        for pkg in self.packages.values():
            state = ("inactive" if pkg["IsFinished"] else "onhold" if pkg["IsOnHold"]
                     else "active")
            if state == which:
                rows.append({**pkg, "Quantity": float(pkg["Quantity"]),
                             "LastModified": stamp(pkg["LastModified"]),
                             "FinishedDate": pkg["FinishedDate"]})
        return rows

    def _packages_list(self, parts, query):
        return self.page(query, self._window(query, self._package_rows(parts[3])))

    def _package_one(self, parts, query):
        wanted = parts[3]
        for pkg in self.packages.values():
            if wanted in (pkg["Label"], str(pkg["Id"])):
                return {**pkg, "Quantity": float(pkg["Quantity"]),
                        "LastModified": stamp(pkg["LastModified"])}
        # Metrc answers 401 for a record that is not valid for the licence.
        raise SandboxRefusal("No valid package found for this license.", 401)

    def _reasons(self, parts, query):
        return self.page(query, [{"Name": r["name"], "RequiresNote": r["requires_note"],
                                  "RequiresWasteWeight": False} for r in self.reasons.values()])

    def _adjustments(self, parts, query):
        return self.page(query, list(reversed(self.adjustments)))  # newest first

    def _locations(self, parts, query):
        rows = [{"Id": i + 1, "Name": loc["name"], "LocationTypeName": "Default",
                 "ForPackages": True, "LastModified": stamp(self.data["transfers"][0]
                                                             ["last_modified"])}
                for i, loc in enumerate(self.data["locations"])]
        return self.page(query, self._window(query, rows))

    def _items(self, parts, query):
        rows = [{"Id": i["id"], "Name": i["name"], "ProductCategoryName": i["category"],
                 "ItemBrandName": i["brand"], "UnitOfMeasureName": i["unit"],
                 "QuantityType": i["quantity_type"], "UnitThcPercent": i["thc_pct"],
                 "UnitCbdPercent": i["cbd_pct"],
                 "LastModified": stamp(self.data["transfers"][0]["last_modified"])}
                for i in self.data["items"]]
        return self.page(query, self._window(query, rows))

    def _units(self, parts, query):
        return [{"QuantityType": u["quantity_type"], "Name": u["name"],
                 "Abbreviation": u["abbreviation"]} for u in self.data["units"]]

    def _employees(self, parts, query):
        return self.page(query, [{"FullName": e["name"], "IsManager": e["is_manager"],
                                  "License": {"Number": e["license"]}}
                                 for e in self.data["employees"]])

    def _facilities(self, parts, query):
        return [{"Name": self.data["facility"]["name"],
                 "License": {"Number": self.license, "LicenseType": "Retailer"}}]

    def _receipts(self, parts, query):
        sandbox_receipts.top_up(self)
        which = parts[4]
        rows = [sandbox_receipts.row(r) for r in self.receipts
                if (which == "inactive") == bool(r["IsFinal"] or r.get("ArchivedDate"))]
        return self.page(query, self._window(query, rows))

    def _receipt_external(self, parts, query):
        for receipt in self.receipts:
            if receipt["ExternalReceiptNumber"] == parts[-1]:
                return sandbox_receipts.row(receipt)
        raise SandboxRefusal("Receipt not found.", 404)

    # -- a person entering an outgoing transfer in Metrc's web screen (training control) ---
    def enter_outgoing(self, recipient_license: str, packages: list[dict]) -> str:
        """A return entered by hand in Metrc, as a person would from the RTV slip:
        ``packages`` are ``[{tag, quantity}]``. Returns the manifest number Metrc gives it."""
        delivery_id = 900000 + len(self.outgoing) + 1
        manifest = f"{delivery_id:010d}"
        rows = []
        for entry in packages:
            pkg = self.packages.get(entry["tag"])
            if pkg is None:
                raise SandboxRefusal(f"package {entry['tag']} is not ours in Metrc")
            rows.append({"PackageId": pkg["Id"], "PackageLabel": pkg["Label"],
                         "ItemName": pkg["Item"]["Name"],
                         "ShipmentPackageState": "Shipped",
                         "ShippedQuantity": float(entry["quantity"]),
                         "ShippedUnitOfMeasureName": pkg["UnitOfMeasureName"]})
        self.outgoing[delivery_id] = {"transfer_id": delivery_id - 400000,
                                      "manifest_number": manifest,
                                      "recipient_license": recipient_license, "rows": rows,
                                      "modified": clock.now()}
        return manifest

    # -- a person receiving the manifest in Metrc's web screen (training control) ---------
    def receive(self, manifest_number: str, packages: list[dict] | None = None) -> None:
        """Mark a manifest's packages accepted or rejected, as a person would in Metrc.

        ``packages`` is ``[{tag, state: accepted|rejected, received_quantity}]``; omitted
        packages are accepted at their shipped quantity.
        """
        for delivery in self.deliveries.values():
            if delivery["transfer"]["manifest_number"] == manifest_number:
                break
        else:
            raise SandboxRefusal(f"manifest {manifest_number} is not incoming")
        verdicts = {p["tag"]: p for p in packages or []}
        for label, entry in delivery["packages"].items():
            verdict = verdicts.get(label, {})
            state = verdict.get("state", "accepted")
            qty = verdict.get("received_quantity", entry["pkg"]["quantity"])
            if state == "rejected":
                entry["state"], entry["received"] = "Rejected", None
            else:
                entry["state"], entry["received"] = "Accepted", float(qty)
                self._add_package({**entry["pkg"], "quantity": qty}, "Receiving Dock",
                                  manifest_number)
        delivery["modified"] = clock.now()


_READS = {
    ("GET", "/transfers/v2/incoming"): MetrcWorld._incoming,
    ("GET", "/transfers/v2/outgoing"): MetrcWorld._outgoing_rows,
    ("GET", "/transfers/v2/{id}/deliveries"): MetrcWorld._deliveries,
    ("GET", "/transfers/v2/deliveries/{id}/packages"): MetrcWorld._delivery_packages,
    ("GET", "/labtests/v2/results"): MetrcWorld._lab_results,
    ("GET", "/packages/v2/active"): MetrcWorld._packages_list,
    ("GET", "/packages/v2/onhold"): MetrcWorld._packages_list,
    ("GET", "/packages/v2/inactive"): MetrcWorld._packages_list,
    ("GET", "/packages/v2/{id}"): MetrcWorld._package_one,
    ("GET", "/packages/v2/{label}"): MetrcWorld._package_one,
    ("GET", "/packages/v2/adjust/reasons"): MetrcWorld._reasons,
    ("GET", "/packages/v2/adjustments"): MetrcWorld._adjustments,
    ("GET", "/locations/v2/active"): MetrcWorld._locations,
    ("GET", "/items/v2/active"): MetrcWorld._items,
    ("GET", "/unitsofmeasure/v2/active"): MetrcWorld._units,
    ("GET", "/employees/v2"): MetrcWorld._employees,
    ("GET", "/employees/v2/"): MetrcWorld._employees,
    ("GET", "/facilities/v2"): MetrcWorld._facilities,
    ("GET", "/sales/v2/receipts/active"): MetrcWorld._receipts,
    ("GET", "/sales/v2/receipts/inactive"): MetrcWorld._receipts,
    ("GET", "/sales/v2/receipts/external/{externalNumber}"): MetrcWorld._receipt_external,
}

"""Sample data for every layout: what ``kiosk print-test`` prints and the benchmark lays out.

The values are deliberately awkward: a long item name with accents, a full 24-character
tag, a reason that needs wrapping, so a test print shows the worst case.
"""

from __future__ import annotations

SAMPLE_TAG = "1A4FF0100000022000000123"

LABELS: dict[str, dict] = {
    "package_label": {
        "tag": SAMPLE_TAG, "item": "Crème Brûlée Señorita Jalapeño Live Resin Cartridge 1 g",
        "brand": "Niño Verde Farms", "batch": "B-2026-11-0042", "received": "2026-11-23",
        "expires": "2027-05-01", "thc": "82.40", "cbd": "0.30", "unit": "Each",
        "quantity": "12",
    },
    "location_label": {"code": "LOC-V-A1", "name": "Vault shelf A1"},
    "quarantine_label": {
        "tag": "1A4FF0100000022000000124", "item": "Blue Dream Flower 3.5 g",
        "reason": "Seal broken on arrival; bag torn at the top", "date": "2026-11-23",
        "who": "Ana Peña", "batch": "B-2026-11-0042",
    },
    "pick_label": {
        "order": "10042", "tag": "1A4FF0100000022000000125", "item": "Sour Gummies 10 pack",
        "quantity": "2", "customer": "J. Smith", "location": "LOC-V-A1",
    },
    "visitor_badge": {
        "code": "VIS-000123", "name": "María José Fernández-Castillo",
        "company": "Señor Sparky Electrical Contractors", "escort": "Ben Okafor",
        "date": "2026-11-23", "valid_until": "2026-11-23 23:59",
    },
}

SLIPS: dict[str, dict] = {
    "receiving_slip": {
        "manifest": "0000123456", "shipper": "Niño Verde Farms", "shipper_license":
        "C11-0000456-LIC", "received_at": "2026-11-23T09:30:00", "receiver": "Ana Peña",
        "witness": "Bob Lee",
        "packages": [
            {"tag": SAMPLE_TAG, "item": "Crème Brûlée Live Resin Cartridge 1 g",
             "shipped": "12", "received": "12", "unit": "Each", "state": "accepted",
             "location": "LOC-V-A1"},
            {"tag": "1A4FF0100000022000000124", "item": "Blue Dream Flower 3.5 g",
             "shipped": "10", "received": "9", "unit": "Each", "state": "rejected",
             "reason": "Seal broken on arrival"},
        ],
        "totals": {"packages": 2, "accepted": 1, "rejected": 1},
    },
    "vault_access_slip": {
        "people": ["Ana Peña", "Bob Lee"], "purpose": "Cycle count",
        "entered_at": "2026-11-23T09:00:00", "station": "vault-1", "run": 1,
        "visitors": [{"name": "María José Fernández-Castillo", "code": "VIS-000123",
                      "company": "Señor Sparky Electrical Contractors", "escort": "Ana Peña"}],
    },
    "count_sheet": {
        "title": "Cycle count: vault shelf A1", "counted_at": "2026-11-23T10:00:00",
        "counter": "Ana Peña",
        "lines": [{"tag": SAMPLE_TAG, "item": "Crème Brûlée Cartridge", "expected": "12",
                   "counted": "11", "variance": "-1"}],
    },
    "pick_ticket": {
        "order": "W-10042", "customer": "Jo Peña", "requested_at": "2026-11-23T09:41:00",
        "note": "Curbside pickup, blue car",
        "lines": [{"item": "Crème Brûlée Live Resin Cartridge 1 g", "quantity": "2",
                   "unit": "Each", "where": "Vault shelf A2", "tag": SAMPLE_TAG},
                  {"item": "Bulk Blue Dream", "quantity": "7", "unit": "Grams",
                   "where": "not in the vault", "tag": ""}],
    },
    "count_slip": {
        "title": "Vault shelf A1", "count": 42, "started_at": "2026-11-23T09:00:00",
        "closed_at": "2026-11-23T10:15:00", "counters": ["Ana Peña"],
        "recounters": ["Bob Lee"], "signers": ["Ana Peña", "Bob Lee"], "expected": 60,
        "counted": 58, "extra": 1,
        "variances": [{"tag": SAMPLE_TAG, "item": "Crème Brûlée Cartridge",
                       "what": "quantity differs", "counted": "11 Each"},
                      {"tag": "1A4FF0100000022000000124", "item": "Blue Dream Flower 3.5 g",
                       "what": "not found", "counted": "not found"}],
    },
    "destruction_log": {
        "tag": SAMPLE_TAG, "item": "Crème Brûlée Live Resin Cartridge 1 g", "quantity": "12",
        "unit": "Each", "weight": "41.6", "weight_unit": "g", "keyed": False,
        "method": "Ground and mixed 50:50 with non-cannabis waste",
        "mixed_with": "Cat litter, 45 g", "reason": "Waste (Unusable Product)",
        "note": "Seal broken on arrival", "at": "2026-11-23T16:00:00",
        "performed_by": "Ana Peña", "witnessed_by": "Bob Lee",
    },
    "rtv_slip": {
        "number": "RTV-7", "at": "2026-11-23T11:00:00", "vendor": "Niño Verde Farms",
        "license": "C11-0000456-LIC", "reason": "Recalled: batch B-2026-11-0042",
        "released_by": "Ana Peña", "witnessed_by": "Bob Lee",
        "packages": [{"tag": SAMPLE_TAG, "item": "Crème Brûlée Live Resin Cartridge 1 g",
                      "quantity": "12", "unit": "Each", "manifest": "0000123456"}],
    },
    "shift_summary": {
        "date": "2026-11-23", "station": "receiving-1",
        "lines": [["Deliveries received", "3"], ["Packages accepted", "41"],
                  ["Packages rejected", "1"], ["Labels printed", "44"]],
    },
    "day_summary": {
        "date": "2026-11-23", "generated": "2026-11-23 21:04",
        "lines": [["Deliveries received", "2"], ["Packages accepted", "41"],
                  ["Variances found", "3"], ["Waiting for Metrc or the POS", "1"],
                  ["Units sold", "1874"]],
        "fastest": [["Crème Brûlée Live Resin Cartridge 1 g", "12.4"],
                    ["Blue Dream Flower 3.5 g", "9.1"]],
        "oldest_waiting": "Adjustment 1A4FF0100000022000000123 (26.5 h)",
        "sha256": "9f2c4e7a1b3d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8",
    },
}

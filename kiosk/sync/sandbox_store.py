"""The demo store as the training POS and the training Metrc see it: its products, its places
and the packages it sells, read from the bound store database (``make demo``) or, when none
is bound, from the training Metrc's own demo stock. Both sandboxes and the demo's own sales
take the packages from here, so they agree on what sold (``sandbox_sales``).
"""

from __future__ import annotations

LOCATION = {"name": "Demo Dispensary", "id": 4412, "company": "Demo Cannabis Co.",
            "company_id": 118}


def make_store(packages: list[dict], products: list[dict], rooms=()) -> dict:
    """What the sandbox serves. ``packages``: dicts with tag, unit, item_name, product_id,
    quantity, batch, location, received_at, expires_on (ISO text or None); ``products``:
    dicts with id, name, sku, category, brand, unit; ``rooms``: place names."""
    by_id = {p["id"]: p for p in products}
    names = sorted({p.get("location") or "" for p in packages} - {""} | set(rooms))
    return {"location": LOCATION, "products": products, "packages": packages,
            "products_by_tag": {pkg["tag"]: by_id[pkg["product_id"]] for pkg in packages},
            "room_ids": {name: 100 + number for number, name in enumerate(names)}}


def store_from_database() -> dict | None:
    """The bound store's stock as the POS knows it, or None when no store is bound."""
    from kiosk import db
    from kiosk.models import Item, Location, Package

    if db.database.obj is None:
        return None
    with db.connection():
        products = [{"id": i.id, "name": i.name, "sku": i.gtin or f"SKU-{i.id}",
                     "category": i.category, "brand": i.brand, "unit": i.unit}
                    for i in Item.select()]
        rooms = [name for (name,) in Location.select(Location.name).tuples()]
        packages = [{"tag": p.tag, "unit": p.unit, "item_name": p.item.name,
                     "product_id": p.item_id, "quantity": p.quantity, "batch": p.batch,
                     "location": p.location.name if p.location_id else "",
                     "received_at": p.received_at.isoformat() if p.received_at else None,
                     "expires_on": p.expires_on.isoformat() if p.expires_on else None}
                    for p in Package.select().where(Package.status == "active")]
    return make_store(packages, products, rooms)


def store_from_demo_data() -> dict:
    """The training Metrc's demo stock, when no store database is bound."""
    from kiosk.sync.sandbox_data import demo_data

    data = demo_data()
    products = [{"id": i["id"], "name": i["name"], "sku": i["gtin"] or f"SKU-{i['id']}",
                 "category": i["category"], "brand": i["brand"], "unit": i["unit"]}
                for i in data["items"]]
    packages = [{"tag": p["tag"], "unit": p["unit"], "item_name": p["item_name"],
                 "product_id": p["item_id"], "quantity": p["quantity"], "batch": p["batch"],
                 "location": p["location"], "received_at": None, "expires_on": None}
                for p in data["on_hand"]]
    return make_store(packages, products, [loc["name"] for loc in data["locations"]])



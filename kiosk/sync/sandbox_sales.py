"""The demo store's sales, in one place: what the training POS sold and what Metrc was told.

``day_sales`` makes a day of sales from a list of packages: carts through the store's
opening hours, one of them voided, one line of another returned the same afternoon. Every
choice is drawn from a generator seeded by the day and the package's tag alone, so the
Dutchie sandbox, the Metrc sandbox and the demo store, each building the list from its own
copy of the stock, agree on every sale; a package added or gone changes only its own lines.

``metrc_receipts`` is what Metrc holds for the same day, with the differences a real store
finds in the morning: one cart never reported, the voided cart reported all the same, the
return not reported, one line's quantity off by one, and one receipt keyed in Metrc by hand
for a package nobody sold. Plain data only: no database, no network.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from kiosk import clock

SEED = 7
SLOTS = 48  # carts a day, every quarter of an hour from opening
OPENS = dt.time(9, 0)  # on the store's clock
SELL_CHANCE = 0.25  # of each package, each day
DAYS = 7  # the demo's sales history
# Which cart of the day (by its place in the day) carries each seeded difference.
VOID_CART, UNREPORTED_CART, MISCOUNT_CART, RETURN_CART = 3, 5, 8, 10


def _rng(*parts) -> random.Random:
    return random.Random(":".join(str(p) for p in (SEED, *parts)))


def _price(pkg: dict) -> Decimal:
    """A shelf price per unit, fixed per package."""
    cents = _rng("price", pkg["tag"]).randrange(1500, 6000, 25)
    return (Decimal(cents) / 100) if pkg.get("unit", "Each") == "Each" else Decimal("9.50")


def transaction_id(day: dt.date, slot: int) -> int:
    """Dutchie numbers transactions; ours read as the day and the cart (261122005)."""
    return int(f"{day:%y%m%d}{slot:03d}")


def cart_time(day: dt.date, slot: int) -> dt.datetime:
    """When cart ``slot`` of ``day`` was rung up, as naive UTC."""
    opening = dt.datetime.combine(day, OPENS)
    wall = opening + dt.timedelta(minutes=15 * slot + _rng(day, "cart", slot).randrange(0, 14),
                                  seconds=_rng(day, "sec", slot).randrange(0, 60))
    return clock.from_local(wall)


def _quantity(rng: random.Random, unit: str) -> Decimal:
    if unit == "Each":
        return Decimal(rng.choice((1, 1, 1, 2, 2, 3)))
    return Decimal(rng.choice(("1", "3.5", "7")))


def day_sales(packages: list[dict], day: dt.date, now: dt.datetime | None = None) -> list[dict]:
    """The POS's transactions of the store's ``day`` (those rung up before ``now``).

    ``packages`` are dicts with ``tag``, ``unit``, ``item_name`` and ``product_id``. Each
    transaction: ``id``, ``at`` (naive UTC), ``lines`` [{tag, quantity, unit, amount,
    item_name, product_id}], ``void`` (bool), ``return_of`` (the sale's id, for a return).
    """
    carts: dict[int, list[dict]] = {}
    for pkg in sorted(packages, key=lambda p: p["tag"]):
        rng = _rng(day, pkg["tag"])
        if rng.random() >= SELL_CHANCE:
            continue
        slot = rng.randrange(SLOTS)
        quantity = _quantity(rng, pkg.get("unit") or "Each")
        carts.setdefault(slot, []).append({
            "tag": pkg["tag"], "quantity": quantity, "unit": pkg.get("unit") or "Each",
            "amount": (quantity * _price(pkg)).quantize(Decimal("0.01")),
            "item_name": pkg.get("item_name", ""), "product_id": pkg.get("product_id")})
    sales = [{"id": transaction_id(day, slot), "at": cart_time(day, slot), "lines": lines,
              "void": False, "return_of": None, "slot": slot}
             for slot, lines in sorted(carts.items())]
    if len(sales) > VOID_CART:
        sales[VOID_CART]["void"] = True
    if len(sales) > RETURN_CART:
        sold = sales[RETURN_CART]
        line = sold["lines"][0]
        back = min(line["quantity"], Decimal(1))
        sales.append({"id": transaction_id(day, 500 + sold["slot"]),
                      "at": sold["at"] + dt.timedelta(minutes=40), "void": False,
                      "return_of": sold["id"], "slot": 500 + sold["slot"],
                      "lines": [{**line, "quantity": back,
                                 "amount": (line["amount"] * back / line["quantity"])
                                 .quantize(Decimal("0.01"))}]})
    if now is not None:
        sales = [s for s in sales if s["at"] <= now]
    return sorted(sales, key=lambda s: s["at"])


def net_sold(sales: list[dict]) -> dict[str, Decimal]:
    """Units per tag the day's transactions sold: voids left out, returns taken off."""
    net: dict[str, Decimal] = {}
    for sale in sales:
        if sale["void"]:
            continue
        sign = -1 if sale["return_of"] else 1
        for line in sale["lines"]:
            net[line["tag"]] = net.get(line["tag"], Decimal(0)) + sign * line["quantity"]
    return net


def metrc_receipts(packages: list[dict], day: dt.date, now: dt.datetime | None = None
                   ) -> list[dict]:
    """The receipts Metrc holds for ``day``, with the day's seeded differences (see the
    module docstring). Each: ``external`` (the POS transaction's id, or ``M-…`` for one
    keyed by hand), ``at`` (naive UTC) and ``lines`` [{tag, quantity, unit, amount}]."""
    sales = day_sales(packages, day, now)
    carts = [s for s in sales if not s["return_of"]]
    skipped = carts[UNREPORTED_CART]["id"] if len(carts) > UNREPORTED_CART else None
    miscount = carts[MISCOUNT_CART]["id"] if len(carts) > MISCOUNT_CART else None
    receipts = []
    for sale in carts:
        if sale["id"] == skipped:
            continue
        lines = [{k: line[k] for k in ("tag", "quantity", "unit", "amount")}
                 for line in sale["lines"]]
        if sale["id"] == miscount:
            lines[0] = {**lines[0], "quantity": lines[0]["quantity"] + 1}
        receipts.append({"external": str(sale["id"]), "at": sale["at"], "lines": lines})
    sold = {line["tag"] for s in sales for line in s["lines"]}
    unsold = [p for p in sorted(packages, key=lambda p: p["tag"])
              if p["tag"] not in sold and (p.get("unit") or "Each") == "Each"]
    keyed_at = clock.from_local(dt.datetime.combine(day, dt.time(13, 5)))
    if unsold and (now is None or keyed_at <= now):
        pkg = unsold[_rng(day, "keyed").randrange(len(unsold))]
        receipts.append({"external": f"M-{day:%y%m%d}", "at": keyed_at,
                         "lines": [{"tag": pkg["tag"], "quantity": Decimal(1), "unit": "Each",
                                    "amount": _price(pkg)}]})
    return sorted(receipts, key=lambda r: r["at"])


def recent_days(now: dt.datetime, days: int = DAYS) -> list[dt.date]:
    """The store's last ``days`` days, today included, oldest first."""
    today = clock.store_date(now)
    return [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]

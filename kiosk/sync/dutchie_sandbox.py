"""The training Dutchie: a local POS server that answers like Dutchie's reporting API.

It serves the demo store (the bound database's packages, items and places, or the training
Metrc's demo stock when no store is bound): the sales of the last days from
``sandbox_sales`` (with a voided cart and a return every day), and the stock now. It checks
what Dutchie checks: the location key (HTTP Basic user; the integrator key, or nothing, as
password), documented parameters only, a transactions window of at most 60 days, ``Take`` at
most 5000, and 60 reporting calls a minute per key (429 with ``Retry-After`` above that).

It misbehaves on request (``Faults``), as the training Metrc does: slow answers, 500s, 429s
with ``Retry-After``, and answers dropped before they are sent. Tests use the object;
``kiosk sandbox --pos dutchie --port N`` serves it, and ``/_sandbox/faults`` sets faults.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import json
import math
import socket
import threading
import time
from dataclasses import dataclass
from decimal import Decimal

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from kiosk import clock
from kiosk.sync import sandbox_sales
from kiosk.sync.sandbox import Sandbox, _QuietHandler
from kiosk.sync.sandbox_store import store_from_database, store_from_demo_data

LOCATION_KEY = "training-location-key"
INTEGRATOR_KEY = "training-integrator-key"
WINDOW_MAX = dt.timedelta(days=60)
TAKE_MAX = 5000
PARAMETERS = {
    "/whoami": set(),
    "/reporting/transactions": {"FromDateUTC", "ToDateUTC", "IncludeDetail", "IncludeTaxes",
                                "IncludeOrderIds"},
    "/reporting/inventory": {"Skip", "Take"},
    "/room/rooms": set(),
    "/products": {"fromLastModifiedDateUTC", "offset", "limit"},
    "/inventory": set(),
}
# The POS's figure differs from the books for these packages (by place in the stock list):
# someone sold one at the register without scanning it.
POS_SHORT = (4, 17)


@dataclass
class Faults:
    """How the sandbox misbehaves; counts go down as each fault is served."""

    delay: float = 0.0  # seconds added to every request
    errors_500: int = 0  # the next N requests answer 500
    rate_limited: int = 0  # the next N requests answer 429
    retry_after: int = 2  # seconds, sent with each 429
    dropped: int = 0  # the next N requests get no answer: the connection is closed


class DutchieSandbox(Sandbox):
    """The WSGI app, its store, its faults and a log of what it was asked."""

    def __init__(self, store: dict | None = None, location_key: str = LOCATION_KEY,
                 integrator_key: str = INTEGRATOR_KEY, per_minute: int = 60,
                 envelope: str | None = None):
        self.store = store or store_from_demo_data()
        self.location_key, self.integrator_key = location_key, integrator_key
        self.per_minute = per_minute
        self.envelope = envelope  # wrap lists as {envelope: [...]} (Dutchie does both)
        self.faults = Faults()
        self.requests: list[tuple[str, dict]] = []  # (path, query) of every request
        self._calls: dict[str, collections.deque] = {}  # key -> times of reporting calls
        self._lock = threading.Lock()
        self._server = self._thread = self.port = None

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path == "/_sandbox/faults" and request.method == "POST":
            data = request.get_json(silent=True) or {}
            with self._lock:
                for key, value in data.items():
                    if hasattr(self.faults, key):
                        setattr(self.faults, key, type(getattr(self.faults, key))(value))
                answer = _json(vars(self.faults), 200)
            return answer(environ, start_response)
        return self._answer(request, environ)(environ, start_response)

    def _answer(self, request: Request, environ) -> Response:
        with self._lock:
            self.requests.append((request.path, request.args.to_dict()))
            faults = self.faults
            delay, fail, limited, drop = faults.delay, False, False, False
            if faults.errors_500 > 0:
                faults.errors_500, fail = faults.errors_500 - 1, True
            elif faults.rate_limited > 0:
                faults.rate_limited, limited = faults.rate_limited - 1, True
            elif faults.dropped > 0:
                faults.dropped, drop = faults.dropped - 1, True
        if delay:
            time.sleep(delay)
        if fail:
            return _json({"message": "An error has occurred."}, 500)
        if limited:
            return _too_many(self.faults.retry_after)
        if drop:
            _drop(environ)
            return Response("", 500)
        key = self._key(request)
        if key is None:
            return _json({"message": "Authorization has been denied for this request."}, 401)
        if request.method != "GET" or request.path not in PARAMETERS:
            return _json({"message": f"No HTTP resource was found that matches {request.path}."},
                         404)
        unknown = set(request.args) - PARAMETERS[request.path]
        if unknown:
            return _json({"message": f"Unknown parameter(s): {', '.join(sorted(unknown))}."},
                         400)
        if request.path.startswith("/reporting/"):
            wait = self._over_limit(key)
            if wait:
                return _too_many(wait)
        try:
            body = _ROUTES[request.path](self, request.args)
        except ValueError as exc:
            return _json({"message": str(exc)}, 400)
        if isinstance(body, list) and self.envelope:
            body = {self.envelope: body}
        return _json(body, 200)

    def _key(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        if user != self.location_key or password not in (self.integrator_key, ""):
            return None
        return user

    def _over_limit(self, key: str) -> int:
        """Seconds until a reporting call is allowed again (0: allowed now, and counted)."""
        now = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault(key, collections.deque())
            while calls and now - calls[0] >= 60:
                calls.popleft()
            if len(calls) >= self.per_minute:
                return max(1, math.ceil(60 - (now - calls[0])))
            calls.append(now)
        return 0

    # -- the answers -----------------------------------------------------------------------
    def _whoami(self, args):
        location = self.store["location"]
        return {"LocationName": location["name"], "LocationId": location["id"],
                "CompanyName": location["company"], "CompanyId": location["company_id"]}

    def sales(self, start: dt.datetime, end: dt.datetime) -> list[dict]:
        """The store's transactions rung up in [start, end) (naive UTC), up to now."""
        now = clock.now()
        found = []
        for day in sandbox_sales.recent_days(now):
            for sale in sandbox_sales.day_sales(self.store["packages"], day, now):
                if start <= sale["at"] < end:
                    found.append(sale)
        return found

    def _transactions(self, args):
        try:
            start = _utc(args["FromDateUTC"])
            end = _utc(args["ToDateUTC"])
        except KeyError:
            raise ValueError("FromDateUTC and ToDateUTC are required.") from None
        if end < start or end - start > WINDOW_MAX:
            raise ValueError("The date range may not exceed 60 days.")
        detail = str(args.get("IncludeDetail", "false")).lower() == "true"
        sales = self.sales(start, end)
        returned = {s["return_of"]: s for s in sales if s["return_of"]}
        return [self._transaction(s, detail, returned.get(s["id"])) for s in sales]

    def _transaction(self, sale: dict, detail: bool, returned: dict | None) -> dict:
        products = self.store["products_by_tag"]
        total = sum((line["amount"] for line in sale["lines"]), Decimal(0))
        row = {"transactionId": sale["id"], "customerId": 30000 + sale["slot"] % 400,
               "employeeId": 12, "transactionDate": sale["at"].isoformat(timespec="milliseconds"),
               "transactionDateLocalTime": clock.local(sale["at"]).isoformat(
                   timespec="milliseconds"),
               "isVoid": sale["void"],
               "voidDate": (sale["at"] + dt.timedelta(minutes=6)).isoformat(
                   timespec="milliseconds") if sale["void"] else None,
               "isReturn": bool(sale["return_of"]), "returnOnTransactionId": sale["return_of"],
               "transactionType": "Retail", "terminalName": "Register 1",
               "completedByUser": "Demo Budtender",
               "totalItems": float(sum(line["quantity"] for line in sale["lines"])),
               "subtotal": float(total), "total": float(total)}
        if detail:
            back = {line["tag"] for line in returned["lines"]} if returned else set()
            row["items"] = [{
                "transactionId": sale["id"], "transactionItemId": sale["id"] * 100 + number,
                "productId": products.get(line["tag"], {}).get("id"),
                "productName": line["item_name"], "packageId": line["tag"],
                "quantity": float(line["quantity"]),
                "unitWeight": 1.0 if line["unit"] == "Grams" else None,
                "unitWeightUnit": "g" if line["unit"] == "Grams" else None,
                "unitPrice": float((line["amount"] / line["quantity"]).quantize(Decimal("0.01"))),
                "totalPrice": float(line["amount"]), "totalDiscount": 0.0,
                "isReturned": line["tag"] in back,
                "returnedByTransactionId": returned["id"] if line["tag"] in back else None}
                for number, line in enumerate(sale["lines"], 1)]
        return row

    def on_hand(self) -> dict[str, Decimal]:
        """The POS's figure per package now: the stock it was given less what it sold (and
        one unit less for the packages in ``POS_SHORT``)."""
        now = clock.now()
        figure = {p["tag"]: Decimal(str(p["quantity"])) for p in self.store["packages"]}
        for day in sandbox_sales.recent_days(now):
            sold = sandbox_sales.net_sold(sandbox_sales.day_sales(self.store["packages"], day,
                                                                  now))
            for tag, quantity in sold.items():
                figure[tag] -= quantity
        tags = sorted(figure)
        for index in POS_SHORT:
            if index < len(tags) and figure[tags[index]] >= 1:
                figure[tags[index]] -= 1
        return figure

    def _inventory(self, args):
        try:
            skip = int(args.get("Skip", 0))
            take = int(args.get("Take", 1000))
        except ValueError:
            raise ValueError("Skip and Take must be whole numbers.") from None
        if skip < 0 or not 1 <= take <= TAKE_MAX:
            raise ValueError(f"Take must be between 1 and {TAKE_MAX}.")
        figures = self.on_hand()
        rows = []
        for number, pkg in enumerate(sorted(self.store["packages"], key=lambda p: p["tag"])):
            product = self.store["products_by_tag"][pkg["tag"]]
            rows.append({
                "inventoryId": 400000 + number, "productId": product["id"],
                "productName": product["name"], "sku": product["sku"],
                "packageId": pkg["tag"], "batchId": 7000 + number,
                "batchNumber": pkg.get("batch", ""),
                "quantityAvailable": float(max(figures[pkg["tag"]], Decimal(0))),
                "quantityUnits": pkg.get("unit") or "Each", "allocatedQuantity": 0.0,
                "roomId": self.store["room_ids"].get(pkg.get("location") or "", 0),
                "room": pkg.get("location") or "", "testingStatus": "TestPassed",
                "expirationDate": pkg.get("expires_on"), "receivedDate": pkg.get("received_at")})
        return rows[skip:skip + take]

    def _rooms(self, args):
        return [{"roomId": room_id, "roomName": name}
                for name, room_id in sorted(self.store["room_ids"].items(), key=lambda r: r[1])]

    def _products(self, args):
        return [{"productId": p["id"], "productName": p["name"], "sku": p["sku"],
                 "category": p["category"], "brandName": p["brand"], "unitType": p["unit"],
                 "isCannabis": True, "lastModifiedDateUTC": "2026-01-02T08:00:00"}
                for p in self.store["products"]]

    def _plain_inventory(self, args):
        return []  # as Dutchie's own: use /reporting/inventory


_ROUTES = {"/whoami": DutchieSandbox._whoami, "/reporting/transactions":
           DutchieSandbox._transactions, "/reporting/inventory": DutchieSandbox._inventory,
           "/room/rooms": DutchieSandbox._rooms, "/products": DutchieSandbox._products,
           "/inventory": DutchieSandbox._plain_inventory}


def _utc(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{text}' is not a date and time.") from None
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def _json(value, status: int) -> Response:
    return Response(json.dumps(value, default=str), status, mimetype="application/json")


def _too_many(seconds: int) -> Response:
    response = _json({"message": "API calls quota exceeded."}, 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _drop(environ) -> None:
    """Close the connection under the handler: the client gets no answer at all."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(port: int, host: str = "127.0.0.1") -> None:
    """Run the training Dutchie in the foreground until interrupted (``kiosk sandbox --pos
    dutchie``)."""
    try:
        store = store_from_database()
    except Exception as exc:  # the sandbox still serves the demo stock
        print(f"Training Dutchie: could not read the store's stock ({exc}).")
        store = None
    sandbox = DutchieSandbox(store)
    server = make_server(host, port, sandbox, threaded=True, request_handler=_QuietHandler)
    print(f"Training Dutchie POS on http://{host}:{port} (location key {LOCATION_KEY})",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()

"""The training sandbox: a local Metrc-compatible HTTP server for the demo and the tests.

It answers like Metrc v2 for the calls the kiosk makes, from the demo world in
``sandbox_data``, and refuses what Metrc would refuse for shape (undocumented method or path,
missing ``licenseNumber``, a body that is not an array, undocumented or wrongly-cased field
names), judged at run time against Metrc's own Postman collection (``contract``). Writes are
validated per row and applied all-or-nothing, with Metrc's ``[{"row", "message"}]`` errors.

It can be told to misbehave (``Faults``): answer slowly, answer 500, answer 429 with
``Retry-After``, or apply a write and then drop the connection without answering; either the
next N requests, or a share of all requests at random (``fail_share``), spread evenly over
500, 429, a dropped answer and an answer slower than the client waits. Tests use
the object directly; ``kiosk sandbox --port N`` serves it and the ``/_sandbox/...`` control
paths (not Metrc's) let a trainer mark a manifest received "in Metrc".
"""

from __future__ import annotations

import base64
import json
import random
import socket
import threading
import time
from dataclasses import dataclass

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from kiosk.sync import contract
from kiosk.sync.sandbox_state import MetrcWorld, RowErrors, SandboxRefusal


@dataclass
class Faults:
    """How the sandbox misbehaves; counts go down as each fault is served."""

    delay: float = 0.0  # seconds added to every Metrc request
    errors_500: int = 0  # the next N Metrc requests answer 500
    rate_limited: int = 0  # the next N Metrc requests answer 429
    retry_after: int = 2  # seconds, sent with each 429
    drop_writes: int = 0  # the next N writes are applied, then the connection is dropped
    fail_share: float = 0.0  # this share of requests fails at random, as one of FAULT_KINDS
    slow: float = 0.0  # seconds a "slow" random fault takes before answering (and applying)
    seed: int = 0  # for the random faults, so a run can be repeated


FAULT_KINDS = ("500", "429", "drop", "slow")


class _QuietHandler(WSGIRequestHandler):
    """Request logging off: the kiosk's logs, not the sandbox's, matter in a demo."""

    def log_request(self, *args, **kwargs):
        pass


class Sandbox:
    """The WSGI app plus its world, its faults and a log of what it received."""

    def __init__(self, license: str | None = None, now=None):
        self.world = MetrcWorld(license or _our_license(), now)
        self.faults = Faults()
        self.requests: list[tuple[str, str]] = []  # (method, path) of every Metrc request
        self.refusals: list[str] = []  # every shape refusal, for tests to show
        self.faults_served: dict[str, int] = dict.fromkeys(FAULT_KINDS, 0)
        self._random: random.Random | None = None
        self._lock = threading.Lock()
        self._server = None
        self._thread = None
        self.port = None

    # -- serving -------------------------------------------------------------------------
    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        """Serve in a background thread; returns the base URL. ``port=0`` picks a free one."""
        self._server = make_server(host, port or self.port or 0, self, threaded=True,
                                   request_handler=_QuietHandler)
        self.port = self._server.server_port
        # A short poll interval so stop() (an outage in a test) takes effect at once.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop answering (connections are refused until ``start`` again); the world stays."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- the WSGI app ----------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_sandbox/"):
            return self._control(request)(environ, start_response)
        response = self._metrc(request, environ)
        return response(environ, start_response)

    def _metrc(self, request: Request, environ) -> Response:
        with self._lock:
            self.requests.append((request.method, request.path))
            faults = self.faults
            delay = faults.delay
            fail = faults.errors_500 > 0
            limited = faults.rate_limited > 0
            if fail:
                faults.errors_500 -= 1
            elif limited:
                faults.rate_limited -= 1
            chance = None if fail or limited else self._draw()
        fail, limited = fail or chance == "500", limited or chance == "429"
        if chance == "slow":
            delay += faults.slow
        if delay:
            time.sleep(delay)
        if fail:
            return _json({"Message": "An error has occurred."}, 500)
        if limited:
            response = _json({"Message": "Too many requests."}, 429)
            response.headers["Retry-After"] = str(self.faults.retry_after)
            return response
        if not _authorised(request):
            return Response("", 401)
        body, has_body = None, bool(request.get_data())
        if has_body:
            try:
                body = json.loads(request.get_data())
            except ValueError:
                return self._refuse("the body is not JSON")
        query = request.args.to_dict()
        problems = contract.check(request.method, request.path, query, body, has_body)
        if problems:
            status = 404 if problems[0].endswith("is not a Metrc call") else 400
            return self._refuse("; ".join(problems), status)
        route = contract.find(request.method, request.path)
        try:
            with self._lock:
                result = self.world.handle(request.method, route.template, request.path,
                                           query, body)
                dropped = request.method in ("POST", "PUT") and self.faults.drop_writes > 0
                if dropped:
                    self.faults.drop_writes -= 1
                dropped = dropped or chance == "drop"
        except RowErrors as exc:
            return _json([{"row": row, "message": msg} for row, msg in exc.rows], 400)
        except SandboxRefusal as exc:
            return _json({"Message": str(exc)}, exc.status)
        if dropped:
            # The write (if any) is applied; the caller never hears so. Closing the socket under the
            # handler is what a reset mid-response looks like from the client.
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            return Response("", 500)
        return Response("", 200) if result is None else _json(result, 200)

    def _draw(self) -> str | None:
        """A random fault for this request, or None (under the lock)."""
        share = self.faults.fail_share
        if share <= 0:
            return None
        if self._random is None:
            self._random = random.Random(self.faults.seed)
        if self._random.random() >= share:
            return None
        kind = self._random.choice(FAULT_KINDS)
        self.faults_served[kind] += 1
        return kind

    def _refuse(self, message: str, status: int = 400) -> Response:
        with self._lock:
            self.refusals.append(message)
        return _json({"Message": message}, status)

    def _control(self, request: Request) -> Response:
        data = request.get_json(silent=True) or {}
        if request.path == "/_sandbox/faults" and request.method == "POST":
            with self._lock:
                for key, value in data.items():
                    if hasattr(self.faults, key):
                        setattr(self.faults, key, type(getattr(self.faults, key))(value))
            return _json(vars(self.faults), 200)
        if request.path == "/_sandbox/receive" and request.method == "POST":
            try:
                with self._lock:
                    self.world.receive(data["manifest_number"], data.get("packages"))
            except (KeyError, SandboxRefusal) as exc:
                return _json({"Message": f"cannot receive: {exc}"}, 400)
            return _json({"ok": True}, 200)
        if request.path == "/_sandbox/state":
            with self._lock:
                return _json({"requests": len(self.requests), "refusals": self.refusals[-20:],
                              "applied": len(self.world.applied)}, 200)
        return _json({"Message": "unknown sandbox control"}, 404)


def _authorised(request: Request) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        vendor, _, user = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return bool(vendor and user)


def _json(value, status: int) -> Response:
    return Response(json.dumps(value, default=str), status, mimetype="application/json")


def _our_license() -> str:
    try:
        from kiosk import config

        return str(config.load()["license"])
    except Exception:  # a bad setting elsewhere must not stop a trainer's sandbox
        from kiosk.sync.sandbox_data import OUR_LICENSE

        return OUR_LICENSE


def adopt_store_stock(world: MetrcWorld) -> int:
    """Load the local store's locations, packages and incoming manifests into the sandbox,
    when a store database is bound in this process (``make demo``), so the demo's moves and
    adjustments are of packages Metrc knows, and its received deliveries can be read back.
    Returns how many packages were added.

    Where the store already holds a figure pulled from Metrc (``MetrcPackage``: the demo
    seeds a few that differ from the shelves), the sandbox starts from that figure, so it
    goes on saying what Metrc said."""
    from kiosk import db
    from kiosk.models import Location, MetrcPackage, Package, Transfer, TransferPackage

    if db.database.obj is None:
        return 0
    with db.connection():
        locations = [name for (name,) in Location.select(Location.name).tuples()]
        metrc = dict(MetrcPackage.select(MetrcPackage.tag, MetrcPackage.quantity).tuples())
        packages = [{"tag": p.tag, "quantity": metrc.get(p.tag, p.quantity), "unit": p.unit,
                     "location": p.location.name if p.location_id else None,
                     "item_name": p.item.name, "batch": p.batch}
                    for p in Package.select().where(Package.status != "destroyed")]
        transfers = []
        for t in Transfer.select().where(Transfer.metrc_delivery_id.is_null(False)):
            transfers.append({
                "manifest_number": t.manifest_number, "transfer_id": t.metrc_transfer_id,
                "delivery_id": t.metrc_delivery_id, "shipper_name": t.shipper_name,
                "shipper_license": t.shipper_license, "driver_name": t.driver_name,
                "driver_license": t.driver_license, "vehicle": t.vehicle,
                "est_departure": t.est_departure, "est_arrival": t.est_arrival,
                "packages": [{"tag": p.tag, "package_id": p.metrc_package_id,
                              "item_name": p.item_name, "batch": p.batch,
                              "quantity": p.shipped_quantity, "unit": p.shipped_unit,
                              "thc_pct": _number(p.label_thc_pct),
                              "cbd_pct": _number(p.label_cbd_pct)}
                             for p in TransferPackage.select().where(
                                 TransferPackage.transfer == t).order_by(TransferPackage.id)]})
    world.adopt_transfers(transfers)
    return world.adopt(locations, packages)


def _number(value):
    return None if value is None else float(value)


def serve(port: int, host: str = "127.0.0.1") -> None:
    """Run the training sandbox in the foreground until interrupted (``kiosk sandbox``)."""
    from kiosk.sync import sandbox_receipts, sandbox_store

    sandbox = Sandbox()
    try:
        adopt_store_stock(sandbox.world)
        store = sandbox_store.store_from_database()
        if store is not None:  # the demo store's sales, as its POS reported them to Metrc
            sandbox_receipts.adopt_sales(sandbox.world, store["packages"])
    except Exception as exc:  # the sandbox still serves its own demo world
        print(f"Training sandbox: could not read the store's stock ({exc}).")
    server = make_server(host, port, sandbox, threaded=True, request_handler=_QuietHandler)
    print(f"Training Metrc sandbox for licence {sandbox.world.license} on http://{host}:{port}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()

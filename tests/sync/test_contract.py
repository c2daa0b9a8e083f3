"""Every request the Metrc client can send matches Metrc's own Postman collection, and the
sandbox refuses what Metrc would refuse for shape."""

from __future__ import annotations

import datetime as dt
import inspect
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from kiosk.sync import contract
from kiosk.sync.delivery import WRITES
from kiosk.sync.metrc import MetrcClient


class Recorder(requests.adapters.BaseAdapter):
    """A transport that records requests and answers with an empty page or empty success."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def send(self, request, **kwargs):
        self.sent.append(request)
        response = requests.Response()
        response.status_code = 200
        response.request = request
        body = ({"Ids": [1], "Warnings": None} if request.method == "POST" else None
                if request.method == "PUT" else {"Data": [], "TotalPages": 1})
        response._content = b"" if body is None else json.dumps(body).encode()
        return response

    def close(self):
        pass


def _client():
    recorder = Recorder()
    session = requests.Session()
    session.mount("http://", recorder)
    return MetrcClient("http://metrc.test", "vendor", "user", "C10-0000001-LIC",
                       session=session), recorder


class _Msg:
    def __init__(self, kind, payload):
        self.kind, self.payload = kind, payload
        self.external_key = "run1-ev2-metrc"
        self.created_at = dt.datetime(2026, 11, 23, 9)


SAMPLE_PAYLOADS = {
    "package.location": {"tag": "1A4060300003779000000011", "location_name": "Vault A2"},
    "package.note": {"tag": "1A4060300003779000000011", "note": "Dented lid"},
    "package.adjust": {"tag": "1A4060300003779000000011", "quantity": "-2", "unit": "Each",
                       "reason": "Damage (Non-Recoverable)", "note": "dropped",
                       "date": "2026-11-23"},
    "package.finish": {"tag": "1A4060300003779000000011", "date": "2026-11-23"},
    "package.unfinish": {"tag": "1A4060300003779000000011"},
    "sale.receipt": {"sold_at": "2026-11-23T10:15:00.000", "lines": [
        {"tag": "1A4060300003779000000011", "quantity": 1, "unit": "Each", "amount": 35}]},
    "sale.receipt.update": {"receipt_id": 500012, "sold_at": "2026-11-22T10:15:00.000",
                            "external_number": "261122005", "lines": [
                                {"tag": "1A4060300003779000000011", "quantity": 2,
                                 "unit": "Each", "amount": 70}]},
    "sale.receipt.void": {"receipt_id": 500013},
}


def _every_call(client):
    start, end = dt.datetime(2026, 11, 22, 9), dt.datetime(2026, 11, 23, 9)
    calls = {
        "incoming_transfers": (start, end), "outgoing_transfers": (start, end),
        "transfer_deliveries": (4501,),
        "delivery_packages": (94501,), "lab_results": (880101,),
        "packages": ("active", start, end), "package": ("1A4060300003779000000011",),
        "adjust_reasons": (), "adjustments": (), "receipts": ("active", start, end),
        "receipt_by_external": ("run1-ev2",), "locations": (start, end), "items": (start, end),
        "units_of_measure": (), "employees": (), "probe": (),
    }
    for name, args in calls.items():
        result = getattr(client, name)(*args)
        if inspect.isgenerator(result):
            list(result)
    for which in ("onhold", "inactive"):
        list(client.packages(which, start, end))
    list(client.receipts("inactive", start, end))
    for kind, (build, method, _) in WRITES.items():
        getattr(client, method)([build(_Msg(kind, SAMPLE_PAYLOADS[kind]))])
    return calls


def test_every_request_the_client_sends_matches_metrcs_collection():
    client, recorder = _client()
    calls = _every_call(client)
    public = {name for name, _ in inspect.getmembers(MetrcClient, inspect.isfunction)
              if not name.startswith("_") and name not in ("request", "pages", "windowed")}
    covered = set(calls) | {method for _, method, _ in WRITES.values()}
    assert public <= covered, f"calls the contract test does not exercise: {public - covered}"
    assert len(recorder.sent) >= len(covered)
    problems = []
    for sent in recorder.sent:
        url = urlsplit(sent.url)
        query = dict(parse_qsl(url.query))
        body = json.loads(sent.body) if sent.body else None
        problems += [f"{sent.method} {url.path}: {p}"
                     for p in contract.check(sent.method, url.path, query, body, bool(sent.body))]
        assert sent.headers["Authorization"].startswith("Basic ")
        if "lastModifiedStart" in query or "lastModifiedEnd" in query:
            assert {"lastModifiedStart", "lastModifiedEnd"} <= set(query)
        if sent.method in ("POST", "PUT"):
            assert isinstance(body, list) and body, "write bodies are arrays"
    assert problems == []


def test_list_calls_always_send_both_window_bounds_and_small_pages():
    client, recorder = _client()
    list(client.incoming_transfers(dt.datetime(2026, 11, 22), dt.datetime(2026, 11, 23)))
    query = dict(parse_qsl(urlsplit(recorder.sent[0].url).query))
    assert query["lastModifiedStart"] == "2026-11-22T00:00:00Z"
    assert query["lastModifiedEnd"] == "2026-11-23T00:00:00Z"
    assert int(query["pageSize"]) <= 20 and query["pageNumber"] == "1"
    assert query["licenseNumber"] == "C10-0000001-LIC"


@pytest.mark.parametrize("method, path, query, body, expected", [
    ("PUT", "/packages/v2/location", {"licenseNumber": "L"},
     [{"Label": "X", "LocationName": "Vault", "MoveDate": "2026-11-23"}], "LocationName"),
    ("PUT", "/packages/v2/location", {"licenseNumber": "L"},
     [{"label": "X", "Location": "Vault"}], "Metrc spells it 'Label'"),
    ("PUT", "/packages/v2/location", {}, [{"Label": "X"}], "needs licenseNumber"),
    ("PUT", "/packages/v2/note", {"licenseNumber": "L"}, {"PackageLabel": "X"}, "JSON array"),
    ("POST", "/packages/v2/location", {"licenseNumber": "L"}, [{"Label": "X"}],
     "not a Metrc call"),
    ("GET", "/packages/v2/active", {"licenseNumber": "L", "pageSize": "50"}, None,
     "pageSize"),
    ("GET", "/transfers/v2/incoming", {"licenseNumber": "L", "since": "x"}, None, "'since'"),
])
def test_the_matcher_rejects_what_metrc_does_not_document(method, path, query, body, expected):
    problems = contract.check(method, path, query, body, body is not None)
    assert any(expected in p for p in problems), problems


def test_sandbox_refuses_bad_shapes_as_metrc_would(sandbox):
    base, auth = sandbox.url, ("vendor", "user")
    tag = "1A4060300003779000000011"

    def call(method, path, params=None, body=None, auth=auth):
        return requests.request(method, base + path, params=params, json=body, auth=auth,
                                timeout=5)

    assert call("GET", "/packages/v2/a/b/c", {"licenseNumber": "x"}).status_code == 404
    assert call("DELETE", "/transfers/v2/incoming").status_code == 404
    missing = call("GET", "/packages/v2/active")
    assert missing.status_code == 400 and "licenseNumber" in missing.json()["Message"]
    lic = {"licenseNumber": sandbox.world.license}
    not_array = call("PUT", "/packages/v2/note", lic, {"PackageLabel": tag, "Note": "x"})
    assert not_array.status_code == 400 and "array" in not_array.json()["Message"]
    wrong_case = call("PUT", "/packages/v2/note", lic, [{"packageLabel": tag, "Note": "x"}])
    assert wrong_case.status_code == 400 and "PackageLabel" in wrong_case.json()["Message"]
    assert call("GET", "/packages/v2/active", lic, auth=None).status_code == 401
    other = call("GET", "/packages/v2/active", {"licenseNumber": "C10-9999999-LIC"})
    assert other.status_code == 401
    ok = call("PUT", "/packages/v2/note", lic, [{"PackageLabel": tag, "Note": "x"}])
    assert ok.status_code == 200
    assert sandbox.world.packages[tag]["Note"] == "x"
    rows = call("PUT", "/packages/v2/location", lic,
                [{"Label": tag, "Location": "Vault A2", "MoveDate": "2026-11-23"},
                 {"Label": "1A4060300003779000099999", "Location": "Vault A2",
                  "MoveDate": "2026-11-23"}])
    assert rows.status_code == 400
    assert rows.json() == [{"row": 1, "message": "Package 1A4060300003779000099999 does not "
                                                  "exist in the current Facility."}]
    assert sandbox.world.packages[tag]["LocationName"] == "Vault A1", "all or nothing"

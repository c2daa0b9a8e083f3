"""Metrc's own Postman collection as a contract: is this request one Metrc documents?

The collection (``data/metrc-ca.json``, Metrc's published collection for California as kept
by the MIT-licensed ThunkMetrc project) lists every call with its method, path, query keys and
an example body. The training sandbox refuses any request that does not match it, and the
contract test runs every request the client can build through the same matcher, so the two
cannot drift apart without a test failing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

BUNDLED = Path(__file__).with_name("data") / "metrc-ca.json"


def collection_path() -> Path:
    """The collection to judge against: the shared reference copy when the repository has
    one beside it (so a newer collection is picked up), otherwise the bundled copy."""
    shared = (Path(__file__).resolve().parents[3] / "shared" / "reference" / "metrc" / "ca.json")
    return shared if shared.is_file() else BUNDLED


@dataclass(frozen=True)
class Route:
    """One documented call."""

    method: str
    template: str  # e.g. /packages/v2/{id}
    pattern: re.Pattern
    literals: int  # how many fixed segments; the most specific route wins
    query: frozenset[str]
    body: dict | None = field(default=None, hash=False, compare=False)  # key -> nested shape


def _shape(value):
    """The keys an example body documents, nested for objects and arrays of objects."""
    if isinstance(value, list):
        merged: dict = {}
        found = False
        for element in value:
            if isinstance(element, dict):
                found = True
                for key, sub in _shape(element).items():
                    merged[key] = merged.get(key) or sub
        return merged if found else None
    if isinstance(value, dict):
        return {key: _shape(sub) for key, sub in value.items()}
    return None


def _walk(items):
    for item in items:
        if "item" in item:
            yield from _walk(item["item"])
        else:
            yield item["request"]


@lru_cache(maxsize=2)
def routes(path: str | None = None) -> tuple[Route, ...]:
    """Every Metrc-server call in the collection (Connect webhooks excluded)."""
    data = json.loads(Path(path or collection_path()).read_text())
    found = []
    for request in _walk(data["item"]):
        url = request["url"]
        host = "".join(url["host"])
        if not host.startswith("{{Metrc.api.server}}"):
            continue
        segments = [s for s in host.removeprefix("{{Metrc.api.server}}").split("/") if s]
        segments += [s for s in url.get("path") or [] if s]
        template = "/" + "/".join(s.replace("{{", "{").replace("}}", "}") for s in segments)
        regex = "".join("/[^/]+" if s.startswith("{{") else "/" + re.escape(s) for s in segments)
        body = None
        raw = (request.get("body") or {}).get("raw")
        if raw:
            body = _shape(json.loads(raw))
        found.append(Route(
            method=request["method"].upper(), template=template,
            pattern=re.compile(regex + "/?$"),
            literals=sum(1 for s in segments if not s.startswith("{{")),
            query=frozenset(q["key"] for q in url.get("query") or []), body=body))
    return tuple(found)


def find(method: str, path: str) -> Route | None:
    """The documented route for ``method`` and ``path``, most specific first, or None."""
    best = None
    for route in routes():
        if route.method == method.upper() and route.pattern.match(path):
            if best is None or route.literals > best.literals:
                best = route
    return best


def _check_keys(obj, shape, where: str) -> list[str]:
    problems = []
    if not isinstance(obj, dict):
        return [f"{where} must be an object"]
    lower = {k.lower(): k for k in shape}
    for key, value in obj.items():
        if key not in shape:
            hint = f" (Metrc spells it '{lower[key.lower()]}')" if key.lower() in lower else ""
            problems.append(f"{where}: field '{key}' is not documented for this call{hint}")
            continue
        sub = shape[key]
        if sub and isinstance(value, list):
            for i, element in enumerate(value):
                problems += _check_keys(element, sub, f"{where}.{key}[{i}]")
        elif sub and isinstance(value, dict):
            problems += _check_keys(value, sub, f"{where}.{key}")
    return problems


def check(method: str, path: str, query: dict | None, body=None, has_body: bool = False
          ) -> list[str]:
    """Everything wrong with a request by Metrc's collection; empty when it matches.

    ``query`` maps parameter names to values; ``has_body`` says whether a body was sent (a
    JSON ``null`` body still counts as sent).
    """
    route = find(method, path)
    if route is None:
        return [f"{method.upper()} {path} is not a Metrc call"]
    problems = []
    query = query or {}
    for key in query:
        if key not in route.query:
            problems.append(f"query parameter '{key}' is not documented for "
                            f"{route.method} {route.template}")
    if "licenseNumber" in route.query and not query.get("licenseNumber"):
        problems.append(f"{route.method} {route.template} needs licenseNumber")
    if "pageSize" in query:
        try:
            if not 1 <= int(query["pageSize"]) <= 20:
                problems.append("pageSize must be between 1 and 20")
        except ValueError:
            problems.append("pageSize must be a number")
    if route.body is None:
        if has_body and body not in (None, "", []):
            problems.append(f"{route.method} {route.template} takes no body")
        return problems
    if not isinstance(body, list):
        return problems + ["the body must be a JSON array of objects"]
    if not body:
        problems.append("the body array is empty")
    for i, element in enumerate(body):
        problems += _check_keys(element, route.body, f"row {i}")
    return problems

"""A plain HTTP client for a running kiosk server, behaving like the kiosk page (htmx
headers, CSRF cookie and header, the screen's revision). Used by the crash test and by
``bench/bench_receiving.py``; one keep-alive connection, standard library only."""

from __future__ import annotations

import http.client
import json
import re
import time
from urllib.parse import urlencode, urlparse

REV = re.compile(r'data-rev="(\d+)"')
STEP = re.compile(r'data-step="([a-z_]+)"')


class KioskHTTP:
    """One screen talking to the server at ``base_url``."""

    def __init__(self, base_url: str, timeout: float = 30):
        parts = urlparse(base_url)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        self.html = ""
        self.headers: dict[str, str] = {}
        self.get("/")

    def request(self, method: str, path: str, form: dict | None = None):
        """Send one request; keeps cookies; returns (status, body)."""
        headers = {"HX-Request": "true",
                   "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if method == "POST":
            headers["X-CSRF-Token"] = self.cookies.get("kiosk_csrf", "")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(form or {})
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        self.headers = {k.lower(): v for k, v in response.getheaders()}
        self.html = text
        return response.status, text

    def send_only(self, path: str, form: dict) -> None:
        """Post without waiting for the answer (the server may die before it replies)."""
        headers = {"HX-Request": "true", "X-CSRF-Token": self.cookies.get("kiosk_csrf", ""),
                   "Content-Type": "application/x-www-form-urlencoded",
                   "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        self.conn.request("POST", path, body=urlencode(form), headers=headers)

    def get(self, path: str):
        return self.request("GET", path)

    def login(self, badge: str, pin: str) -> None:
        self.request("POST", "/login/badge", {"value": badge})
        self.request("POST", "/login/pin", {"badge": badge, "pin": pin})

    def start(self, workflow: str) -> int:
        """Start a run; returns its id."""
        self.request("POST", "/runs", {"workflow": workflow})
        return int(self.headers["hx-redirect"].rsplit("/", 1)[1])

    def show(self, run_id: int) -> str:
        self.get(f"/runs/{run_id}")
        return self.html

    def feedback(self) -> dict:
        return json.loads(self.headers.get("hx-trigger", "{}")).get("kiosk:feedback", {})

    @property
    def rev(self) -> int:
        return int(REV.search(self.html).group(1))

    @property
    def step_id(self) -> str:
        match = STEP.search(self.html)
        return match.group(1) if match else ""

    def step(self, run_id: int, step_id: str, **form) -> tuple[dict, float]:
        """Answer the step shown on screen (its revision); returns (feedback, seconds)."""
        form.setdefault("rev", self.rev)
        began = time.perf_counter()
        status, _ = self.request("POST", f"/runs/{run_id}/steps/{step_id}", form)
        elapsed = time.perf_counter() - began
        if status != 200:
            raise AssertionError(f"{step_id}: HTTP {status}")
        return self.feedback(), elapsed

    def close(self) -> None:
        self.conn.close()

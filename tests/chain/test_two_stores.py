"""A chain on one PostgreSQL: two stores (licences) in one database, each in its own schema
(``?schema=`` in its KIOSK_DATABASE). Each store's server and syncer run as their own
processes, as systemd runs them, and everything here is tried from store A against what
store B holds: B's person cannot log in at A, B's package cannot be scanned at A, A's
screens never show B's packages, people, counts or messages, the same tag in both stores is
two packages, and each store's syncer sends only its own messages, with its own Metrc keys
and licence."""

from __future__ import annotations

import base64
import html
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from werkzeug.wrappers import Request

from kiosk import auth, clock, db, demo, demo_counts, ledger
from kiosk.models import Count, Employee, Location, OutboxMessage, Package
from kiosk.sync.sandbox import Sandbox, adopt_store_stock

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from liveserver import HttpKiosk, LiveServer  # noqa: E402

A, B = "C10-0000101-LIC", "C10-0000202-LIC"
ONLY_B = "1A40603000000000000B0B0B"  # a package store B has and store A never had
MANAGER = ("1006", "6789")  # the demo's manager, in both stores


class RecordingSandbox(Sandbox):
    """The training sandbox (Metrc) for one licence, noting who called and for whom."""

    def __init__(self, license: str):
        super().__init__(license)
        self.seen: list[tuple[str, str, str]] = []  # (vendor:user keys, licence, body)

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        request = Request(environ)
        keys = request.headers.get("Authorization", "").removeprefix("Basic ")
        self.seen.append((base64.b64decode(keys).decode() if keys else "",
                          request.args.get("licenseNumber", ""), body.decode()))
        return super().__call__(environ, start_response)


def bind(url: str) -> None:
    db.init(url)
    db.upgrade()
    db.database.connect(reuse_if_open=True)


@pytest.fixture
def chain(postgres_url, tmp_path):
    urls = {"a": f"{postgres_url}?schema=store_a", "b": f"{postgres_url}?schema=store_b"}
    bind(urls["a"])
    demo.build(license=A)
    bind(urls["b"])
    demo.build(license=B)
    demo_counts.seed()  # B has counts scheduled; A has none
    with db.write():
        Employee.create(name="Zed Only-B", badge="2001", pin_hash=auth.hash_pin("2468"),
                        roles="manager,vault", created_at=clock.now())
        package = Package.create(tag=ONLY_B, item=1, unit="Each", created_at=clock.now())
        ledger.receive(package, 12, to_location=Location.get(Location.code == "LOC-V-A1"),
                       reason="opening stock", station="demo")
    servers = {}
    for name, license in (("a", A), ("b", B)):
        folder = tmp_path / name
        folder.mkdir()
        servers[name] = LiveServer(urls[name], folder, env={"KIOSK_LICENSE": license}).start()
    yield urls, servers
    for server in servers.values():
        server.stop()
    db.database.close()


def moved(screen: HttpKiosk, tag: str, to: str):
    """Start a move at ``screen``, scan ``tag``, then (if taken) ``to``; the last answer."""
    run_id = screen.start("move_package")
    step, rev = screen.current(run_id)
    answer, _tone = screen.submit(run_id, step, tag, rev)
    if 'data-step="destination"' not in answer.text:
        return answer
    step, rev = screen.parse(answer.text)
    return screen.submit(run_id, step, to, rev)[0]


def test_a_store_never_sees_another_stores_rows(chain):
    urls, servers = chain
    at_a = HttpKiosk(servers["a"].url, "vault-1")
    # A person of store B is nobody at store A, and somebody at B.
    with pytest.raises(AssertionError, match="login refused"):
        at_a.login("2001", "2468")
    HttpKiosk(servers["b"].url, "vault-1").login("2001", "2468")

    at_a.login(*MANAGER)
    # B's package cannot be scanned at A.
    refused = moved(at_a, ONLY_B, "LOC-V-B2")
    said = html.unescape(refused.text) + refused.headers.get("HX-Trigger", "")
    assert f"Package {ONLY_B} is not in this store" in said
    # The same tag in both stores is two packages: A's move leaves B's where it was.
    tag = demo.demo_tag(3)
    bind(urls["b"])
    b_place = Package.get(Package.tag == tag).location.code
    target = "LOC-V-B2" if b_place != "LOC-V-B2" else "LOC-V-B3"
    bind(urls["a"])
    if Package.get(Package.tag == tag).location.code == target:
        target = "LOC-V-B4"
    assert 'data-step="package"' in moved(at_a, tag, target).text
    assert Package.get(Package.tag == tag).location.code == target
    # A move at B makes a message about B's package, in B.
    at_b = HttpKiosk(servers["b"].url, "vault-1")
    at_b.login(*MANAGER)
    assert 'data-step="package"' in moved(at_b, ONLY_B, "LOC-V-B2").text
    bind(urls["b"])
    assert Package.get(Package.tag == tag).location.code == b_place
    b_counts = [c.id for c in Count.select()]
    assert b_counts and OutboxMessage.select().where(
        OutboxMessage.ordering_key == ONLY_B).exists()

    # A's screens show none of B's people, packages, counts or messages.
    for path in ("/", "/manager/runs", "/manager/sync", "/manager/counts", "/manager/figures",
                 "/manager/staff", "/manager/printing", "/manager/vault-log"):
        page = at_a.http.get(servers["a"].url + path, timeout=10)
        assert page.status_code == 200, path
        assert ONLY_B not in page.text and "Zed Only-B" not in page.text, path
    # B's counts cannot be reached from A, nor cancelled there.
    for count_id in b_counts:
        page = at_a.http.get(f"{servers['a'].url}/manager/counts/{count_id}", timeout=10)
        assert page.status_code == 404
        cancel = at_a.post(f"/manager/counts/{count_id}/cancel", {"why": "trying"})
        assert "Only a count nobody has started" in cancel.text
    bind(urls["b"])
    assert Count.select().where(Count.id.in_(b_counts), Count.status == "cancelled").count() == 0
    bind(urls["a"])
    assert not Count.select().exists()
    assert not Employee.select().where(Employee.badge == "2001").exists()


def sync_once(url: str, license: str, sandbox: RecordingSandbox, keys: tuple[str, str],
              folder: Path) -> None:
    """`kiosk sync --once` for one store, as its own process with its own settings."""
    env = {**os.environ, "KIOSK_DATABASE": url, "KIOSK_LICENSE": license,
           "KIOSK_METRC_URL": sandbox.url, "KIOSK_METRC_VENDOR_KEY": keys[0],
           "KIOSK_METRC_USER_KEY": keys[1], "KIOSK_HOME": str(folder)}
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", "--once"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_store_syncs_its_own_messages_with_its_own_keys(chain, tmp_path):
    urls, servers = chain
    for name, tag in (("a", demo.demo_tag(7)), ("b", ONLY_B)):
        screen = HttpKiosk(servers[name].url, "vault-1")
        screen.login(*MANAGER)
        bind(urls[name])
        here = Package.get(Package.tag == tag).location.code
        assert 'data-step="package"' in moved(
            screen, tag, "LOC-V-B2" if here != "LOC-V-B2" else "LOC-V-B3").text
    sandboxes = {}
    for name, license in (("a", A), ("b", B)):
        bind(urls[name])
        sandboxes[name] = RecordingSandbox(license)
        adopt_store_stock(sandboxes[name].world)
        sandboxes[name].start()
    try:
        sync_once(urls["a"], A, sandboxes["a"], ("vendor-a", "user-a"), tmp_path)
        # A's syncer delivered A's messages to A's licence with A's keys, and left B's alone.
        bind(urls["a"])
        assert not OutboxMessage.select().where(OutboxMessage.target == "metrc",
                                                OutboxMessage.status != "delivered").exists()
        assert {(keys, lic) for keys, lic, _ in sandboxes["a"].seen if lic} == {
            ("vendor-a:user-a", A)}
        assert any(demo.demo_tag(7) in body for _, _, body in sandboxes["a"].seen)
        assert not any(ONLY_B in body for _, _, body in sandboxes["a"].seen)
        assert sandboxes["b"].seen == []
        bind(urls["b"])
        waiting = OutboxMessage.get(OutboxMessage.ordering_key == ONLY_B,
                                    OutboxMessage.target == "metrc")
        assert waiting.status == "pending"

        sync_once(urls["b"], B, sandboxes["b"], ("vendor-b", "user-b"), tmp_path)
        assert OutboxMessage.get_by_id(waiting.id).status == "delivered"
        assert {(keys, lic) for keys, lic, _ in sandboxes["b"].seen if lic} == {
            ("vendor-b:user-b", B)}
        assert any(ONLY_B in body for _, _, body in sandboxes["b"].seen)
    finally:
        for sandbox in sandboxes.values():
            sandbox.stop()

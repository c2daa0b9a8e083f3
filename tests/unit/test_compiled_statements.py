"""The statements every step runs, compiled once (``Model.one``, ``Model.create``, following a
foreign key), give exactly what peewee's own queries give, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kiosk import clock, db
from kiosk.models import Employee, Item, Location, LoginSession, OutboxMessage, Package, Run


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path):
    """A migrated, empty database of each kind, bound for the test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    db.init(url)
    db.upgrade()
    db.database.connect(reuse_if_open=True)
    yield request.param
    if not db.database.is_closed():
        db.database.close()
    if hasattr(db.database.obj, "close_all"):
        db.database.obj.close_all()


def stock():
    with db.write():
        item = Item.create(name="Blue Dream 3.5g", brand="Coast", category="flower",
                           gtin="00812345000012", unit="Each")
        shelf = Location.create(code="LOC-V-A1", name="Vault shelf A1", kind="vault")
        package = Package.create(tag="1A4060300000000000000042", item=item, batch="B-7",
                                 quantity=Decimal("12.5"), location=shelf,
                                 received_at=dt.datetime(2026, 11, 2, 9, 30, 15, 250000),
                                 expires_on=dt.date(2027, 5, 1), thc_pct=Decimal("22.40"),
                                 created_at=dt.datetime(2026, 11, 2, 9, 30))
    return item, shelf, package


def fields(record) -> dict:
    return dict(record.__data__)


def test_one_reads_every_field_as_peewee_does(backend):
    _, _, package = stock()
    ours = Package.one(tag=package.tag)
    theirs = Package.get(Package.tag == package.tag)
    assert fields(ours) == fields(theirs)
    assert ours.quantity == Decimal("12.5") and isinstance(ours.quantity, Decimal)
    assert ours.received_at == dt.datetime(2026, 11, 2, 9, 30, 15, 250000)
    assert ours.expires_on == dt.date(2027, 5, 1) and ours.cbd_pct is None
    assert not ours.is_dirty()


def test_one_without_a_match_is_none_and_none_means_is_null(backend):
    _, shelf, package = stock()
    assert Package.one(tag="1A4060300000000000009999") is None
    with db.write():
        Package.create(tag="1A4060300000000000000043", item=package.item, location=None,
                       created_at=clock.now())
    assert Package.one(location=None).tag == "1A4060300000000000000043"
    assert Package.one(location=shelf.id, status="active").tag == package.tag
    assert Package.one(location=shelf, status="held") is None


def test_following_a_foreign_key_loads_the_row_once(backend):
    item, shelf, package = stock()
    found = Package.one(tag=package.tag)
    assert found.location.code == "LOC-V-A1" and found.item.name == item.name
    assert found.location is found.location  # kept on the instance, not read again
    orphan = Package.one(tag=package.tag)
    orphan.__data__["item"] = 987654
    with pytest.raises(Item.DoesNotExist):
        orphan.item  # noqa: B018 (the attribute access is the test)


def test_get_by_id_raises_when_missing(backend):
    _, shelf, _ = stock()
    assert Location.get_by_id(shelf.id).code == "LOC-V-A1"
    with pytest.raises(Location.DoesNotExist):
        Location.get_by_id(shelf.id + 1000)


def test_create_fills_defaults_and_returns_the_new_id(backend):
    item, _, _ = stock()
    with db.write():
        employee = Employee.create(name="Ana Ruiz", badge="1001", pin_hash="x", roles="receiver",
                                   created_at=clock.now())
        first = OutboxMessage.create(target="metrc", kind="package.location",
                                     payload={"tag": "T1", "qty": Decimal("2.5")},
                                     external_key="k1", next_attempt_at=clock.now(),
                                     created_at=clock.now())
        second = OutboxMessage.create(target="pos", kind="stock.moved", payload={},
                                      external_key="k2", next_attempt_at=clock.now(),
                                      created_at=clock.now())
        run = Run.create(workflow="move_package", version=1, current_step="package",
                         operator=employee, station="vault-1", started_at=clock.now(),
                         updated_at=clock.now())
    assert second.id == first.id + 1
    stored = OutboxMessage.get(OutboxMessage.id == first.id)
    assert stored.status == first.status == "pending" and stored.attempts == 0
    assert stored.payload == {"tag": "T1", "qty": "2.5"}
    assert Run.get_by_id(run.id).data == {} and Run.get_by_id(run.id).operator.name == "Ana Ruiz"
    assert employee.active is True and Employee.one(badge="1001").active is True
    assert not first.is_dirty()


def test_a_session_is_found_by_token_only_while_it_is_open(backend):
    with db.write():
        employee = Employee.create(name="Ana Ruiz", badge="1001", pin_hash="x",
                                   roles="receiver", created_at=clock.now())
        LoginSession.create(token="open-token", employee=employee, station="vault-1",
                            created_at=clock.now(), last_seen=clock.now())
        LoginSession.create(token="ended-token", employee=employee, station="vault-1",
                            created_at=clock.now(), last_seen=clock.now(),
                            ended_at=clock.now(), end_reason="logout")
    assert LoginSession.one(token="open-token", ended_at=None).employee.badge == "1001"
    assert LoginSession.one(token="ended-token", ended_at=None) is None


def test_one_with_reads_the_related_row_in_the_same_statement(backend):
    item, shelf, package = stock()
    found = Package.one_with("location", tag=package.tag)
    assert fields(found) == fields(Package.get(Package.tag == package.tag))
    assert fields(found.__rel__["location"]) == fields(Location.get_by_id(shelf.id))
    assert found.location is found.__rel__["location"]  # no second read
    assert Package.one_with("location", tag="1A4060300000000000009999") is None
    with db.write():
        Package.create(tag="1A4060300000000000000043", item=item, location=None,
                       created_at=clock.now())
    # A package on no shelf has nothing to join: as with an inner join, it is not found.
    assert Package.one_with("location", tag="1A4060300000000000000043") is None


def test_create_keeps_a_related_record_and_takes_a_key_by_its_column(backend):
    item, shelf, _ = stock()
    now = clock.now()
    with db.write():
        by_record = Package.create(tag="1A4060300000000000000050", item=item, location=shelf,
                                   created_at=now)
        by_column = Package.create(tag="1A4060300000000000000051", item_id=item.id,
                                   location_id=shelf.id, created_at=now)
    assert by_record.location is shelf and by_record.location_id == shelf.id
    assert fields(Package.get_by_id(by_column.id)) | {"id": None, "tag": None} == (
        fields(Package.get_by_id(by_record.id)) | {"id": None, "tag": None})
    assert by_column.item.name == item.name
    with pytest.raises(TypeError, match="Package has no field colour"), db.write():
        Package.create(tag="1A4060300000000000000052", item=item, colour="green",
                       created_at=clock.now())

"""A request's collection runs the SQL connector end to end: items stored with the identifier they were found under."""

from __future__ import annotations

import pytest

from dsar.connectors import demo
from dsar.connectors.base import Subject, connector_for
from dsar.connectors.models import SqlSource, SqlTable
from dsar.models import Item, Task
from dsar.tests.factories import make_collecting
from portal.demo import ASSETS
from portal.tests.factories import DataAssetFactory


@pytest.fixture
def demo_shop(db, settings, tmp_path, access_admin):
    settings.DEMO_CUSTOMERS_DB = tmp_path / "demo_customers.sqlite3"
    names = list(demo.SOURCES)
    assets = {name: DataAssetFactory(name=name, holds_personal_data=True) for name in names}
    return demo.seed({"assets": assets, "people": {"adam": access_admin}}), assets


def test_the_demo_database_answers_ann_with_bobs_mistagged_recording_under_bobs_identifier(demo_shop):
    _, assets = demo_shop
    connector = connector_for(assets["Voice recordings"])

    items = list(connector.collect(Subject(email="ann@example.com", customer_id="C-1001")))

    assert [i.subject_identifier for i in items] == ["customer:C-1001"] * 3 + [demo.MISTAGGED["identifier"]]
    assert items[-1].data["recording_id"] == demo.MISTAGGED["recording_id"]
    assert all(i.kind == "file" and i.content.startswith(b"RIFF") and 4000 < len(i.content) < 5000 for i in items)


def test_seeding_twice_creates_nothing_twice(demo_shop, access_admin):
    _, assets = demo_shop
    demo.seed({"assets": assets, "people": {"adam": access_admin}})

    assert SqlSource.objects.count() == 3
    assert SqlTable.objects.count() == 3


def test_collecting_a_verified_request_stores_the_connectors_items(demo_shop, django_capture_on_commit_callbacks):
    _, assets = demo_shop
    with django_capture_on_commit_callbacks(execute=True):
        request = make_collecting(assets=assets.values(), email="ann@example.com", customer_id="C-1001")

    tasks = {t.asset.name: t for t in request.tasks.select_related("asset")}
    assert {t.method for t in tasks.values()} == {Task.Method.CONNECTOR}
    assert {name: t.found for name, t in tasks.items()} == {
        "Customer contact database": 1,
        "Order history": 2,
        "Voice recordings": 4,
    }
    recordings = Item.objects.filter(task=tasks["Voice recordings"]).order_by("pk")
    assert [i.subject_identifier for i in recordings][-1] == "customer:C-1002"
    assert recordings[0].file.read().startswith(b"RIFF")
    assert not ({i.subject_identifier for i in request.items.all()} <= request.subject_identifiers())


def test_the_demo_asset_names_exist_in_the_portal_demo():
    assert set(demo.SOURCES) <= {a["name"] for a in ASSETS}

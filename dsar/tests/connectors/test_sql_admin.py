"""The SQL source in the admin: configured without code, refused with clear errors, tested, audited."""

from __future__ import annotations

import pytest
from django.urls import reverse
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.pool import NullPool

from dsar.connectors.models import SqlSource, SqlTable
from dsar.tests.connectors.customers import customer_tables
from portal import testing
from portal.models import AuditEvent

ADD = reverse("admin:dsar_sqlsource_add")
CHANGELIST = reverse("admin:dsar_sqlsource_changelist")


@pytest.fixture
def admin_client(access_admin):
    access_admin.is_staff = True
    access_admin.save(update_fields=["is_staff"])
    return testing.web_client(access_admin)


@pytest.fixture
def shop_file(tmp_path):
    path = tmp_path / "shop.sqlite3"
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    metadata = MetaData()
    customer_tables(metadata)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO contacts VALUES ('C-1001', 'ann@example.com', 'Ann', 'first', NULL)"))
    engine.dispose()
    return path


def form_data(asset, url: str, **table) -> dict:
    data = {
        "asset": asset.pk,
        "url": url,
        "password_env": "",
        "statement_timeout": 30,
        "files_root": "",
        "tables-TOTAL_FORMS": 1,
        "tables-INITIAL_FORMS": 0,
        "tables-MIN_NUM_FORMS": 1,
        "tables-MAX_NUM_FORMS": 1000,
        "tables-0-table": "contacts",
        "tables-0-identifier_column": "email",
        "tables-0-identifier_kind": "email",
        "tables-0-subject_column": "",
        "tables-0-columns": "first name\norder\n",
        "tables-0-file_column": "",
        "tables-0-erasure_mode": "delete",
        "tables-0-null_columns": "",
    }
    data.update({f"tables-0-{k}": v for k, v in table.items()})
    return data


def test_an_access_admin_configures_a_source_with_its_tables_and_it_is_audited(admin_client, asset, shop_file):
    response = admin_client.post(ADD, form_data(asset, f"sqlite:///{shop_file}"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    source = SqlSource.objects.get(asset=asset)
    assert list(source.tables.values_list("table", "columns")) == [("contacts", ["first name", "order"])]
    event = AuditEvent.objects.get(action="dsar.sqlsource.created")
    assert event.details["tables"][0]["columns"] == ["first name", "order"]
    assert event.details["url"] == f"sqlite:///{shop_file}"


def test_a_url_with_a_password_is_a_form_error_and_nothing_is_saved(admin_client, asset):
    response = admin_client.post(ADD, form_data(asset, "postgresql://reader:hunter2@db.internal/shop"))

    assert response.status_code == 200
    assert "Remove the password from the URL" in response.content.decode()
    assert not SqlSource.objects.exists()


def test_a_password_variable_for_sqlite_is_a_form_error(admin_client, asset, shop_file):
    response = admin_client.post(
        ADD, {**form_data(asset, f"sqlite:///{shop_file}"), "password_env": "SHOP_DB_PASSWORD"}
    )

    assert response.status_code == 200
    assert "SQLite has no password: leave this blank." in response.content.decode()


def test_erasure_by_emptying_without_columns_is_a_form_error(admin_client, asset, shop_file):
    response = admin_client.post(ADD, form_data(asset, f"sqlite:///{shop_file}", erasure_mode="null"))

    assert response.status_code == 200
    assert "Erasure by emptying needs the columns to empty." in response.content.decode()
    assert not SqlSource.objects.exists()


def test_test_connection_reports_each_table(admin_client, asset, shop_file):
    source = SqlSource.objects.create(asset=asset, url=f"sqlite:///{shop_file}")
    SqlTable.objects.create(source=source, table="contacts", identifier_column="email", identifier_kind="email")
    SqlTable.objects.create(source=source, table="customers", identifier_column="email", identifier_kind="email")

    response = admin_client.post(
        CHANGELIST, {"action": "test_connection", "_selected_action": [source.pk]}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == [
        f"{asset.name} · contacts: reachable; columns found: customer_id, email, first name, order, phone; 1 rows.",
        f"{asset.name} · customers: there is no table 'customers'.",
    ]
    event = AuditEvent.objects.get(action="dsar.sqlsource.tested")
    assert [t["ok"] for t in event.details["tables"]] == [True, False]


def test_test_connection_says_when_the_database_cannot_be_reached_and_never_shows_the_secret(
    admin_client, asset, monkeypatch
):
    monkeypatch.setenv("SHOP_DB_PASSWORD", "hunter2-secret")
    source = SqlSource.objects.create(
        asset=asset, url="postgresql://reader@127.0.0.1:1/shop", password_env="SHOP_DB_PASSWORD"
    )
    SqlTable.objects.create(source=source, table="contacts", identifier_column="email", identifier_kind="email")

    response = admin_client.post(
        CHANGELIST, {"action": "test_connection", "_selected_action": [source.pk]}, follow=True
    )

    (message,) = [str(m) for m in response.context["messages"]]
    assert message.startswith(f"Not reachable: {asset.name}: the database answered: ")
    assert "hunter2" not in response.content.decode()
    assert "hunter2" not in admin_client.get(reverse("admin:dsar_sqlsource_change", args=[source.pk])).content.decode()


def test_staff_without_the_connector_rights_cannot_open_the_sources(employee):
    employee.is_staff = True
    employee.save(update_fields=["is_staff"])

    assert testing.web_client(employee).get(CHANGELIST).status_code == 403

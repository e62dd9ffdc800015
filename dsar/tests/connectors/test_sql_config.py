"""Configuring an SQL source: what the models accept and refuse, the registry, the secret from the environment."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from dsar.connectors.base import ConnectorError, Subject, connector_for
from dsar.connectors.models import SqlSource, SqlTable, validate_connection_url
from dsar.connectors.sql import SourceConfig, SqlConnector
from dsar.tests.connectors.customers import CONTACTS_BY_EMAIL


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://dsar_reader:s3cret@db.internal:5432/shop",
        "mysql://root:@127.0.0.1/shop",  # an empty password is still a password in the URL
        "postgresql://dsar_reader@db.internal/shop?password=s3cret",
        "mariadb+pymysql://reader:pw@db/shop",
    ],
)
def test_a_url_holding_a_password_is_refused_saying_where_the_password_goes(url):
    with pytest.raises(ValidationError) as refused:
        validate_connection_url(url)

    assert "Remove the password from the URL" in refused.value.messages[0]
    assert "environment variable" in refused.value.messages[0]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("oracle://scott@db/orcl", "Unsupported database 'oracle'"),
        ("not a url", "Not a database URL"),
        ("sqlite:///shop.sqlite3", "Give SQLite's file as an absolute path"),
        ("sqlite://", "Give SQLite's file as an absolute path"),
    ],
)
def test_a_url_that_is_not_a_supported_database_is_refused(url, message):
    with pytest.raises(ValidationError, match=message):
        validate_connection_url(url)


@pytest.mark.parametrize(
    "url",
    ["postgresql://dsar_reader@db.internal:5432/shop", "mysql://reader@127.0.0.1/shop", "sqlite:////srv/shop.sqlite3"],
)
def test_a_url_without_a_password_is_accepted(url):
    validate_connection_url(url)


def test_a_source_names_its_secret_by_an_environment_variable_name(asset):
    source = SqlSource(asset=asset, url="sqlite:////srv/shop.sqlite3", password_env="shop password")

    with pytest.raises(ValidationError) as refused:
        source.full_clean()

    assert "capital letters, digits and underscores" in refused.value.message_dict["password_env"][0]


def test_erasure_by_emptying_needs_its_columns(asset):
    source = SqlSource.objects.create(asset=asset, url="sqlite:////srv/shop.sqlite3")
    table = SqlTable(
        source=source, table="contacts", identifier_column="email", identifier_kind="email", erasure_mode="null"
    )

    with pytest.raises(ValidationError) as refused:
        table.full_clean()

    assert refused.value.message_dict == {"null_columns": ["Erasure by emptying needs the columns to empty."]}


def test_the_registry_answers_the_sql_connector_only_for_an_asset_with_tables(asset):
    assert connector_for(asset) is None  # no source: the task is done by hand
    source = SqlSource.objects.create(asset=asset, url="sqlite:////srv/shop.sqlite3")
    assert connector_for(asset) is None  # a source without tables finds nothing to search

    SqlTable.objects.create(source=source, table="contacts", identifier_column="email", identifier_kind="email")
    connector = connector_for(asset)

    assert isinstance(connector, SqlConnector)
    assert connector.config.tables[0].table == "contacts"


def test_a_missing_secret_is_a_clear_error_naming_the_variable(monkeypatch):
    monkeypatch.delenv("SHOP_DB_PASSWORD", raising=False)
    connector = SqlConnector(
        SourceConfig(
            name="Shop",
            url="postgresql://reader@127.0.0.1/shop",
            password_env="SHOP_DB_PASSWORD",
            tables=(CONTACTS_BY_EMAIL,),
        )
    )

    with pytest.raises(ConnectorError) as missing:
        list(connector.collect(Subject(email="ann@example.com")))

    assert str(missing.value) == (
        "Shop: the environment variable SHOP_DB_PASSWORD that holds the database password is not set "
        "in this process (web or worker). Set it and restart."
    )

import pytest
from django.core.cache import cache

from dsar.connectors import base
from dsar.services import verification


@pytest.fixture(autouse=True)
def _fresh_throttle_and_registries():
    # Intake is throttled through the cache; lookups and connectors registered by a test end with it.
    cache.clear()
    registry = _connector_registry()
    lookups, factories = list(verification._lookups), list(registry)
    yield
    cache.clear()
    verification._lookups[:] = lookups
    registry[:] = factories


def _connector_registry() -> list:
    # The connectors step names its list of registered factories ``_registered``.
    return base._registered if hasattr(base, "_registered") else base._factories


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """The test's own private storage (collected files, packages), never the developer's var/private/."""
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


@pytest.fixture
def customer_register(db, tmp_path):
    """A shop's contacts table on SQLite (Ann C-1001, Bob C-1002), configured as the customer register:
    a request naming a customer id is verified by link only at that id's address on record."""
    from sqlalchemy import Column, MetaData, String, Table, create_engine
    from sqlalchemy.pool import NullPool

    from dsar.connectors.models import SqlSource, SqlTable
    from portal.models import DataAsset

    path = tmp_path / "register.sqlite3"
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    metadata = MetaData()
    contacts = Table("contacts", metadata, Column("customer_id", String(20), primary_key=True), Column("email", String))
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            contacts.insert(),
            [
                {"customer_id": "C-1001", "email": "Ann@Example.com"},
                {"customer_id": "C-1002", "email": "bob@example.com"},
            ],
        )
    engine.dispose()
    asset = DataAsset.objects.create(name="Customer register", max_grant_days=30, holds_personal_data=True)
    source = SqlSource.objects.create(asset=asset, url=f"sqlite:///{path}")
    SqlTable.objects.create(
        source=source,
        table="contacts",
        identifier_column="email",
        identifier_kind=SqlTable.IdentifierKind.EMAIL,
        customer_id_column="customer_id",
        erasure_mode=SqlTable.ErasureMode.NULL,
        null_columns=["email"],
    )
    return source

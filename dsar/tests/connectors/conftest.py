"""Throwaway customer databases on SQLite and on the machine's real PostgreSQL and MariaDB servers.

Each server gets one database for the run (created, then dropped at the end);
each test starts from freshly created tables of ``customers.py``; a server's
tests are skipped, saying why, when it cannot be reached. ``CONNECTOR_TEST_POSTGRES_URL`` and
``CONNECTOR_TEST_MARIADB_URL`` point the tests at other servers (an
administrator's URL).
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import MetaData, Table, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from dsar.tests.connectors.customers import ANN, BOB, DIALECTS, EVE, SERVERS, CustomerDb, customer_tables


class ServerDatabases:
    """One throwaway database per server for the whole run (creating one per test costs seconds)."""

    def __init__(self):
        self.created: dict[str, tuple] = {}  # dialect -> (admin engine, database name, URL) or (None, reason)

    def url(self, dialect: str):
        if dialect not in self.created:
            self.created[dialect] = self._create(dialect)
        admin, found = self.created[dialect][0], self.created[dialect][-1]
        if admin is None:
            if os.environ.get("CI"):  # CI starts both servers: a skip there would hide a broken connector
                pytest.fail(f"CI must run the connector tests on {dialect}: {found}")
            pytest.skip(found)
        return found

    @staticmethod
    def _create(dialect: str):
        admin_url = make_url(SERVERS[dialect])
        name = f"dsar_conn_{uuid.uuid4().hex[:10]}"
        admin = create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
        except OperationalError as exc:
            admin.dispose()
            where = admin_url.render_as_string()
            return None, f"{dialect} is not reachable at {where} ({exc.orig}): start it to run these tests"
        return admin, name, admin_url.set(database=name)

    def drop_all(self):
        for dialect, created in self.created.items():
            if created[0] is None:
                continue
            admin, name, _ = created
            with admin.connect() as conn:
                force = " WITH (FORCE)" if dialect == "postgresql" else ""
                conn.exec_driver_sql(f"DROP DATABASE {name}{force}")
            admin.dispose()


@pytest.fixture(scope="session")
def server_databases():
    databases = ServerDatabases()
    yield databases
    databases.drop_all()


def _empty(engine) -> None:
    """Drop whatever the previous test left (views first, then tables in foreign-key order)."""
    inspector = inspect(engine)
    with engine.begin() as conn:
        for view in inspector.get_view_names():
            conn.exec_driver_sql(f"DROP VIEW {engine.dialect.identifier_preparer.quote(view)}")
    metadata = MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)


@pytest.fixture(params=DIALECTS)
def dialect(request):
    return request.param


@pytest.fixture
def customer_db(dialect, tmp_path, server_databases):
    """An empty customer database with the tables of ``customers.py``, on ``dialect``."""
    if dialect == "sqlite":
        url = make_url(f"sqlite:///{tmp_path / 'customers.sqlite3'}")
    else:
        url = server_databases.url(dialect)
    engine = create_engine(url, poolclass=NullPool)
    _empty(engine)
    metadata = MetaData()
    customer_tables(metadata)
    metadata.create_all(engine)
    try:
        yield CustomerDb(dialect, url.set(drivername=url.get_backend_name()).render_as_string(), engine)
    finally:
        engine.dispose()


@pytest.fixture
def shop(customer_db):
    """The customer database with Ann's, Bob's and Eve's rows."""
    placed = datetime(2026, 3, 1, 12, 30)  # noqa: DTZ001 - the shop's column holds naive local times
    with customer_db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO contacts VALUES (:customer_id, :email, :n, :o, :phone)"),
            [{**p, "n": p["first name"], "o": p["order"]} for p in (ANN, BOB, EVE)],
        )
        orders = Table("order", MetaData(), autoload_with=conn)
        conn.execute(
            orders.insert(),
            [
                {"customer_id": "C-1001", "total": Decimal("12.50"), "placed_at": placed},
                {"customer_id": "C-1001", "total": Decimal("3.99"), "placed_at": placed},
                {"customer_id": "C-1002", "total": Decimal("99.00"), "placed_at": placed},
            ],
        )
        recordings = Table("recordings", MetaData(), autoload_with=conn)
        conn.execute(
            recordings.insert(),
            [
                {"customer_id": "C-1001", "device_owner": "C-1001", "audio": b"RIFF-ann-1"},
                {"customer_id": "C-1002", "device_owner": "C-1002", "audio": b"RIFF-bob-1"},
                # Bob's recording, tagged with Ann's customer id.
                {"customer_id": "C-1001", "device_owner": "C-1002", "audio": b"RIFF-bob-2"},
            ],
        )
    return customer_db

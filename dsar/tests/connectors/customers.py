"""The customer database the connector tests read: awkward names on purpose, and three customers."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    text,
)

from dsar.connectors.sql import SourceConfig, SqlConnector, TableConfig

SERVERS = {
    "postgresql": os.environ.get(
        "CONNECTOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    ),
    "mariadb": os.environ.get("CONNECTOR_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/"),
}
DIALECTS = ["sqlite", "postgresql", "mariadb"]

ANN = {"customer_id": "C-1001", "email": "ann@example.com", "first name": "Ann", "order": "first", "phone": "0111"}
BOB = {"customer_id": "C-1002", "email": "bob@example.com", "first name": "Bob", "order": "second", "phone": "0222"}
# Someone whose address looks like an attack: a lookup that came unbound would return her too.
EVE = {"customer_id": "C-1003", "email": "x' OR '1'='1", "first name": "Eve", "order": "third", "phone": None}


def customer_tables(metadata: MetaData) -> None:
    """A shop's customers: awkward names on purpose (a column ``order``, one with a space, a table ``order``)."""
    Table(
        "contacts",
        metadata,
        Column("customer_id", String(20), primary_key=True),
        Column("email", String(200), nullable=False),
        Column("first name", String(100)),
        Column("order", String(50)),
        Column("phone", String(50)),
    )
    Table(
        "order",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("customer_id", String(20), ForeignKey("contacts.customer_id"), nullable=False),
        Column("total", Numeric(10, 2)),
        Column("placed_at", DateTime),
    )
    Table(
        "recordings",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("customer_id", String(20)),
        Column("device_owner", String(20)),
        Column("audio", LargeBinary),
        Column("path", String(200)),
        Column("transcript", Text),
    )


@dataclass
class CustomerDb:
    dialect: str
    url: str  # without a password, as an SqlSource holds it
    engine: Engine  # the test's own, to set up and to look

    def connector(self, *tables: TableConfig, **source) -> SqlConnector:
        return SqlConnector(SourceConfig(name="Customer contact database", url=self.url, tables=tables, **source))

    def count(self, table: str, where: str = "1=1", **params) -> int:
        quoted = self.engine.dialect.identifier_preparer.quote(table)
        with self.engine.connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {quoted} WHERE {where}"), params).scalar_one()


CONTACTS_BY_EMAIL = TableConfig("contacts", "email", "email")
ORDERS_BY_CUSTOMER = TableConfig("order", "customer_id", "customer_id", columns=("id", "total", "placed_at"))

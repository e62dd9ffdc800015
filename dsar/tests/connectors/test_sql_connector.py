"""The SQL connector against SQLite and the real PostgreSQL and MariaDB servers (each test on each)."""

from __future__ import annotations

import time
import tracemalloc
import uuid

import pytest
from sqlalchemy import MetaData, Table, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from dsar.connectors.base import CollectedItem, ConnectorError, Subject
from dsar.connectors.sql import SourceConfig, SqlConnector, TableConfig
from dsar.tests.connectors.customers import CONTACTS_BY_EMAIL, ORDERS_BY_CUSTOMER

ANN = Subject(email="ann@example.com", customer_id="C-1001")
RECORDINGS = TableConfig("recordings", "customer_id", "customer_id", columns=("id",), file_column="audio")


def test_collect_returns_only_the_subjects_rows_each_under_the_identifier_it_was_found_under(shop):
    items = list(shop.connector(CONTACTS_BY_EMAIL, ORDERS_BY_CUSTOMER).collect(ANN))

    contacts = [i for i in items if i.source == "contacts"]
    orders = [i for i in items if i.source == "order"]
    assert [c.data["first name"] for c in contacts] == ["Ann"]
    assert {c.subject_identifier for c in contacts} == {"email:ann@example.com"}
    assert sorted(o.data["total"] for o in orders) == ["12.50", "3.99"]
    assert {o.subject_identifier for o in orders} == {"customer:C-1001"}
    assert all(i.kind == CollectedItem.RECORD and i.content is None for i in items)
    assert orders[0].data["placed_at"] == "2026-03-01T12:30:00"


def test_awkward_names_are_quoted_for_the_dialect(shop):
    # A table named "order", columns named "order" and "first name": reflected, then quoted by SQLAlchemy.
    config = TableConfig("contacts", "customer_id", "customer_id", columns=("first name", "order"))
    (item,) = shop.connector(config).collect(Subject(customer_id="C-1002"))

    assert item.data == {"first name": "Bob", "order": "second"}


def test_an_address_is_found_whatever_its_case(shop):
    (item,) = shop.connector(CONTACTS_BY_EMAIL).collect(Subject(email="  ANN@Example.COM "))

    assert item.subject_identifier == "email:ann@example.com"


@pytest.mark.parametrize(
    "subject",
    [
        Subject(email="ann@example.com' OR '1'='1"),
        Subject(email="x' OR '1'='1' --"),
        Subject(customer_id="C-1001' OR 1=1 --"),
        Subject(customer_id="'; DROP TABLE contacts; --"),
        Subject(customer_id='C-1001" OR "1"="1'),
    ],
)
def test_injection_attempts_in_the_subject_stay_data(shop, subject):
    by_customer = TableConfig("contacts", "customer_id", "customer_id")

    assert list(shop.connector(CONTACTS_BY_EMAIL, by_customer).collect(subject)) == []
    assert shop.connector(CONTACTS_BY_EMAIL, by_customer).erase(subject).total == 0
    assert shop.count("contacts") == 3


def test_a_subject_whose_address_looks_like_an_attack_gets_exactly_her_row(shop):
    (item,) = shop.connector(CONTACTS_BY_EMAIL).collect(Subject(email="x' OR '1'='1"))

    assert item.data["first name"] == "Eve"


def test_collection_reads_in_a_read_only_transaction(shop):
    connector = shop.connector(CONTACTS_BY_EMAIL)

    with pytest.raises(DBAPIError) as refused, connector.reading() as conn:
        conn.execute(text("UPDATE contacts SET phone = 'changed'"))

    assert "read" in str(refused.value).lower()  # "read-only transaction", "READ ONLY", "readonly database"
    assert shop.count("contacts", "phone = 'changed'") == 0


SLOW_VIEW = {
    # Every row of the view costs the server a few seconds: the statement timeout must stop it.
    "postgresql": "CREATE VIEW slow_contacts AS SELECT c.* FROM contacts c CROSS JOIN LATERAL pg_sleep(5) s",
    "mariadb": "CREATE VIEW slow_contacts AS SELECT c.*, SLEEP(5) AS slept FROM contacts c",
    "sqlite": "CREATE VIEW slow_contacts AS SELECT c.* FROM contacts c, (WITH RECURSIVE r(x) AS "
    "(SELECT 1 UNION ALL SELECT x + 1 FROM r LIMIT 500000000) SELECT count(*) FROM r)",
}


def test_the_statement_timeout_stops_a_slow_collection(shop):
    with shop.engine.begin() as conn:
        conn.exec_driver_sql(SLOW_VIEW[shop.dialect])
    connector = shop.connector(TableConfig("slow_contacts", "email", "email"), statement_timeout=1)

    with pytest.raises(ConnectorError, match="ran past the 1-second timeout"):
        list(connector.collect(ANN))


# 100,000 rows on SQLite; on the servers 30,000 wider rows: as much data, in a third of the time.
STREAMED = {"sqlite": (100_000, 200), "postgresql": (30_000, 700), "mariadb": (30_000, 700)}


def test_a_subject_with_100000_rows_is_streamed_not_held_in_memory(customer_db):
    rows, width = STREAMED[customer_db.dialect]  # 20 MB of text in all: far above the bound below
    with customer_db.engine.begin() as conn:
        recordings = Table("recordings", MetaData(), autoload_with=conn)
        conn.execute(recordings.insert(), [{"customer_id": "C-1001", "transcript": "n" * width}] * rows)
    config = TableConfig("recordings", "customer_id", "customer_id", columns=("id", "transcript"))
    connector = customer_db.connector(config)

    tracemalloc.start()
    try:
        seen = sum(1 for _ in connector.collect(ANN))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert seen == rows
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MB while streaming"


def test_postgresql_reads_through_a_server_side_cursor(customer_db):
    if customer_db.dialect != "postgresql":
        pytest.skip("a PostgreSQL server-side cursor (the others: see the slow reader test)")
    with customer_db.engine.begin() as conn:
        recordings = Table("recordings", MetaData(), autoload_with=conn)
        conn.execute(recordings.insert(), [{"customer_id": "C-1001", "transcript": "n"}] * 2500)
    items = customer_db.connector(TableConfig("recordings", "customer_id", "customer_id", columns=("id",))).collect(ANN)

    next(items)  # the first batch is in; the generator waits with its transaction open
    with customer_db.engine.connect() as conn:
        other = "SELECT query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        asked = conn.execute(text(other)).scalars().all()
    seen = 1 + sum(1 for _ in items)

    assert seen == 2500
    assert any(q.startswith("FETCH FORWARD ") for q in asked), asked


def test_a_slow_reader_is_not_cut_off_the_timeout_bounds_each_batch(customer_db):
    with customer_db.engine.begin() as conn:
        recordings = Table("recordings", MetaData(), autoload_with=conn)
        conn.execute(recordings.insert(), [{"customer_id": "C-1001", "transcript": "n"}] * 2500)
    config = TableConfig("recordings", "customer_id", "customer_id", columns=("id",))
    items = customer_db.connector(config, statement_timeout=1).collect(ANN)

    seen = 0
    for seen, _ in enumerate(items, start=1):
        if seen % 1000 == 1:  # the caller stores a batch: in all longer than the timeout
            time.sleep(0.6)

    assert seen == 2500


def test_rows_holding_files_give_file_items_and_a_mis_tagged_one_names_its_real_owner(shop):
    owned = TableConfig(
        "recordings", "customer_id", "customer_id", subject_column="device_owner", columns=("id",), file_column="audio"
    )

    items = list(shop.connector(owned).collect(ANN))

    assert [(i.kind, i.content, i.subject_identifier) for i in items] == [
        ("file", b"RIFF-ann-1", "customer:C-1001"),
        # Tagged with Ann's id, recorded on Bob's device: it carries Bob's identifier, for the guard to stop.
        ("file", b"RIFF-bob-2", "customer:C-1002"),
    ]
    assert items[0].name == "recordings-1.wav"
    assert items[0].data == {"id": 1}


def test_erasure_deletes_the_subjects_rows_children_first_and_counts_per_table(shop):
    contacts = TableConfig("contacts", "customer_id", "customer_id")
    # Listed parent first: the connector still deletes the orders (which reference the contact) before it.
    result = shop.connector(contacts, ORDERS_BY_CUSTOMER, RECORDINGS).erase(ANN)

    assert result.counts == {"contacts": 1, "order": 2, "recordings": 2}
    assert result.total == 5
    assert shop.count("contacts") == 2
    assert shop.count("order") == 1
    assert shop.count("contacts", "customer_id = 'C-1002'") == 1


def test_erasure_by_emptying_nulls_the_listed_columns_and_keeps_the_rows(shop):
    config = TableConfig("contacts", "email", "email", erasure_mode="null", null_columns=("first name", "phone"))

    result = shop.connector(config).erase(ANN)

    assert result.counts == {"contacts": 1}
    assert shop.count("contacts") == 3
    assert shop.count("contacts", "customer_id = 'C-1001' AND phone IS NULL") == 1
    assert shop.count("contacts", "customer_id = 'C-1002' AND phone IS NOT NULL") == 1


def test_erasure_is_all_tables_or_none(shop):
    orders = TableConfig("order", "customer_id", "customer_id")
    # email is NOT NULL: emptying it fails, after the orders were deleted in the same transaction.
    contacts = TableConfig("contacts", "customer_id", "customer_id", erasure_mode="null", null_columns=("email",))

    with pytest.raises(ConnectorError, match="Customer contact database: the database answered"):
        shop.connector(orders, contacts).erase(ANN)

    assert shop.count("order") == 3


def test_a_subject_without_the_tables_identifier_kind_matches_nothing_there(shop):
    assert list(shop.connector(ORDERS_BY_CUSTOMER).collect(Subject(email="ann@example.com"))) == []


def test_a_column_gone_since_configuration_stops_the_run_naming_it(shop):
    config = TableConfig("contacts", "email", "email", columns=("first name", "fax"))

    with pytest.raises(ConnectorError, match="table 'contacts' has no column 'fax'"):
        list(shop.connector(config).collect(ANN))


def test_test_connection_reports_each_table(shop):
    checks = shop.connector(
        CONTACTS_BY_EMAIL,
        TableConfig("contacts", "customer_id", "customer_id", columns=("first name", "fax")),
        TableConfig("customers", "email", "email"),
        TableConfig("contacts", "email", "email", erasure_mode="null", null_columns=("email",)),
    ).check()

    assert [(c.ok, c.rows) for c in checks] == [(True, 3), (False, None), (False, None), (False, None)]
    assert checks[0].message == "columns found: customer_id, email, first name, order, phone"
    assert checks[1].message == "table 'contacts' has no column 'fax'"
    assert checks[2].message == "there is no table 'customers'"
    assert checks[3].message == "column 'email' cannot be emptied: it is NOT NULL"


def test_an_unreachable_server_is_one_clear_error(dialect, tmp_path):
    url = {
        "sqlite": f"sqlite:///{tmp_path}/missing/customers.sqlite3",
        "postgresql": "postgresql://reader@127.0.0.1:1/shop",
        "mariadb": "mysql://reader@127.0.0.1:1/shop",
    }[dialect]
    connector = SqlConnector(SourceConfig(name="Shop", url=url, tables=(CONTACTS_BY_EMAIL,)))

    with pytest.raises(ConnectorError, match=r"^Shop: the database answered: "):
        connector.check()


@pytest.fixture
def reader(customer_db):
    """A MariaDB account with a password, allowed to read the test database only."""
    if customer_db.dialect != "mariadb":
        pytest.skip("passwords are checked here on MariaDB (the local PostgreSQL trusts its clients)")
    name = f"dsar_reader_{uuid.uuid4().hex[:8]}"
    database = customer_db.engine.url.database
    with customer_db.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE USER '{name}'@'%%' IDENTIFIED BY 's3cret-Reader-pw'")
        conn.exec_driver_sql(f"GRANT SELECT ON `{database}`.* TO '{name}'@'%%'")
    yield name
    with customer_db.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP USER '{name}'@'%%'")


def test_the_password_comes_from_the_environment_and_never_into_a_message(shop, reader, monkeypatch):
    url = make_url(shop.url).set(username=reader).render_as_string()
    connector = SqlConnector(
        SourceConfig(name="Shop", url=url, password_env="SHOP_DB_PASSWORD", tables=(CONTACTS_BY_EMAIL,))
    )

    monkeypatch.setenv("SHOP_DB_PASSWORD", "s3cret-Reader-pw")
    assert [i.data["first name"] for i in connector.collect(ANN)] == ["Ann"]

    monkeypatch.setenv("SHOP_DB_PASSWORD", "wrong-s3cret")
    with pytest.raises(ConnectorError) as refused:
        connector.check()
    assert "Access denied" in str(refused.value)
    assert "s3cret" not in str(refused.value)


def test_the_register_gives_the_address_on_record_for_a_customer_id(shop):
    register = shop.connector(
        TableConfig("contacts", "email", "email", customer_id_column="customer_id"),
        ORDERS_BY_CUSTOMER,  # not a register: never asked
    )

    assert register.addresses_for("C-1001") == {"ann@example.com"}
    assert register.addresses_for("C-1003") == {"x' or '1'='1"}  # Eve's odd address is data, lower-cased
    assert register.addresses_for("C-9999") == set()
    assert register.addresses_for("' OR '1'='1") == set()
    assert shop.connector(ORDERS_BY_CUSTOMER).addresses_for("C-1001") == set()  # no register in this source

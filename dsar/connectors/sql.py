"""The SQL connector: a subject's rows from PostgreSQL, MySQL/MariaDB or SQLite, through SQLAlchemy Core.

What keeps it safe:

* every table and column is the database's own, reflected (``Table(...,
  autoload_with=...)``) and checked against the configuration on every run, so
  SQLAlchemy quotes each name for its dialect (a column called ``order`` or
  ``first name`` works) and nothing is spliced into SQL text;
* the subject's value is always a bound parameter;
* collection runs in a read-only transaction (PostgreSQL and MariaDB refuse a
  write in it, SQLite is switched to ``query_only``) and erasure in its own
  read-write one, all tables or none;
* each statement has a time limit (PostgreSQL ``statement_timeout``, MariaDB
  ``max_statement_time``, MySQL ``max_execution_time``, SQLite a progress
  handler that interrupts the query past its deadline);
* results are streamed (server-side cursors, ``yield_per``; pages by primary
  key on MariaDB/MySQL): a subject with 100,000 rows is read a batch at a time;
* the password comes from an environment variable named in the configuration,
  never from the portal's database, and is scrubbed from any message.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Delete,
    Engine,
    MetaData,
    Row,
    Select,
    Table,
    Update,
    create_engine,
    delete,
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, NoSuchTableError, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Integer

from dsar.connectors.base import (
    CUSTOMER_ID,
    EMAIL,
    CollectedItem,
    ConnectorError,
    ErasureResult,
    Subject,
    subject_identifier,
)

# Rows fetched from the server per round trip while streaming.
BATCH = 1000
# A file named by path is read whole into its item; larger is refused (the package stream bounds its own).
MAX_FILE_BYTES = 200 * 1024 * 1024
CONNECT_TIMEOUT = 10
DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
    "sqlite": "sqlite+pysqlite",
}
CONNECT_ARGS = {
    "postgresql": {"connect_timeout": CONNECT_TIMEOUT},
    "mysql": {"connect_timeout": CONNECT_TIMEOUT},
    "sqlite": {"timeout": CONNECT_TIMEOUT},
}
MAGIC = [(b"RIFF", ".wav"), (b"%PDF", ".pdf"), (b"\x89PNG", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"PK\x03\x04", ".zip")]


@dataclass(frozen=True)
class TableConfig:
    table: str
    identifier_column: str
    identifier_kind: str
    subject_column: str = ""
    columns: tuple[str, ...] = ()
    erasure_mode: str = "delete"
    null_columns: tuple[str, ...] = ()
    file_column: str = ""
    customer_id_column: str = ""

    @classmethod
    def from_model(cls, row) -> TableConfig:
        return cls(
            table=row.table,
            identifier_column=row.identifier_column,
            identifier_kind=row.identifier_kind,
            subject_column=row.subject_column,
            columns=tuple(row.columns or ()),
            erasure_mode=row.erasure_mode,
            null_columns=tuple(row.null_columns or ()),
            file_column=row.file_column,
            customer_id_column=row.customer_id_column,
        )

    @property
    def owner_column(self) -> str:
        """The column saying whose the row is (see ``SqlTable.subject_column``)."""
        return self.subject_column or self.identifier_column

    def named_columns(self) -> list[str]:
        named = [
            self.identifier_column,
            self.subject_column,
            self.customer_id_column,
            *self.columns,
            *self.null_columns,
            self.file_column,
        ]
        return list(dict.fromkeys(c for c in named if c))

    def returned(self, table: Table) -> list[str]:
        return list(self.columns) or [c.name for c in table.columns if c.name != self.file_column]


@dataclass(frozen=True)
class SourceConfig:
    name: str
    url: str
    password_env: str = ""
    statement_timeout: int = 30
    files_root: str = ""
    tables: tuple[TableConfig, ...] = ()

    @classmethod
    def from_model(cls, source) -> SourceConfig:
        return cls(
            name=str(source.asset),
            url=source.url,
            password_env=source.password_env,
            statement_timeout=source.statement_timeout,
            files_root=source.files_root,
            tables=tuple(TableConfig.from_model(t) for t in source.tables.all()),
        )


@dataclass(frozen=True)
class TableCheck:
    """What "Test connection" found for one configured table."""

    table: str
    ok: bool
    message: str
    rows: int | None = None


def sql_connector_for(asset) -> SqlConnector | None:
    """The registry's factory (``base.FACTORIES``): a connector when ``asset`` has an SQL source with tables."""
    from dsar.connectors.models import SqlSource

    source = SqlSource.objects.filter(asset=asset).select_related("asset").prefetch_related("tables").first()
    if source is None or not source.tables.all():
        return None
    return SqlConnector(SourceConfig.from_model(source))


class SqlConnector:
    """Collects and erases one subject's rows in the tables of one source. Holds no connection between calls."""

    def __init__(self, config: SourceConfig):
        self.config = config

    # --- The two operations of the interface ---------------------------------------------

    def collect(self, subject: Subject) -> Iterator[CollectedItem]:
        """Yield the subject's rows, table by table, read in one read-only transaction."""
        with self._errors(), self.reading() as conn:
            _, tables = self._reflect_all(conn)
            for config in self.config.tables:
                yield from self._collect_table(conn, config, tables[config.table], subject)

    def erase(self, subject: Subject) -> ErasureResult:
        """Delete or empty the subject's rows in every table, in one transaction: all tables or none.

        Tables referenced by others' foreign keys are erased after those others (orders before contacts).
        """
        result = ErasureResult(counts={config.table: 0 for config in self.config.tables})
        with self._errors(), self.writing() as conn:
            metadata, tables = self._reflect_all(conn)
            order = {table.name: i for i, table in enumerate(metadata.sorted_tables)}
            for config in sorted(self.config.tables, key=lambda c: -order.get(c.table, -1)):
                table = tables[config.table]
                where = self._lookup(table, config, subject)
                if where is None:
                    continue
                stmt: Update | Delete
                if config.erasure_mode == "null":
                    stmt = update(table).where(where).values({table.c[c]: None for c in config.null_columns})
                else:
                    stmt = delete(table).where(where)
                result.counts[config.table] += conn.execute(stmt).rowcount
        return result

    def addresses_for(self, customer_id: str) -> set[str]:
        """The addresses on record for ``customer_id`` in the tables that tie ids to addresses
        (``customer_id_column``), lower-cased; empty when none names it."""
        registers = [c for c in self.config.tables if c.customer_id_column]
        found: set[str] = set()
        if not registers or not customer_id.strip():
            return found
        with self._errors(), self.reading() as conn:
            metadata = MetaData()
            for config in registers:
                table = self._reflect(conn, metadata, config)
                by_id = TableConfig(
                    table=config.table, identifier_column=config.customer_id_column, identifier_kind=CUSTOMER_ID
                )
                where = self._lookup(table, by_id, Subject(customer_id=customer_id))
                if where is None:
                    continue
                column = table.c[config.identifier_column]
                for (address,) in conn.execute(select(column).where(where).limit(10)):
                    if address and str(address).strip():
                        found.add(str(address).strip().lower())
        return found

    def check(self) -> list[TableCheck]:
        """Reach the database and compare each configured table with its real schema ("Test connection").

        Raises :class:`ConnectorError` when the database cannot be reached at all.
        """
        checks = []
        with self._errors(), self.reading() as conn:
            metadata = MetaData()
            for config in self.config.tables:
                checks.append(self._check_table(conn, metadata, config))
        return checks

    # --- Transactions ----------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection in a read-only transaction with the statement timeout; rolled back on exit."""
        engine = self._engine()
        try:
            with engine.connect() as conn:
                dialect = conn.dialect.name
                if dialect == "postgresql":
                    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                    self._pg_timeout(conn)
                elif dialect in ("mysql", "mariadb"):
                    self._mysql_timeout(conn)
                    conn.exec_driver_sql("START TRANSACTION READ ONLY")
                with self._sqlite_limits(conn, read_only=True):
                    yield conn
                conn.rollback()
        finally:
            engine.dispose()

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A connection in a read-write transaction with the statement timeout; committed on success."""
        engine = self._engine()
        try:
            with engine.connect() as conn:
                dialect = conn.dialect.name
                if dialect == "postgresql":
                    self._pg_timeout(conn)
                elif dialect in ("mysql", "mariadb"):
                    self._mysql_timeout(conn)
                with self._sqlite_limits(conn, read_only=False):
                    yield conn
                conn.commit()
        finally:
            engine.dispose()

    def _engine(self) -> Engine:
        url = make_url(self.config.url)
        backend = url.get_backend_name()
        if backend not in DRIVERS:
            raise ConnectorError(f"{self.config.name}: unsupported database {backend!r}.")
        url = url.set(drivername=DRIVERS[backend])
        if self.config.password_env:
            if self.config.password_env not in os.environ:
                raise ConnectorError(
                    f"{self.config.name}: the environment variable {self.config.password_env} that holds the "
                    "database password is not set in this process (web or worker). Set it and restart."
                )
            url = url.set(password=os.environ[self.config.password_env])
        dialect = "mysql" if backend == "mariadb" else url.get_backend_name()
        # NullPool: a connector runs now and then; no connection (or secret) lingers between runs.
        # hide_parameters: bound values (the subject's data) stay out of error messages and logs.
        return create_engine(url, poolclass=NullPool, hide_parameters=True, connect_args=CONNECT_ARGS.get(dialect, {}))

    def _pg_timeout(self, conn: Connection) -> None:
        # set_config(..., true) is SET LOCAL: it ends with the transaction, and takes a bound value.
        ms = str(self.config.statement_timeout * 1000)
        conn.execute(text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": ms})

    def _mysql_timeout(self, conn: Connection) -> None:
        if getattr(conn.dialect, "is_mariadb", False):
            conn.execute(text("SET SESSION max_statement_time = :s"), {"s": self.config.statement_timeout})
        else:  # MySQL's own limit covers SELECTs only, in milliseconds
            conn.execute(text("SET SESSION max_execution_time = :ms"), {"ms": self.config.statement_timeout * 1000})

    @contextmanager
    def _sqlite_limits(self, conn: Connection, *, read_only: bool):
        if conn.dialect.name != "sqlite":
            yield
            return
        raw: Any = conn.connection.driver_connection
        clock = conn.info["statement_clock"] = StatementClock(self.config.statement_timeout)
        # SQLite has no statement timeout: the progress handler runs every N virtual-machine steps,
        # and a non-zero answer interrupts the statement ("interrupted").
        raw.set_progress_handler(clock.expired, 10_000)
        if read_only:
            conn.exec_driver_sql("PRAGMA query_only = ON")
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)

    @contextmanager
    def _errors(self):
        """Turn a database failure into a :class:`ConnectorError` a person can read, with no secret in it."""
        try:
            yield
        except ConnectorError:
            raise
        except SQLAlchemyError as exc:
            raise ConnectorError(self._describe(exc)) from exc

    def _describe(self, exc: SQLAlchemyError) -> str:
        orig = getattr(exc, "orig", None)
        if self._timed_out(orig):
            message = f"a statement ran past the {self.config.statement_timeout}-second timeout and was stopped"
        elif orig is not None:
            lines = str(orig).strip().splitlines() or [type(orig).__name__]
            message = f"the database answered: {lines[0]}"
        else:
            message = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        secret = os.environ.get(self.config.password_env, "") if self.config.password_env else ""
        if secret:
            message = message.replace(secret, "***")
        return f"{self.config.name}: {message}."

    @staticmethod
    def _timed_out(orig) -> bool:
        if orig is None:
            return False
        if getattr(orig, "sqlstate", None) == "57014":  # PostgreSQL query_canceled
            return True
        if getattr(orig, "args", None) and orig.args[0] in (1969, 3024):  # MariaDB, MySQL
            return True
        return "interrupted" in str(orig) and type(orig).__module__.startswith("sqlite3")

    # --- Schema ------------------------------------------------------------------------------

    def _reflect(self, conn: Connection, metadata: MetaData, config: TableConfig) -> Table:
        """The table as the database has it; :class:`ConnectorError` naming whatever the configuration lacks."""
        try:
            if config.table in metadata.tables:
                table = metadata.tables[config.table]
            else:
                table = Table(config.table, metadata, autoload_with=conn)
        except NoSuchTableError as exc:
            raise ConnectorError(f"{self.config.name}: there is no table {config.table!r}.") from exc
        missing = [c for c in config.named_columns() if c not in table.c]
        if missing:
            names = ", ".join(repr(c) for c in missing)
            raise ConnectorError(f"{self.config.name}: table {config.table!r} has no column {names}.")
        return table

    def _reflect_all(self, conn: Connection) -> tuple[MetaData, dict[str, Table]]:
        metadata = MetaData()
        return metadata, {config.table: self._reflect(conn, metadata, config) for config in self.config.tables}

    def _check_table(self, conn: Connection, metadata: MetaData, config: TableConfig) -> TableCheck:
        try:
            table = self._reflect(conn, metadata, config)
        except ConnectorError as exc:
            return TableCheck(config.table, False, str(exc).removeprefix(f"{self.config.name}: ").rstrip("."))
        not_nullable = [c for c in config.null_columns if not table.c[c].nullable]
        if config.erasure_mode == "null" and not_nullable:
            names = ", ".join(repr(c) for c in not_nullable)
            return TableCheck(config.table, False, f"column {names} cannot be emptied: it is NOT NULL")
        found = f"columns found: {', '.join(config.returned(table))}"
        # PostgreSQL aborts the whole transaction on a failed statement: a savepoint keeps the next table's check.
        savepoint = conn.begin_nested() if conn.dialect.name == "postgresql" else nullcontext()
        try:
            with savepoint:
                rows = conn.scalar(select(func.count()).select_from(table))
        except DBAPIError as exc:
            return TableCheck(config.table, True, f"{found}; rows not counted ({self._describe(exc)})")
        return TableCheck(config.table, True, found, rows)

    # --- Rows --------------------------------------------------------------------------------

    def _lookup(self, table: Table, config: TableConfig, subject: Subject) -> ColumnElement[bool] | None:
        """``column = :value`` for the subject's identifier of the table's kind; ``None`` when it cannot match."""
        value: str | int = subject.value(config.identifier_kind)
        if not value:
            return None
        column = table.c[config.identifier_column]
        if config.identifier_kind == EMAIL:
            # Addresses are compared lower-cased on both sides: "Ann@Example.com" is Ann's row too.
            return func.lower(column) == value
        if isinstance(column.type, Integer):
            # A customer id held as a number: "C-1001" can match no row, and must not reach the server as text.
            try:
                value = int(value)
            except ValueError:
                return None
        return column == value

    def _collect_table(
        self, conn: Connection, config: TableConfig, table: Table, subject: Subject
    ) -> Iterator[CollectedItem]:
        where = self._lookup(table, config, subject)
        if where is None:
            return
        returned = config.returned(table)
        key = list(table.primary_key.columns)
        wanted = [table.c[c] for c in returned] + [table.c[config.owner_column]] + key
        if config.file_column:
            wanted.append(table.c[config.file_column])
        columns = list(dict.fromkeys(wanted))
        # Positions in the result row, worked out once: the loop below runs once per row.
        at = {column: i for i, column in enumerate(columns)}
        owner_at = at[table.c[config.owner_column]]
        data_at = [(name, at[table.c[name]]) for name in returned]
        key_at = [at[c] for c in key]
        file_at = at[table.c[config.file_column]] if config.file_column else None
        rows = self._rows(conn, select(*columns).where(where), key, key_at)
        for number, row in enumerate(rows, start=1):
            owner = row[owner_at]
            identifier = subject_identifier(config.identifier_kind, "" if owner is None else owner)
            data = {name: jsonable(row[i]) for name, i in data_at}
            row_key = "-".join(str(row[i]) for i in key_at) or str(number)
            content = row[file_at] if file_at is not None else None
            if content is None:
                yield CollectedItem(identifier, config.table, CollectedItem.RECORD, f"{config.table} {row_key}", data)
                continue
            content, name = self._file(config, content, row_key)
            yield CollectedItem(identifier, config.table, CollectedItem.FILE, name, data, content)

    def _rows(self, conn: Connection, stmt: Select, key: list[Column], key_at: list[int]) -> Iterator[Row]:
        """The statement's rows, a batch at a time, each batch's fetch under the statement timeout.

        MariaDB/MySQL count a streamed read as one statement, however slowly the caller consumes
        it; there a table with a primary key is read in pages (``key > last ORDER BY key LIMIT``),
        each its own statement, inside the same read-only transaction (one snapshot). PostgreSQL
        reads through a server-side cursor whose every FETCH is a statement; SQLite's clock
        restarts before each batch.
        """
        if key:
            stmt = stmt.order_by(*key)
        if conn.dialect.name in ("mysql", "mariadb") and key:
            last: list | None = None
            while True:
                page = stmt.limit(BATCH)
                if last is not None:
                    page = page.where(tuple_(*key) > tuple_(*last) if len(key) > 1 else key[0] > last[0])
                batch = conn.execute(page).all()
                yield from batch
                if len(batch) < BATCH:
                    return
                last = [batch[-1][i] for i in key_at]
        partitions = conn.execution_options(yield_per=BATCH).execute(stmt).partitions()
        clock = conn.info.get("statement_clock")
        while True:
            if clock is not None:
                clock.restart()
            batch = next(partitions, ())
            if not batch:
                return
            yield from batch

    def _file(self, config: TableConfig, value, row_key: str) -> tuple[bytes, str]:
        """The bytes of a file column's value (the file itself, or a path under the files folder) and a name."""
        if isinstance(value, bytes | bytearray | memoryview):
            content = bytes(value)
            extension = next((ext for magic, ext in MAGIC if content.startswith(magic)), ".bin")
            return content, f"{config.table}-{row_key}{extension}"
        where = f"{self.config.name}: table {config.table!r} row {row_key}"
        if not self.config.files_root:
            raise ConnectorError(f"{where} names a file by path, but the source has no files folder.")
        root = Path(self.config.files_root).resolve()
        path = (root / str(value)).resolve()
        if not path.is_relative_to(root):
            raise ConnectorError(f"{where} names a file outside the source's files folder.")
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ConnectorError(f"{where} names a file larger than {MAX_FILE_BYTES // 2**20} MB.")
            return path.read_bytes(), path.name
        except OSError as exc:
            raise ConnectorError(f"{where} names a file that cannot be read ({exc.strerror}).") from exc


class StatementClock:
    """SQLite's statement timeout: a deadline the progress handler checks, restarted per batch read."""

    def __init__(self, seconds: int):
        self.seconds = seconds
        self.restart()

    def restart(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def expired(self) -> int:
        return int(time.monotonic() > self.deadline)


def jsonable(value):
    """A column value as JSON can hold it (dates as ISO text, decimals as text, bytes as base64)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)

"""What a benchmark case needs: figures, timing, query counts, fast rows and a real HTTP server.

Cases import from here and nothing from ``bench.runner``: the runner owns the
database and the report, a case only measures (see ``bench/README.md``).
Importing this module does not touch Django settings, so it is safe before
``django.setup()``.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from django.db import connections
from django.test.utils import CaptureQueriesContext

BASE_DIR = Path(__file__).resolve().parent.parent


# --- What a case returns -----------------------------------------------------


@dataclass
class Figure:
    """One measured number and the baseline it was measured against in the same run.

    ``ratio`` is ``value / baseline``; ``better`` says which way is good, so a
    ratio of 3 is bad for a time (``lower``) and good for a rate (``higher``).
    A figure with no baseline (a rate other figures will be compared with) is
    allowed; its ratio is ``None``.
    """

    case: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_unit: str | None = None
    better: Literal["lower", "higher"] = "lower"
    note: str = ""
    params: dict[str, Any] = field(default_factory=dict)  # sizes etc., kept in the JSON

    def __post_init__(self) -> None:
        if self.better not in ("lower", "higher"):
            raise ValueError(f"Figure.better must be 'lower' or 'higher', not {self.better!r}")
        if self.baseline is not None and self.baseline_unit is None:
            self.baseline_unit = self.unit

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline


@dataclass
class Context:
    """What the runner tells a case about this run."""

    large: bool  # --large: use the big sizes
    vendor: str  # "postgresql" or "sqlite"
    database: str  # human description of the throwaway database
    notes: list[str] = field(default_factory=list)

    def size(self, normal: int, large: int) -> int:
        return large if self.large else normal

    def note(self, text: str) -> None:
        """A line printed under the table (and kept in the JSON)."""
        self.notes.append(text)


@dataclass(frozen=True)
class Case:
    """A benchmark: ``run(ctx)`` builds its rows on a freshly migrated database and returns figures."""

    name: str
    run: Callable[[Context], list[Figure]]
    description: str = ""
    needs_postgres: bool = False  # skipped (with a note) on the SQLite fallback


# --- Timing ------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    runs: tuple[float, ...]  # seconds, one per timed call

    @property
    def best(self) -> float:
        return min(self.runs)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def median_ms(self) -> float:
        return self.median * 1000


def _time_once(fn: Callable[..., Any], setup: Callable[[], tuple] | None) -> float:
    args = setup() if setup else ()
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def timed(
    fn: Callable[..., Any],
    *,
    repeat: int = 7,
    warmup: int = 1,
    setup: Callable[[], tuple] | None = None,
    budget: float | None = None,
) -> Timing:
    """Call ``fn`` ``repeat`` times (after ``warmup`` untimed calls) and keep every duration.

    ``setup`` runs untimed before each call and returns ``fn``'s arguments (for
    example a freshly fetched user, so per-object caches do not flatter the
    figure). With ``budget`` (seconds) the runs stop early once it is spent,
    after at least three.
    """
    for _ in range(warmup):
        _time_once(fn, setup)
    runs: list[float] = []
    started = time.perf_counter()
    for i in range(repeat):
        runs.append(_time_once(fn, setup))
        if budget is not None and i >= 2 and time.perf_counter() - started > budget:
            break
    return Timing(tuple(runs))


def timed_pair(
    fn: Callable[..., Any],
    baseline: Callable[..., Any],
    *,
    repeat: int = 7,
    warmup: int = 1,
    setup: Callable[[], tuple] | None = None,
    budget: float | None = None,
) -> tuple[Timing, Timing]:
    """Time ``fn`` and ``baseline`` alternately, so drift in the machine hits both alike."""
    for _ in range(warmup):
        _time_once(fn, setup)
        _time_once(baseline, setup)
    runs: list[float] = []
    base_runs: list[float] = []
    started = time.perf_counter()
    for i in range(repeat):
        runs.append(_time_once(fn, setup))
        base_runs.append(_time_once(baseline, setup))
        if budget is not None and i >= 2 and time.perf_counter() - started > budget:
            break
    return Timing(tuple(runs)), Timing(tuple(base_runs))


# --- SQL queries ---------------------------------------------------------------


@dataclass(frozen=True)
class Queries:
    sql: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.sql)


def count_queries(fn: Callable[[], Any], *, using: str = "default") -> Queries:
    """The SQL ``fn`` sends (``CaptureQueriesContext``; works with DEBUG off)."""
    with CaptureQueriesContext(connections[using]) as captured:
        fn()
    return Queries(tuple(q["sql"] for q in captured.captured_queries))


# --- Rows, fast ------------------------------------------------------------------


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def bulk_create(model, objs: Iterable[Any], *, batch_size: int = 2000) -> int:
    """``model.objects.bulk_create`` over any iterable (a generator is fine), in batches.

    Goes through the ORM (defaults, ``auto_now_add``, primary keys set on
    PostgreSQL). For hundreds of thousands of rows use :func:`copy_rows`.
    """
    total = 0
    for batch in _batches(objs, batch_size):
        model.objects.bulk_create(batch, batch_size=batch_size)
        total += len(batch)
    return total


def copy_rows(model, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, using: str = "default") -> int:
    """Insert raw rows into ``model``'s table as fast as the database allows: ``COPY`` on PostgreSQL.

    ``columns`` are field names (``user``, not ``user_id``, is fine); ``rows``
    hold database values in that order (dump JSON to a string yourself; no
    defaults, no ``auto_now``). On SQLite this falls back to ``executemany``.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    table = quote(model._meta.db_table)
    total = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    total += 1
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            for batch in _batches(rows, 5000):
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", batch)
                total += len(batch)
    return total


def analyze(*models, using: str = "default") -> None:
    """Refresh the planner's statistics after a bulk load, as autovacuum would soon do in production.

    Without it PostgreSQL plans for the empty tables the migration left
    (estimates of a few rows), and the figures describe a plan nobody runs.
    """
    connection = connections[using]
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

"""``python -m bench``: make a throwaway database, run every case in ``bench/cases/``, print and save the figures.

Each case starts on a freshly migrated, empty database (PostgreSQL: a copy of
a migrated template; SQLite: a copy of the migrated file), so no case sees
another's rows. The databases are dropped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import pkgutil
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.core import BASE_DIR, Case, Context, Figure

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"


# --- The throwaway database ------------------------------------------------------


class PostgresDatabase:
    """``portal_bench_<pid>`` on a PostgreSQL server, plus a migrated template to reset it from."""

    vendor = "postgresql"

    def __init__(self, server_url: str, note: str = "") -> None:
        self.server_url = server_url
        self.name = f"portal_bench_{os.getpid()}"
        self.template = f"{self.name}_tpl"
        self.note = note
        self.version = ""
        self._has_template = False
        parts = urlsplit(server_url)
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        self.where = f"{parts.hostname}:{parts.port or 5432}"

    def _admin(self, *statements) -> None:
        import psycopg

        with psycopg.connect(self.server_url, autocommit=True, connect_timeout=5) as conn:
            for statement in statements:
                conn.execute(statement)

    def create(self) -> None:
        import psycopg
        from psycopg import sql

        name = sql.Identifier(self.name)
        self._admin(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name), sql.SQL("CREATE DATABASE {}").format(name)
        )
        with psycopg.connect(self.server_url, connect_timeout=5) as conn:
            self.version = conn.execute("SHOW server_version").fetchone()[0]

    def snapshot(self) -> None:
        from psycopg import sql

        _close_django_connections()
        self._admin(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.template)),
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(self.template), sql.Identifier(self.name)),
        )
        self._has_template = True

    def reset(self) -> None:
        from psycopg import sql

        _close_django_connections()
        self._admin(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)),
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(self.name), sql.Identifier(self.template)),
        )

    def drop(self) -> None:
        from psycopg import sql

        _close_django_connections()
        names = [self.name] + ([self.template] if self._has_template else [])
        self._admin(*(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(n)) for n in names))

    def describe(self) -> str:
        return f"PostgreSQL {self.version} at {self.where}, throwaway database {self.name}"


class SqliteDatabase:
    """A temporary SQLite file: the fallback when no PostgreSQL answers."""

    vendor = "sqlite"

    def __init__(self, note: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="portal_bench_"))
        self.path = self.dir / "bench.sqlite3"
        self.template = self.dir / "template.sqlite3"
        self.url = f"sqlite:///{self.path}"
        self.name = str(self.path)
        self.note = note
        self.version = ""

    def create(self) -> None:
        import sqlite3

        self.version = sqlite3.sqlite_version

    def snapshot(self) -> None:
        _close_django_connections()
        shutil.copyfile(self.path, self.template)

    def reset(self) -> None:
        _close_django_connections()
        shutil.copyfile(self.template, self.path)

    def drop(self) -> None:
        _close_django_connections()
        shutil.rmtree(self.dir, ignore_errors=True)

    def describe(self) -> str:
        return f"SQLite {self.version}, temporary file {self.path}"


def _close_django_connections() -> None:
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


def choose_database() -> PostgresDatabase | SqliteDatabase:
    import psycopg

    override = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if override.startswith("sqlite"):
        return SqliteDatabase(note="SQLite because BENCH_DATABASE_URL asks for it.")
    server_url = override or DEFAULT_SERVER_URL
    try:
        psycopg.connect(server_url, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if override:
            sys.exit(f"bench: BENCH_DATABASE_URL does not answer: {reason}")
        return SqliteDatabase(
            note=f"PostgreSQL at 127.0.0.1:5432 is unreachable ({reason}): these figures come from SQLite "
            "and are not comparable with PostgreSQL runs."
        )
    return PostgresDatabase(server_url, note="server from BENCH_DATABASE_URL" if override else "")


# --- Cases ----------------------------------------------------------------------------


def discover() -> list[Case]:
    """Every ``CASE`` in ``bench/cases/*.py`` (modules starting with ``_`` are helpers), by name."""
    import bench.cases

    cases: dict[str, Case] = {}
    for module in pkgutil.iter_modules(bench.cases.__path__):
        if module.name.startswith("_"):
            continue
        case = getattr(importlib.import_module(f"bench.cases.{module.name}"), "CASE", None)
        if not isinstance(case, Case):
            raise SystemExit(f"bench: bench/cases/{module.name}.py has no CASE = Case(...)")
        if case.name in cases:
            raise SystemExit(f"bench: two cases are named {case.name!r}")
        cases[case.name] = case
    return [cases[name] for name in sorted(cases)]


def run_case(case: Case, ctx: Context) -> tuple[list[Figure], str | None]:
    try:
        figures = case.run(ctx)
    except Exception:
        return [], traceback.format_exc()
    bad = [f for f in figures if not isinstance(f, Figure)]
    if bad:
        return [], f"run() must return a list of Figure, got {type(bad[0]).__name__}"
    for figure in figures:
        figure.case = figure.case or case.name
    return figures, None


# --- Report -----------------------------------------------------------------------------


def fmt(value: float | None, unit: str | None) -> str:
    if value is None:
        return "-"
    size = abs(value)
    if float(value).is_integer() and size < 1e6:
        number = f"{int(value):,}"
    elif size >= 100:
        number = f"{value:,.0f}"
    elif size >= 10:
        number = f"{value:.1f}"
    elif size >= 1:
        number = f"{value:.2f}"
    else:
        number = f"{value:.3g}"
    return f"{number} {unit}" if unit else number


def table(figures: list[Figure]) -> str:
    header = ("case", "figure", "value", "baseline", "ratio", "better", "note")
    rows = [
        (
            f.case,
            f.name,
            fmt(f.value, f.unit),
            fmt(f.baseline, f.baseline_unit),
            "-" if f.ratio is None else f"{f.ratio:.2f}x",
            f"{f.better}" if f.baseline is not None else "",
            f.note,
        )
        for f in figures
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    right = {2, 3, 4}

    def line(cells) -> str:
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [line(header), rule]
    previous = None
    for figure, row in zip(figures, rows, strict=True):
        if previous is not None and figure.case != previous:
            out.append("")
        out.append(line(row))
        previous = figure.case
    return "\n".join(out)


def _git_commit() -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def write_json(report: dict, extra: Path | None, stamp: str) -> list[Path]:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    paths = [RESULTS_DIR / f"{stamp}.json", RESULTS_DIR / "latest.json"]
    if extra:
        paths.append(extra)
    text = json.dumps(report, indent=2, default=str) + "\n"
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return paths


# --- Main -----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Run the portal's benchmarks.")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this case (repeatable, or comma-separated)",
    )
    parser.add_argument("--large", action="store_true", help="use the big sizes (slow)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the JSON report here")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the bench database (to poke at it)")
    return parser.parse_args(argv)


def setup_django(database_url: str) -> None:
    # Forced, not defaulted: a developer's shell must not point the bench at their own database.
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ["DJANGO_ENV"] = "test"  # fast password hasher, eager Celery, no axes
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "false"  # DEBUG records every query: not what production does
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # collectstatic is not part of a bench run; whitenoise would say so on every client.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django

    django.setup()


def run_all(cases: list[Case], db, *, large: bool) -> tuple[Context, list[Figure], list[dict]]:
    """Create and migrate the database, run each case on a fresh copy of it, drop it (unless kept)."""
    from django.core.management import call_command

    db.create()
    call_command("migrate", interactive=False, verbosity=0)
    if len(cases) > 1:
        db.snapshot()
    ctx = Context(large=large, vendor=db.vendor, database=db.describe())
    if db.vendor == "sqlite":
        ctx.note(db.note)
    print(f"bench: {db.describe()}{' (large sizes)' if large else ''}", file=sys.stderr)
    figures: list[Figure] = []
    results: list[dict] = []
    for index, case in enumerate(cases):
        if case.needs_postgres and db.vendor != "postgresql":
            ctx.note(f"{case.name}: skipped, needs PostgreSQL.")
            results.append({"name": case.name, "status": "skipped", "seconds": 0, "error": None})
            continue
        if index:
            db.reset()
        print(f"bench: {case.name} ...", end="", flush=True, file=sys.stderr)
        clock = time.perf_counter()
        case_figures, error = run_case(case, ctx)
        seconds = time.perf_counter() - clock
        print(f" {seconds:.1f}s{' FAILED' if error else ''}", file=sys.stderr)
        if error:
            print(error, file=sys.stderr)
            ctx.note(f"{case.name}: FAILED ({error.strip().splitlines()[-1]})")
        figures.extend(case_figures)
        status = "failed" if error else "ok"
        results.append({"name": case.name, "status": status, "seconds": round(seconds, 3), "error": error})
    return ctx, figures, results


def _shown(path: Path) -> str:
    return str(path.relative_to(BASE_DIR)) if path.is_relative_to(BASE_DIR) else str(path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        setup_django("sqlite://:memory:")
        for case in discover():
            print(f"{case.name:20} {case.description}")
        return 0

    db = choose_database()
    setup_django(db.url)
    cases = discover()
    only = {name.strip() for chunk in args.only for name in chunk.split(",") if name.strip()}
    if unknown := only - {c.name for c in cases}:
        have = ", ".join(c.name for c in cases)
        print(f"bench: no case named {', '.join(sorted(unknown))}; have {have}", file=sys.stderr)
        return 2
    cases = [c for c in cases if not only or c.name in only]

    # SIGTERM (a CI timeout, make being stopped) should still drop the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started_at = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    try:
        ctx, figures, results = run_all(cases, db, large=args.large)
    finally:
        if args.keep_db:
            print(f"bench: kept {db.name} ({db.url})", file=sys.stderr)
        else:
            db.drop()
    total = time.perf_counter() - clock

    print()
    print(table(figures))
    print()
    print(f"database: {db.describe()}{'' if args.keep_db else ' (dropped)'}")
    for note in ctx.notes:
        print(f"note: {note}")

    import django

    report = {
        "started_at": started_at.isoformat(),
        "seconds": round(total, 3),
        "large": args.large,
        "database": {"vendor": db.vendor, "version": db.version, "name": db.name, "note": db.note},
        "environment": {
            "python": platform.python_version(),
            "django": django.get_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "commit": _git_commit(),
        },
        "cases": results,
        "notes": ctx.notes,
        "figures": [{**asdict(f), "ratio": f.ratio} for f in figures],
    }
    paths = write_json(report, args.json, started_at.strftime("%Y%m%dT%H%M%SZ"))
    print(f"written: {', '.join(_shown(p) for p in paths)} in {total:.1f}s")
    return 1 if any(r["status"] == "failed" for r in results) else 0

"""Importing affected subjects: ``subjects_import()`` of a 100,000-row CSV against a raw ``COPY`` of the same file.

The service reads the file twice (validation, holding only hashed addresses;
then the insert by ``COPY``) inside its rules (rights, audit, timeline, one
transaction). The baseline is PostgreSQL's own ``COPY … FROM STDIN (FORMAT csv,
HEADER)`` of the very same bytes into the same table (the columns the file lacks
get their values from column defaults set for the run): the floor of getting the
file into the table, with no validation at all. Also the import's peak traced
Python memory, next to the file's size: it must stay far below it.
"""

from __future__ import annotations

import tempfile
import tracemalloc
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files import File
from django.db import connection
from django.utils import timezone

from bench.core import Case, Context, Figure, analyze, timed_pair
from incidents import services as incident_services
from incidents.subjects.models import AffectedSubject, SubjectImport
from incidents.subjects.services import subjects_import
from portal.models import PRIVACY_OFFICERS

NAME = "subject_import"
TABLE = AffectedSubject._meta.db_table
DEFAULTED = ("incident_id", "source_id", "status", "attempts", "last_error")


def _write_csv(path: Path, n: int) -> None:
    languages = ("en", "de", "fr", "en-GB", "")
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("email,name,language\r\n")
        for i in range(n):
            handle.write(f"customer{i:07d}@example.com,Customer {i:07d},{languages[i % 5]}\r\n")


def _clear() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(f"DELETE FROM {SubjectImport._meta.db_table}")
    return ()


def run(ctx: Context) -> list[Figure]:
    n = ctx.size(100_000, 1_000_000)
    User = get_user_model()
    officer = User.objects.create(username="bench-officer", email="officer@example.com")
    officer.groups.add(Group.objects.get(name=PRIVACY_OFFICERS))
    incident = incident_services.incident_report(
        actor=officer, title="Bench leak", kind="unauthorized_disclosure", detected_at=timezone.now()
    )
    workdir = Path(tempfile.mkdtemp(prefix="bench-subjects-"))
    path = workdir / "subjects.csv"
    _write_csv(path, n)
    size = path.stat().st_size

    def service() -> None:
        with path.open("rb") as handle:
            source = subjects_import(actor=officer, incident=incident, upload=File(handle, name=path.name))
        if source.count != n:
            raise AssertionError(f"import: {source.count} rows, not {n}")

    # For the raw COPY: what the file does not say comes from column defaults (an import row for the FK).
    placeholder = SubjectImport.objects.create(incident=incident, imported_by=officer, file_name="-", size=0, sha256="")

    def raw_copy() -> None:
        with connection.cursor() as cursor:
            for column, value in zip(DEFAULTED, (incident.pk, placeholder.pk, "pending", 0, ""), strict=True):
                cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN {column} SET DEFAULT %s", [value])
            options = "FORMAT csv, HEADER, FORCE_NOT_NULL (name, language)"  # an empty field is "", as the import
            copy_sql = f"COPY {TABLE} (email, name, language) FROM STDIN ({options})"
            with path.open("rb") as handle, cursor.cursor.copy(copy_sql) as copy:
                while chunk := handle.read(1 << 16):
                    copy.write(chunk)
            for column in DEFAULTED:
                cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN {column} DROP DEFAULT")

    def setup() -> tuple:
        _clear()
        nonlocal placeholder
        placeholder = SubjectImport.objects.create(
            incident=incident, imported_by=officer, file_name="-", size=0, sha256=""
        )
        analyze(AffectedSubject)
        return ()

    # Untimed: check the result and measure the peak memory (tracemalloc slows Python, so not timed).
    setup()
    tracemalloc.start()
    service()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    repeat = ctx.size(3, 1)
    imported, copied = timed_pair(service, raw_copy, repeat=repeat, warmup=0, setup=setup)
    if AffectedSubject.objects.count() != n:
        raise AssertionError("raw COPY: wrong row count")
    _clear()
    path.unlink()
    workdir.rmdir()
    mb = 1024 * 1024
    return [
        Figure(
            NAME,
            f"subjects_import(), {n:,} rows",
            imported.median,
            "s",
            copied.median,
            note=f"vs raw COPY of the same {size / mb:.1f} MB file into the same table (no validation); "
            f"median of {len(imported.runs)}",
            params={"rows": n, "bytes": size, "runs_s": list(imported.runs), "baseline_runs_s": list(copied.runs)},
        ),
        Figure(
            NAME,
            f"subjects_import() peak traced memory, {n:,} rows",
            peak / mb,
            "MB",
            size / mb,
            "MB",
            note="tracemalloc peak of the whole import vs the size of the file (a set of hashed addresses is kept)",
            params={"peak_bytes": peak, "file_bytes": size},
        ),
    ]


CASE = Case(
    name=NAME,
    run=run,
    description="CSV import of 100,000 affected subjects vs a raw COPY of the same file",
    needs_postgres=True,
)

"""A DSAR package for a subject with 10,000 items and 200 MB of files, against ``zipfile`` of the same files.

The subject has 9,000 records in three sources (contacts, orders, events) and
1,000 voice recordings of 200 KB each (random bytes, as incompressible as
audio); 100,000 items and 1 GB with ``--large``. Above the inline limit
``package_build`` only records the build in the request and ``build_package_task``
writes the ZIP after the commit; the bench's Celery is eager, so one call times
the whole build as a worker runs it. The task reads the items from the database
in batches, writes the data as JSON and CSV, copies
the files in 1 MiB chunks, hashes every item and the archive, and renders the
manifest and summary, all straight to a file on private storage. The baseline
is the standard library alone: ``zipfile.ZipFile(path, "w").write(file)`` for
the same recording files (stored, as the package stores audio), nothing else.
A further figure times what the web request itself now does (lock, guard,
counts, the ``building`` row, the audit event), rolled back so no task runs.

Time is the median of three alternating runs; peak memory is measured in one
extra run of each under ``tracemalloc`` (Python allocations; the timed runs
are not traced, since tracing slows them).
"""

from __future__ import annotations

import os
import random
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import override_settings

from bench.core import Case, Context, Figure, bulk_create, timed, timed_pair
from dsar import services
from dsar.models import Item, Package, Request, Task
from dsar.package import services as packages
from portal.models import DataAsset

NAME = "dsar_package"
SOURCES = ("contacts", "orders", "events")


def _subject(root: Path, *, records: int, files: int, file_size: int) -> tuple[Request, object, list[Path]]:
    User = get_user_model()
    officer = User.objects.create(username="bench-officer", email="officer@example.com")
    officer.groups.add(Group.objects.get(name="privacy-officers"))
    handler = User.objects.create(username="bench-handler", email="handler@example.com")
    request = services.request_create(
        actor=officer,
        type="access",
        email="ann@example.com",
        customer_id="C-1001",
        jurisdiction="uk_gdpr",
        handler=handler,
        send_verification=False,
    )
    services.request_verify_otherwise(actor=officer, request=request, method="document", note="Passport seen.")
    asset = DataAsset.objects.create(
        name="Customer estate", max_grant_days=90, purposes="Service", retention="6 years", recipients="None"
    )
    task = Task.objects.create(request=request, asset=asset, method="connector", status="done", found=records + files)
    ident = "customer:C-1001"
    bulk_create(
        Item,
        (
            Item(
                request=request,
                task=task,
                asset=asset,
                subject_identifier=ident,
                source=SOURCES[i % len(SOURCES)],
                kind="record",
                data={"row": i, "name": "Ann Example", "note": f"Record {i} of the benchmark subject", "total": i * 3},
            )
            for i in range(records)
        ),
    )
    folder = root / "dsar" / str(request.pk) / "items"
    folder.mkdir(parents=True)
    rng = random.Random(7)
    paths = []
    for i in range(files):
        path = folder / f"recording-{i:06d}.wav"
        path.write_bytes(rng.randbytes(file_size))
        paths.append(path)
    bulk_create(
        Item,
        (
            Item(
                request=request,
                task=task,
                asset=asset,
                subject_identifier=ident,
                source="recordings",
                kind="file",
                name=path.name,
                file=str(path.relative_to(root)),
                size=file_size,
            )
            for path in paths
        ),
    )
    Request.objects.filter(pk=request.pk).update(status=Request.Status.REVIEW)
    return Request.objects.get(pk=request.pk), handler, paths


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run(ctx: Context) -> list[Figure]:
    items = ctx.size(10_000, 100_000)
    files = items // 10
    file_size = ctx.size(200 * 1024, 100 * 1024)  # 200 MB; 1 GB with --large
    total_bytes = files * file_size
    with tempfile.TemporaryDirectory(prefix="bench-dsar-") as tmp, override_settings(MEDIA_ROOT=tmp):
        root = Path(tmp)
        request, handler, paths = _subject(root, records=items - files, files=files, file_size=file_size)
        baseline_zip = root / "baseline.zip"

        def build():
            packages.package_build(actor=handler, request=request)  # the task runs (eagerly) on commit

        def request_only():
            with transaction.atomic():
                packages.package_build(actor=handler, request=request)
                transaction.set_rollback(True)  # no commit: no task, nothing superseded

        def stdlib():
            with zipfile.ZipFile(baseline_zip, "w", allowZip64=True) as z:
                for path in paths:
                    z.write(path, f"files/{path.name}")

        timing, base = timed_pair(build, stdlib, repeat=3, warmup=0)
        package = Package.objects.current().get(request=request)
        size, base_size = package.size, os.path.getsize(baseline_zip)
        peak, base_peak = _peak(build), _peak(stdlib)
        answered = timed(request_only, repeat=5, warmup=1)
    params = {"items": items, "files": files, "file_bytes": total_bytes, "zip_bytes": size, "baseline_zip": base_size}
    mb = total_bytes / 1e6
    return [
        Figure(
            NAME,
            f"package build (request, then the task), {items:,} items, {mb:.0f} MB of files",
            timing.median,
            "s",
            baseline=base.median,
            note="baseline: zipfile.write of the same files alone (no records, manifest, hashes or summary)",
            params=params,
        ),
        Figure(
            NAME,
            "throughput",
            mb / timing.median,
            "MB/s",
            baseline=mb / base.median,
            better="higher",
            note="file bytes per second; baseline: zipfile alone",
            params=params,
        ),
        Figure(
            NAME,
            "peak Python memory (tracemalloc)",
            peak / 1e6,
            "MB",
            baseline=base_peak / 1e6,
            note=f"bounded by a database batch and a 1 MiB chunk, not by the {mb:.0f} MB package; baseline: zipfile",
            params=params,
        ),
        Figure(
            NAME,
            "the build request alone (answers 201, building)",
            answered.median * 1000,
            "ms",
            baseline=timing.median * 1000,
            note="what the web request waits for now; baseline: the whole build it used to wait for",
            params=params,
        ),
    ]


CASE = Case(
    name=NAME,
    run=run,
    description="DSAR package assembly (10,000 items, 200 MB) against zipfile of the same files, with peak memory",
)

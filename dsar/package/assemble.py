"""Assembling one request's ZIP on private storage, streamed from the database and the item files.

The archive is written to a temporary name beside its final one and renamed
only when complete, so a failed build leaves no half-written package behind.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.core.files.storage import default_storage
from django.utils import timezone

from dsar.models import Request, Task
from dsar.package import contents, summary
from dsar.package.guard import own_items
from dsar.package.zipstream import StreamingZip
from portal.models import DataAsset

# Items read from the database per round trip while streaming.
BATCH = 500
ITEM_FIELDS = ("id", "asset_id", "source", "kind", "subject_identifier", "data", "file", "name", "size")


def package_name(request: Request, package_id: int) -> str:
    # The random part keeps two runs of one build (a redelivered task) from writing the same file.
    return f"{_folder(request)}/{request.reference}-{package_id}-{secrets.token_hex(8)}.zip"


def _folder(request: Request) -> str:
    return f"dsar/{request.pk}/packages"


def _temp_prefix(package_id: int) -> str:
    return f".building-{package_id}-"


def sweep_leftovers(request: Request, package_id: int, *, keep: str) -> list[str]:
    """Delete what earlier runs of this package's build left behind (a worker killed half-way or before storing).

    Called once the build is stored. A duplicate run still writing loses its file and fails; its retry
    finds the package built and stops, so it never stores a second one.
    """
    folder = _folder(request)
    try:
        names = default_storage.listdir(folder)[1]
    except FileNotFoundError:
        return []
    mine = (f"{request.reference}-{package_id}-", _temp_prefix(package_id))
    gone = [f"{folder}/{n}" for n in names if n.startswith(mine) and f"{folder}/{n}" != keep]
    for name in gone:
        default_storage.delete(name)
    return gone


def _systems(request: Request, counts: list[contents.SourceCount]) -> list[summary.System]:
    """Every asset searched for this request (its collection tasks), with what the package holds from it."""
    tasks = Task.objects.filter(request=request, kind=Task.Kind.COLLECT).select_related("asset")
    systems: dict[int, summary.System] = {}
    for task in tasks.order_by("asset__name", "pk"):
        asset = task.asset
        systems[asset.pk] = summary.System(
            name=asset.name,
            purposes=asset.purposes,
            categories=list(asset.data_categories or []),
            lawful_basis=asset.lawful_basis,
            recipients=asset.recipients,
            retention=asset.retention,
            source=asset.source,
            searched="automatically, by a connector" if task.method == Task.Method.CONNECTOR else "by hand",
            status=task.get_status_display(),
        )
    for count in counts:
        system = systems.get(count.asset_id)
        if system is None:  # an item whose asset had no task of this request: still listed
            asset = DataAsset.objects.get(pk=count.asset_id)
            system = systems[asset.pk] = summary.System(name=asset.name, searched="by hand")
        system.records += count.records
        system.files += count.files
        system.sources.append((count.source, count.records, count.files))
    return list(systems.values())


def _counted(items: Iterable, progress: Callable[[int], None] | None) -> Iterator:
    """The items, telling ``progress`` how many were written after every :data:`BATCH`."""
    for done, item in enumerate(items, start=1):
        yield item
        if progress is not None and done % BATCH == 0:
            progress(done)


def assemble(
    *, request: Request, package_id: int, up_to: int, built_at, progress: Callable[[int], None] | None = None
) -> tuple[str, contents.Assembled]:
    """Write package ``package_id`` of ``request``'s own items with ids up to ``up_to``; return its name and facts.

    ``progress(n)`` hears how many items are written, every :data:`BATCH` (the request page's progress bar).
    """
    name = package_name(request, package_id)
    final = Path(default_storage.path(name))
    final.parent.mkdir(parents=True, exist_ok=True)
    asset_ids = set(Task.objects.filter(request=request).values_list("asset_id", flat=True))
    asset_ids |= set(own_items(request).values_list("asset_id", flat=True).distinct())
    asset_names = dict(DataAsset.objects.filter(pk__in=asset_ids).values_list("pk", "name"))
    items = (
        own_items(request)
        .filter(pk__lte=up_to)
        .select_related(None)
        .only(*ITEM_FIELDS)
        .order_by("asset_id", "source", "kind", "pk")
        .iterator(chunk_size=BATCH)
    )
    rows: list[dict] = []
    handle, temp = tempfile.mkstemp(dir=final.parent, prefix=_temp_prefix(package_id), suffix=".zip")
    try:
        with os.fdopen(handle, "wb") as out, StreamingZip(out, when=timezone.localtime(built_at)) as z:
            counts = contents.write_items(z, _counted(items, progress), asset_names=asset_names, rows=rows)
            paths = {row["path"] for row in rows} | {row["data_path"] for row in rows if "data_path" in row}
            data_files = sorted(p for p in paths if p.startswith("data/"))
            data_files += [p.removesuffix(".json") + ".csv" for p in data_files]
            file_dirs = sorted(
                {row["path"].rsplit("/", 1)[0] + "/" for row in rows if row["path"].startswith("files/")}
            )
            listed = sorted(data_files) + [f"{d} (files as we hold them)" for d in file_dirs]
            text, html = summary.render(
                summary.context(request=request, systems=_systems(request, counts), files=listed)
            )
            header = {
                "reference": request.reference,
                "type": request.type,
                "jurisdiction": request.jurisdiction,
                "subject_identifiers": sorted(request.subject_identifiers()),
                "built_at": built_at.isoformat(),
            }
            built = contents.manifest(header=header, rows=rows, counts=counts, asset_names=asset_names)
            z.add_bytes("summary.txt", text)
            z.add_bytes("summary.html", html)
            z.add("manifest.json", contents.pretty(built))
        result = contents.Assembled(manifest=built, size=z.size, sha256=z.sha256, counts=counts)
        os.replace(temp, final)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    finally:
        # A build stopped half-way closes its server-side cursor now, in its own transaction; left to the
        # garbage collector, the CLOSE would run later inside someone else's and abort it (PostgreSQL).
        items.close()  # type: ignore[attr-defined]  # a generator: the stubs say Iterator
    return name, result

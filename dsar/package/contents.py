"""What goes into a package, written as a stream: data per source (JSON and CSV), files, manifest, summary.

Items arrive ordered by asset, source and kind, so each source is one run of the
stream: its records become ``data/<asset>/<source>.json`` (written into the ZIP
as they come) and ``.csv`` (spooled to a temporary file that moves to disk past
1 MiB, because the ZIP takes one entry at a time); its files are copied in
chunks to ``files/<asset>/<source>/``, and what the source holds about each file
(a recording's date and transcript) to ``data/<asset>/<source>/files.json`` and
``.csv``, spooled the same way. Nothing holds more than one chunk of data or one
database batch of items; the manifest keeps one short row per item.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from dsar.package.zipstream import CHUNK, StreamingZip, file_chunks

SPOOL = 1024 * 1024
MANIFEST_VERSION = 1


def canonical(data: Any) -> bytes:
    """One spelling of a record, so its SHA-256 in the manifest can be recomputed from the JSON file."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder).encode()


def pretty(data: Any) -> Iterator[bytes]:
    """JSON a person can read (the manifest): indented, sorted, non-ASCII kept; encoded piece by piece."""
    encoder = DjangoJSONEncoder(sort_keys=True, indent=2, ensure_ascii=False)
    buffer: list[str] = []
    size = 0
    for piece in encoder.iterencode(data):
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    yield "".join(buffer).encode()


def slug(value: str, fallback: str) -> str:
    """A safe path segment: no separators, no dots at the start, nothing a ZIP tool could climb out with."""
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", value or "").strip(".-")[:80]
    return text or fallback


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    text = str(value)
    # A spreadsheet would run a cell starting with these as a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass
class SourceCount:
    asset_id: int
    source: str
    records: int = 0
    files: int = 0
    bytes: int = 0


@dataclass
class Assembled:
    """What the stream wrote: the manifest (also stored on the package) and the archive's size and hash."""

    manifest: dict
    size: int = 0
    sha256: str = ""
    counts: list[SourceCount] = field(default_factory=list)


class _CsvSpool:
    """CSV rows of one source; columns are learnt as records come, the header is written first at the end."""

    def __init__(self) -> None:
        self.columns: list[str] = []
        self._known: set[str] = set()
        # Closed by close(), which the writer calls in a finally.
        self._spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=SPOOL, mode="w+t", encoding="utf-8", newline=""
        )
        self._writer = csv.writer(self._spool)

    def add(self, item_id: int, data: Any) -> None:
        record = data if isinstance(data, dict) else {"value": data}
        for key in record:
            if key not in self._known:
                self._known.add(key)
                self.columns.append(key)
        self._writer.writerow([item_id, *(_cell(record.get(c)) for c in self.columns)])

    def chunks(self) -> Iterator[bytes]:
        header = io.StringIO()
        csv.writer(header).writerow(["item_id", *self.columns])
        yield header.getvalue().encode()
        self._spool.seek(0)
        width = len(self.columns) + 1
        out = io.StringIO()
        writer = csv.writer(out)
        for row in csv.reader(self._spool):
            # Rows written before a later column appeared are padded, so every row has every column.
            writer.writerow(row + [""] * (width - len(row)))
            if out.tell() >= CHUNK:
                yield out.getvalue().encode()
                out.seek(0)
                out.truncate()
        yield out.getvalue().encode()

    def close(self) -> None:
        self._spool.close()


class _JsonSpool:
    """A JSON array of records, spooled like the CSV (the files' data is written after the files themselves)."""

    def __init__(self) -> None:
        self.count = 0
        # Closed by close(), which the writer calls in a finally.
        self._spool = tempfile.SpooledTemporaryFile(max_size=SPOOL, mode="w+b")  # noqa: SIM115

    def add(self, record: bytes) -> None:
        self._spool.write((b"[\n" if not self.count else b",\n") + record)
        self.count += 1

    def chunks(self) -> Iterator[bytes]:
        self._spool.seek(0)
        while chunk := self._spool.read(CHUNK):
            yield chunk
        yield b"\n]\n"

    def close(self) -> None:
        self._spool.close()


def _records(items: Iterable, spool: _CsvSpool, rows: list, json_path: str, count: SourceCount) -> Iterator[bytes]:
    """The JSON array of one source's records, chunk by chunk; fills the CSV spool and manifest rows on the way."""
    yield b"["
    first = True
    for item in items:
        blob = canonical(item.data)
        # canonical({"data": ..., "item_id": ...}) without encoding the data twice (keys in sorted order).
        record = b'{"data":' + blob + b',"item_id":' + str(item.pk).encode() + b"}"
        yield (b"\n" if first else b",\n") + record
        first = False
        spool.add(item.pk, item.data)
        count.records += 1
        rows.append(_row(item, json_path, len(blob), hashlib.sha256(blob).hexdigest()))
    yield b"\n]\n"


def _row(item, path: str, size: int, sha256: str) -> dict:
    return {
        "id": item.pk,
        "asset_id": item.asset_id,
        "source": item.source,
        "kind": item.kind,
        "subject_identifier": item.subject_identifier,
        "name": item.name,
        "path": path,
        "size": size,
        "sha256": sha256,
    }


def write_items(z: StreamingZip, items: Iterable, *, asset_names: dict[int, str], rows: list) -> list[SourceCount]:
    """Write every item (ordered by asset, source, kind) into ``z``; append one manifest row per item to ``rows``."""
    counts: list[SourceCount] = []
    for (asset_id, source, kind), group in groupby(items, key=lambda i: (i.asset_id, i.source, i.kind)):
        folder = f"{slug(asset_names.get(asset_id, ''), f'asset-{asset_id}')}/{slug(source, 'items')}"
        if not counts or (counts[-1].asset_id, counts[-1].source) != (asset_id, source):
            counts.append(SourceCount(asset_id, source))
        count = counts[-1]
        if kind == "file":
            _write_files(z, group, folder=folder, count=count, rows=rows)
            continue
        spool = _CsvSpool()
        try:
            json_path = f"data/{folder}.json"
            z.add(json_path, _records(group, spool, rows, json_path, count))
            z.add(f"data/{folder}.csv", spool.chunks())
        finally:
            spool.close()
    return counts


def _write_files(z: StreamingZip, items: Iterable, *, folder: str, count: SourceCount, rows: list) -> None:
    """One source's files, then what the source holds about them (its row but the file) in JSON and CSV.

    A file's data is the subject's too (a recording's transcript). Its path is one segment deeper than any
    source's records (``slug`` keeps ``/`` out of names), so the two never collide; its manifest row names it.
    """
    data_path = f"data/{folder}/files.json"
    described, spool = _JsonSpool(), _CsvSpool()
    try:
        for item in items:
            path = f"files/{folder}/{item.pk}-{slug(item.name, 'file')}"
            with item.file.open("rb") as handle:
                entry = z.add(path, file_chunks(handle), size=item.size or None)
            count.files += 1
            count.bytes += entry.size
            row = _row(item, path, entry.size, entry.sha256)
            if item.data:
                described.add(canonical({"data": item.data, "file": path, "item_id": item.pk}))
                spool.add(item.pk, item.data)  # the CSV's item_id is the file name's prefix
                row["data_path"] = data_path
            rows.append(row)
        if described.count:
            z.add(data_path, described.chunks())
            z.add(data_path.removesuffix(".json") + ".csv", spool.chunks())
    finally:
        described.close()
        spool.close()


def manifest(*, header: dict, rows: list, counts: list[SourceCount], asset_names: dict[int, str]) -> dict:
    sources = [
        {
            "asset_id": c.asset_id,
            "asset": asset_names.get(c.asset_id, ""),
            "source": c.source,
            "records": c.records,
            "files": c.files,
            "file_bytes": c.bytes,
        }
        for c in counts
    ]
    return {"version": MANIFEST_VERSION, **header, "sources": sources, "items": rows}

"""A ZIP written in one forward pass, entry after entry, from chunks: memory stays bounded by the chunk size.

The standard library's ``zipfile`` does the format (ZIP64 included). We hand it
a sink that cannot seek, so it writes each entry's sizes and CRC in a data
descriptor after the data instead of seeking back into the header; that keeps
the output strictly sequential, so the SHA-256 and size of the whole archive are
computed while it is written, without reading the file a second time.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

CHUNK = 1024 * 1024

# Already compressed (audio, video, images, archives): deflating them costs time and saves nothing.
STORED_SUFFIXES = frozenset(
    {".mp3", ".m4a", ".aac", ".ogg", ".opus", ".flac", ".wav", ".mp4", ".mov", ".webm"}
    | {".jpg", ".jpeg", ".png", ".gif", ".webp", ".zip", ".gz", ".pdf"}
)


class HashingSink:
    """A write-only, non-seekable file object that hashes and counts what passes through it."""

    def __init__(self, target: BinaryIO) -> None:
        self._target = target
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self.size += len(data)
        self._target.write(data)
        return len(data)

    def flush(self) -> None:
        self._target.flush()

    def close(self) -> None:
        """The caller owns the target and closes it; closing the ZIP only flushes."""
        self._target.flush()

    def seekable(self) -> bool:
        return False

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


@dataclass(frozen=True)
class Entry:
    """What one entry held: its path in the archive, its size and SHA-256 before compression."""

    path: str
    size: int
    sha256: str


def file_chunks(fileobj: BinaryIO, chunk: int = CHUNK) -> Iterator[bytes]:
    while data := fileobj.read(chunk):
        yield data


def compress_type(path: str) -> int:
    suffix = path[path.rfind(".") :].lower() if "." in path.rsplit("/", 1)[-1] else ""
    return zipfile.ZIP_STORED if suffix in STORED_SUFFIXES else zipfile.ZIP_DEFLATED


class StreamingZip:
    """``with StreamingZip(open(path, "wb")) as z: z.add("a.json", chunks)``; then ``z.sha256``, ``z.size``."""

    def __init__(self, target: BinaryIO, *, when: datetime | None = None) -> None:
        """``when``: the time every entry carries, as the subject reads it (local time; ZIP has no zone)."""
        self.sink = HashingSink(target)
        self._zip = zipfile.ZipFile(self.sink, "w", allowZip64=True)
        # Every entry carries the build time: the archive says when it was made, not when each part was read.
        self._stamp = (when or datetime.now(UTC)).timetuple()[:6]
        self._paths: set[str] = set()

    def add(self, path: str, chunks: Iterable[bytes], *, size: int | None = None) -> Entry:
        """Write one entry from ``chunks``. ``size``, when known, lets a small entry skip the ZIP64 header."""
        if path in self._paths:
            raise ValueError(f"Two entries named {path!r}.")
        self._paths.add(path)
        info = zipfile.ZipInfo(path, date_time=self._stamp)
        info.compress_type = compress_type(path)
        info.external_attr = 0o600 << 16
        if size is not None:
            info.file_size = size
        digest, written = hashlib.sha256(), 0
        # Unknown sizes might pass 4 GiB: force the ZIP64 record rather than fail at the end of a long entry.
        with self._zip.open(info, "w", force_zip64=size is None or size >= zipfile.ZIP64_LIMIT) as out:
            for data in chunks:
                digest.update(data)
                written += len(data)
                out.write(data)
        return Entry(path, written, digest.hexdigest())

    def add_bytes(self, path: str, data: bytes) -> Entry:
        return self.add(path, [data], size=len(data))

    def close(self) -> None:
        self._zip.close()
        self.sink.flush()

    @property
    def sha256(self) -> str:
        return self.sink.sha256

    @property
    def size(self) -> int:
        return self.sink.size

    def __enter__(self) -> StreamingZip:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

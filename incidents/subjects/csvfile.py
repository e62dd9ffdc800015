"""Reading a CSV of affected subjects in one streamed pass: every bad row, with its line and reason.

The file is read line by line from the upload's chunks (Django's ``File.__iter__``),
each line decoded as UTF-8 on its own (so a bad byte names its line), and handed
to :mod:`csv`. Nothing but the current record and a set of hashed addresses (for
duplicates) is held, so a 1,000,000-row file needs a few tens of MB whatever its size.

The header names the columns, in any order and case: ``email`` and ``name`` are
required, ``language`` is optional, others are ignored.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator

from incidents.subjects.models import MAX_LANGUAGE, MAX_NAME

REQUIRED = ("email", "name")
OPTIONAL = ("language",)
MAX_REPORTED = 1000  # bad rows listed; all of them are counted
MAX_FIELD = 100_000  # characters in one field (an unclosed quote otherwise swallows the rest of the file)
BOM = "\ufeff"
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_email_validator = EmailValidator()


def normalise_email(value: str) -> str:
    return value.strip().lower()


def address_key(email: str) -> int:
    """What the duplicate check keeps per address: a 64-bit hash (a set of ints, not of strings).

    Python's ``hash`` is keyed per process, which is all one import needs; two different
    addresses colliding in a file of a million is a one-in-ten-million chance, and would
    refuse the file (naming the line), never import a duplicate: the unique constraint stays.
    """
    return hash(email)


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str


@dataclass
class Report:
    """What a validating pass found: the rows, the bad ones (listed up to ``MAX_REPORTED``), the file's hash."""

    rows: int = 0
    bad: int = 0
    problems: list[Problem] = field(default_factory=list)
    sha256: str = ""
    size: int = 0

    def add(self, line: int, reason: str) -> None:
        self.bad += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(Problem(line, reason))

    @property
    def ok(self) -> bool:
        return self.bad == 0


@dataclass(frozen=True)
class Subject:
    line: int
    email: str
    name: str
    language: str


class _Lines:
    """The upload's lines as text, counting physical lines and noting the ones that are not UTF-8."""

    def __init__(self, upload, digest=None) -> None:
        self.upload, self.digest = upload, digest
        self.number = 0
        self.undecodable: deque[int] = deque()
        self.size = 0

    def __iter__(self) -> Iterator[str]:
        self.upload.seek(0)
        for raw in self.upload:
            self.number += 1
            self.size += len(raw)
            if self.digest is not None:
                self.digest.update(raw)
            try:
                if b"\x00" in raw:  # UTF-16 and binary files: NUL is valid UTF-8 but never text
                    raise UnicodeDecodeError("utf-8", raw, raw.index(b"\x00"), raw.index(b"\x00") + 1, "NUL")
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.undecodable.append(self.number)
                text = raw.decode("utf-8", errors="replace")
            if self.number == 1:
                text = text.removeprefix(BOM)
            yield text


def _records(lines: _Lines) -> Iterator[tuple[int, list[str] | None, str]]:
    """``(line, fields, error)`` per CSV record; ``line`` is the physical line it ends on."""
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(lines, strict=True)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, None, f"not readable as CSV: {exc}"
            continue
        yield reader.line_num, fields, ""


def _header(fields: list[str]) -> tuple[dict[str, int], str]:
    names = [f.strip().lower() for f in fields]
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        expected = ", ".join((*REQUIRED, *OPTIONAL))
        return {}, f"the header lacks the column(s) {', '.join(missing)} (expected: {expected})"
    repeated = sorted({n for n in names if names.count(n) > 1 and n in (*REQUIRED, *OPTIONAL)})
    if repeated:
        return {}, f"the header names {', '.join(repeated)} twice"
    return {n: names.index(n) for n in (*REQUIRED, *OPTIONAL) if n in names}, ""


def _shown(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


def _check(fields: list[str], columns: dict[str, int], width: int) -> tuple[Subject | None, str]:
    if len(fields) != width:
        return None, f"expected {width} columns, found {len(fields)}"
    email = normalise_email(fields[columns["email"]])
    name = fields[columns["name"]].strip()
    language = fields[columns["language"]].strip() if "language" in columns else ""
    if not email:
        return None, "the e-mail address is missing"
    try:
        _email_validator(email)
    except DjangoValidationError:
        return None, f"{_shown(email)} is not a valid e-mail address"
    if len(name) > MAX_NAME:
        return None, f"the name is longer than {MAX_NAME} characters"
    if language and (len(language) > MAX_LANGUAGE or not LANGUAGE.match(language)):
        return None, f"{_shown(language)} is not a language tag such as en or en-GB"
    return Subject(0, email, name, language), ""


def _parse(upload, *, existing: set[int] | None, report: Report | None, digest=None) -> Iterator[Subject]:
    lines = _Lines(upload, digest)
    seen: set[int] = set()
    columns: dict[str, int] = {}
    width = 0
    header_seen = False

    def bad(line: int, reason: str) -> None:
        if report is not None:
            report.add(line, reason)

    for line, fields, error in _records(lines):
        # Lines that were not UTF-8 up to this record's last line: the record is bad for that reason.
        if lines.undecodable and lines.undecodable[0] <= line:
            first = lines.undecodable[0]
            while lines.undecodable and lines.undecodable[0] <= line:
                lines.undecodable.popleft()
            bad(first, "not UTF-8 text (save the file as \u201cCSV UTF-8\u201d)")
            if not header_seen:
                return  # without a readable header no row can be read
            continue
        if error:
            bad(line, error)
            continue
        if not fields or all(not f.strip() for f in fields):
            continue  # blank lines are not rows
        if not header_seen:
            header_seen = True
            columns, problem = _header(fields)
            if problem:
                bad(line, problem)
                return
            width = len(fields)
            continue
        if report is not None:
            report.rows += 1
        subject, problem = _check(fields, columns, width)
        if subject is None:
            bad(line, problem)
            continue
        key = address_key(subject.email)
        if existing is not None and key in existing:
            bad(line, f"{_shown(subject.email)} was already imported for this incident")
            continue
        if key in seen:
            bad(line, f"{_shown(subject.email)} appears earlier in this file")
            continue
        seen.add(key)
        yield Subject(line, subject.email, subject.name, subject.language)
    if report is not None:
        report.size = lines.size
        if not header_seen and not report.bad:
            report.add(1, "the file is empty")
        elif header_seen and report.rows == 0 and not report.bad:
            report.add(1, "the file has a header but no rows")


def validate(upload, *, existing: Iterable[str] = ()) -> Report:
    """The first pass: every problem of the file, nothing kept but hashes. ``existing``: addresses already imported."""
    report = Report()
    digest = hashlib.sha256()
    keys = {address_key(e) for e in existing}
    for _ in _parse(upload, existing=keys, report=report, digest=digest):
        pass
    report.sha256 = digest.hexdigest()
    return report


def subjects(upload) -> Iterator[Subject]:
    """The second pass: the rows of a file :func:`validate` found good."""
    return _parse(upload, existing=None, report=None)

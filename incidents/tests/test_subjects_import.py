"""Importing affected subjects from a CSV: all rows or none, every bad row named with its line and reason."""

from __future__ import annotations

import tracemalloc

import pytest
from django.core.files import File

from incidents.subjects import csvfile
from incidents.subjects.models import AffectedSubject, SubjectImport
from incidents.subjects.services import ImportRefused, subjects_import
from incidents.tests.factories import import_subjects, make_incident, subjects_csv, subjects_upload
from portal.errors import Conflict, Forbidden, ValidationError
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(employee, privacy_officer):
    return make_incident(employee)


def _import(officer, incident, content: bytes, name="subjects.csv"):
    return subjects_import(actor=officer, incident=incident, upload=subjects_upload(content, name))


def _refused(officer, incident, content: bytes) -> list[tuple[int, str]]:
    with pytest.raises(ImportRefused) as caught:
        _import(officer, incident, content)
    assert not AffectedSubject.objects.exists(), "a refused file imports nothing"
    assert not SubjectImport.objects.exists()
    return [(p.line, p.reason) for p in caught.value.report.problems]


def test_a_good_file_imports_every_row_normalised_with_its_record_audit_and_timeline(privacy_officer, incident):
    content = subjects_csv([(" Ann@Example.COM ", "Ann Archer", "en-GB"), ("bob@example.com", "Bob", "")])

    source = _import(privacy_officer, incident, content, name="leak.csv")

    assert source.count == 2
    assert source.file_name == "leak.csv"
    assert source.imported_by == privacy_officer
    assert len(source.sha256) == 64
    assert source.size == len(content)
    rows = list(AffectedSubject.objects.values_list("email", "name", "language", "status", "notification"))
    assert rows == [
        ("ann@example.com", "Ann Archer", "en-GB", "pending", None),
        ("bob@example.com", "Bob", "", "pending", None),
    ]
    event = AuditEvent.objects.get(action="incidents.subjects.imported")
    assert event.details["count"] == 2
    assert event.details["sha256"] == source.sha256
    assert incident.timeline.filter(action="incidents.subjects.imported").exists()


def test_a_utf8_bom_columns_in_any_order_and_blank_lines_are_fine(privacy_officer, incident):
    content = "\ufeffName,EMAIL\r\n\r\nZoë Ünal,zoe@example.com\r\n\r\n".encode()

    assert _import(privacy_officer, incident, content).count == 1
    assert AffectedSubject.objects.get().name == "Zoë Ünal"


def test_bad_addresses_are_each_reported_with_their_line(privacy_officer, incident):
    content = subjects_csv([("ok@example.com", "A", "en"), ("not-an-address", "B", "en"), ("c@", "C", "en")])

    problems = _refused(privacy_officer, incident, content)

    assert problems == [
        (3, "'not-an-address' is not a valid e-mail address"),
        (4, "'c@' is not a valid e-mail address"),
    ]


def test_a_missing_address_and_a_missing_column_are_reported(privacy_officer, incident):
    content = subjects_csv([("", "No Mail", "en"), "short@example.com,Only two", ("ok@example.com", "Ok", "en")])

    assert _refused(privacy_officer, incident, content) == [
        (2, "the e-mail address is missing"),
        (3, "expected 3 columns, found 2"),
    ]


def test_a_header_without_a_required_column_is_reported_on_line_1(privacy_officer, incident):
    content = subjects_csv([("a@example.com", "en")], header="email,language")

    problems = _refused(privacy_officer, incident, content)

    assert problems == [(1, "the header lacks the column(s) name (expected: email, name, language)")]


def test_duplicates_within_the_file_and_against_earlier_imports_are_reported(privacy_officer, incident):
    import_subjects(privacy_officer, incident, 1)  # person0@example.com
    content = subjects_csv(
        [("new@example.com", "N", "en"), ("NEW@example.com ", "N again", "en"), ("person0@example.com", "P", "en")]
    )

    with pytest.raises(ImportRefused) as caught:
        _import(privacy_officer, incident, content)

    assert [(p.line, p.reason) for p in caught.value.report.problems] == [
        (3, "'new@example.com' appears earlier in this file"),
        (4, "'person0@example.com' was already imported for this incident"),
    ]
    assert AffectedSubject.objects.count() == 1


def test_the_same_address_in_another_incident_is_no_duplicate(privacy_officer, employee, incident):
    import_subjects(privacy_officer, incident, 2)

    assert import_subjects(privacy_officer, make_incident(employee), 2).count == 2


def test_a_file_that_is_not_utf8_names_each_bad_line(privacy_officer, incident):
    content = (
        "email,name\r\nann@example.com,Ann\r\nzoe@example.com,Zoë\r\nbob@example.com,Bob\r\nfranz@example.com,Fränz\r\n"
    )

    problems = _refused(privacy_officer, incident, content.encode("latin-1"))

    assert [line for line, _ in problems] == [3, 5]
    assert all("not UTF-8" in reason for _, reason in problems)


def test_a_utf16_file_is_refused_as_not_utf8(privacy_officer, incident):
    content = "email,name\r\nann@example.com,Ann\r\n".encode("utf-16")

    problems = _refused(privacy_officer, incident, content)

    assert problems[0][0] == 1
    assert "not UTF-8" in problems[0][1]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"\r\n\r\n", "the file is empty"),
        (b"\xef\xbb\xbf", "the file is empty"),
        (b"email,name,language\r\n", "the file has a header but no rows"),
    ],
)
def test_an_empty_file_is_refused(privacy_officer, incident, content, reason):
    assert _refused(privacy_officer, incident, content) == [(1, reason)]


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(settings, privacy_officer, incident):
    settings.SUBJECT_IMPORT_MAX_BYTES = 100
    content = subjects_csv([(f"p{i}@example.com", "P", "en") for i in range(10)])

    with pytest.raises(ValidationError) as caught:
        _import(privacy_officer, incident, content)

    assert "At most 100 bytes" in caught.value.fields["file"][0]
    assert not AffectedSubject.objects.exists()


def test_too_many_bad_rows_are_listed_up_to_the_cap_and_all_counted(privacy_officer, incident):
    content = subjects_csv([(f"bad-{i}", "X", "en") for i in range(csvfile.MAX_REPORTED + 50)])

    with pytest.raises(ImportRefused) as caught:
        _import(privacy_officer, incident, content)

    report = caught.value.report
    assert report.bad == csvfile.MAX_REPORTED + 50
    assert len(report.problems) == csvfile.MAX_REPORTED
    assert "the first 1000 are listed" in caught.value.message


def test_one_bad_row_at_the_very_end_imports_nothing(privacy_officer, incident):
    rows = [(f"p{i}@example.com", "P", "en") for i in range(12_000)] + [("broken", "X", "en")]

    assert _refused(privacy_officer, incident, subjects_csv(rows)) == [
        (12_002, "'broken' is not a valid e-mail address")
    ]


def test_a_bad_language_an_overlong_name_and_broken_quoting_are_reported(privacy_officer, incident):
    content = subjects_csv(
        [("a@example.com", "A", "english please"), ("b@example.com", "B" * 201, "en"), 'c@example.com,"C"x,en']
    )

    problems = _refused(privacy_officer, incident, content)

    assert problems[0] == (2, "'english please' is not a language tag such as en or en-GB")
    assert problems[1] == (3, "the name is longer than 200 characters")
    assert problems[2][0] == 4
    assert "not readable as CSV" in problems[2][1]


def test_a_reporter_may_not_import_and_a_closed_incident_refuses(employee, privacy_officer, incident):
    with pytest.raises(Forbidden):
        import_subjects(employee, incident, 1)
    incident.status = "closed"
    incident.save(update_fields=["status"])
    with pytest.raises(Conflict):
        import_subjects(privacy_officer, incident, 1)
    assert not AffectedSubject.objects.exists()


def test_a_failure_while_inserting_leaves_nothing(privacy_officer, incident, monkeypatch):
    from incidents.subjects import services

    real = services._insert

    def insert_then_fail(source, rows):
        real(source, rows)
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_insert", insert_then_fail)
    with pytest.raises(RuntimeError):
        import_subjects(privacy_officer, incident, 20)

    assert not AffectedSubject.objects.exists()
    assert not SubjectImport.objects.exists()
    assert not AuditEvent.objects.filter(action="incidents.subjects.imported").exists()


def test_memory_stays_bounded_while_the_file_grows(privacy_officer, incident, tmp_path):
    """Ten times the rows: the peak grows by the set of hashed addresses only, never by the rows themselves.

    On disk, as Django keeps any upload past 2.5 MB (a smaller one is in memory anyway).
    """

    def peak(n: int, start: int) -> tuple[int, int]:
        path = tmp_path / f"{n}.csv"
        rows = [(f"p{i}@example.com", f"Person {i:07d} " + "x" * 180, "en") for i in range(start, start + n)]
        path.write_bytes(subjects_csv(rows))
        with path.open("rb") as handle:
            upload = File(handle, name=path.name)
            tracemalloc.start()
            try:
                report = csvfile.validate(upload)
                _, top = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        assert report.ok
        assert report.rows == n
        return top, path.stat().st_size

    small, _ = peak(2_000, 0)
    large, size = peak(20_000, 100_000)
    # Per address an int in a set (about 75 MB per million with the set's slots), not the 220-byte row.
    assert large - small < 18_000 * 200
    assert large < size


def test_an_address_imported_by_someone_else_meanwhile_is_a_conflict_and_imports_nothing(
    privacy_officer, incident, monkeypatch
):
    from incidents.subjects import services

    real = csvfile.validate

    def validate_then_someone_else_imports(upload, *, existing=()):
        report = real(upload, existing=existing)
        # Another request's import commits person1@example.com between the two passes.
        other = SubjectImport.objects.create(
            incident=incident, imported_by=privacy_officer, file_name="other.csv", size=1, sha256="0"
        )
        AffectedSubject.objects.create(incident=incident, source=other, email="person1@example.com")
        return report

    monkeypatch.setattr(services.csvfile, "validate", validate_then_someone_else_imports)
    content = subjects_csv([("person0@example.com", "P0", "en"), ("person1@example.com", "P1", "en")])

    with pytest.raises(Conflict):
        _import(privacy_officer, incident, content)

    assert list(AffectedSubject.objects.values_list("email", flat=True)) == ["person1@example.com"]
    assert SubjectImport.objects.count() == 1

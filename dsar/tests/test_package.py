"""Building a package: the subject-match guard, what the ZIP holds, four-eyes release."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage

from dsar.models import Item, Package, Request
from dsar.package import guard, services
from dsar.tests.package_factories import (
    CUSTOMER,
    OTHER_CUSTOMER,
    collect,
    in_review,
    request_in_review,
    verified_request,
)
from portal.errors import Conflict, Forbidden
from portal.models import AuditEvent
from portal.tests.factories import DataAssetFactory

pytestmark = pytest.mark.django_db


def _zip(package: Package) -> zipfile.ZipFile:
    return zipfile.ZipFile(default_storage.path(package.file.name))


def test_guard_stops_a_recording_of_another_customer_and_names_it(privacy_officer, employee, private_storage):
    req = request_in_review(privacy_officer, employee, foreign=1)
    foreign = Item.objects.get(subject_identifier=f"customer:{OTHER_CUSTOMER}")

    with pytest.raises(guard.SubjectMismatch) as refused:
        services.package_build(actor=employee, request=req)

    assert refused.value.status == 409
    assert refused.value.total == 1
    assert [i.pk for i in refused.value.items] == [foreign.pk]
    named = refused.value.fields["items"][0]
    assert f"Item {foreign.pk}" in named
    assert "other-0.mp3" in named
    assert f"customer:{OTHER_CUSTOMER}" in named
    assert not Package.objects.exists()
    assert not list(private_storage.glob("dsar/*/packages/*"))  # no file left behind


def test_guard_refuses_an_item_tagged_with_an_unverified_email(privacy_officer, employee):
    req = verified_request(privacy_officer, employee)
    collect(req, records=[("email:someone.else@example.com", "contacts", {"name": "Bea"})])
    req = in_review(req)
    with pytest.raises(guard.SubjectMismatch):
        services.package_build(actor=employee, request=req)


def test_taking_the_foreign_item_out_lets_the_package_build(privacy_officer, employee):
    req = request_in_review(privacy_officer, employee, foreign=2)
    for item in guard.foreign_items(req):
        services.item_discard(actor=employee, item=item, reason="Another customer's recording.")
    package = services.package_build(actor=employee, request=req)

    names = _zip(package).namelist()
    assert not any("other-" in n for n in names)
    assert AuditEvent.objects.filter(action="dsar.item.discarded").count() == 2


def test_package_holds_manifest_with_hashes_data_as_json_and_csv_files_and_summary(privacy_officer, employee):
    req = request_in_review(privacy_officer, employee, records=3, recordings=2)
    empty_system = DataAssetFactory(name="Doorbell video feeds", purposes="Home security")
    collect(req, empty_system)  # searched, nothing found

    package = services.package_build(actor=employee, request=req)

    archive = _zip(package)
    assert archive.testzip() is None
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["reference"] == req.reference
    assert package.item_count == len(manifest["items"]) == 5
    for row in manifest["items"]:
        assert row["subject_identifier"] == f"customer:{CUSTOMER}"
        if row["kind"] == "file":
            assert hashlib.sha256(archive.read(row["path"])).hexdigest() == row["sha256"]
    json_path = next(r["path"] for r in manifest["items"] if r["kind"] == "record")
    records = json.loads(archive.read(json_path))
    by_id = {r["item_id"]: r["data"] for r in records}
    for row in (r for r in manifest["items"] if r["kind"] == "record"):
        blob = json.dumps(by_id[row["id"]], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert hashlib.sha256(blob).hexdigest() == row["sha256"]
    csv_name = next(n for n in archive.namelist() if n.endswith(".csv"))
    rows = list(csv.DictReader(io.StringIO(archive.read(csv_name).decode())))
    assert len(rows) == 3
    assert rows[0]["name"] == "Ann Example"
    summary = archive.read("summary.txt").decode()
    assert "Doorbell video feeds" in summary
    assert "nothing about you" in summary
    assert "Customer service" in summary
    assert "6 years" in summary
    assert "Call-centre BPO" in summary
    assert "Information Commissioner" in summary
    assert "<h2>Doorbell video feeds</h2>" in archive.read("summary.html").decode()
    # The stored hash and size are the file's.
    with open(default_storage.path(package.file.name), "rb") as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == package.sha256
    assert len(data) == package.size
    assert AuditEvent.objects.filter(action="dsar.package.built", target_id=str(req.pk)).exists()


def test_a_files_own_data_goes_beside_it_in_json_and_csv(privacy_officer, employee):
    # A connector returns a recording with its row (when, what was said): the subject gets both.
    req = request_in_review(privacy_officer, employee, records=0, recordings=2)
    said = [{"recording_id": 10 + i, "transcript": f"Ann sets timer {i}"} for i in range(2)]
    for item, data in zip(Item.objects.filter(request=req, kind="file").order_by("pk"), said, strict=True):
        Item.objects.filter(pk=item.pk).update(data=data)

    archive = _zip(services.package_build(actor=employee, request=req))

    manifest = json.loads(archive.read("manifest.json"))
    files = sorted((r for r in manifest["items"] if r["kind"] == "file"), key=lambda r: r["id"])
    data_path = files[0]["data_path"]
    assert {r["data_path"] for r in files} == {data_path}
    described = json.loads(archive.read(data_path))
    assert [(d["item_id"], d["file"], d["data"]) for d in described] == [
        (r["id"], r["path"], d) for r, d in zip(files, said, strict=True)
    ]
    rows = list(csv.DictReader(io.StringIO(archive.read(data_path.removesuffix(".json") + ".csv").decode())))
    assert [r["transcript"] for r in rows] == ["Ann sets timer 0", "Ann sets timer 1"]
    assert data_path in archive.read("summary.txt").decode()


def test_files_without_data_add_no_data_file(privacy_officer, employee):
    req = request_in_review(privacy_officer, employee, records=0, recordings=1)

    archive = _zip(services.package_build(actor=employee, request=req))

    assert not [n for n in archive.namelist() if n.startswith("data/")]
    assert "data_path" not in json.loads(archive.read("manifest.json"))["items"][0]


def test_a_value_that_looks_like_a_formula_is_not_one_in_the_csv(privacy_officer, employee):
    req = verified_request(privacy_officer, employee)
    collect(req, records=[(f"customer:{CUSTOMER}", "notes", {"note": '=HYPERLINK("http://evil")'})])
    package = services.package_build(actor=employee, request=in_review(req))
    text = _zip(package).read(next(n for n in _zip(package).namelist() if n.endswith(".csv"))).decode()
    assert "'=HYPERLINK" in text


def test_a_package_is_built_only_in_review(privacy_officer, employee):
    req = verified_request(privacy_officer, employee)
    with pytest.raises(Conflict, match="in review"):
        services.package_build(actor=employee, request=req)


def test_an_erasure_request_has_no_package(privacy_officer, employee):
    req = in_review(verified_request(privacy_officer, employee, type="erasure"))
    with pytest.raises(Conflict, match="without a package"):
        services.package_build(actor=employee, request=req)


def test_building_again_supersedes_and_deletes_the_previous_file(privacy_officer, employee):
    req = request_in_review(privacy_officer, employee)
    first = services.package_build(actor=employee, request=req)
    second = services.package_build(actor=employee, request=req)

    first.refresh_from_db()
    assert first.superseded_at
    assert first.purged_at
    assert not default_storage.exists(first.file.name)
    assert default_storage.exists(second.file.name)
    assert services.current(req) == second


def test_the_assembler_cannot_release_their_own_package(privacy_officer, employee):
    req = request_in_review(privacy_officer, employee)
    services.package_build(actor=employee, request=req)

    with pytest.raises(Forbidden, match="second person"):
        services.package_approve(actor=employee, request=req)
    req.refresh_from_db()
    assert req.status == Request.Status.REVIEW


def test_a_second_person_approves_once_and_the_request_is_ready(privacy_officer, employee):
    req = request_in_review(privacy_officer, employee)
    services.package_build(actor=employee, request=req)

    package = services.package_approve(actor=privacy_officer, request=req)

    req.refresh_from_db()
    assert package.approved_by == privacy_officer
    assert req.status == Request.Status.READY
    with pytest.raises(Conflict, match="already approved"):
        services.package_approve(actor=privacy_officer, request=req)


def test_approval_runs_the_guard_again(privacy_officer, employee):
    req = request_in_review(privacy_officer, employee)
    services.package_build(actor=employee, request=req)
    collect(req, records=[(f"customer:{OTHER_CUSTOMER}", "contacts", {"name": "Bea"})])

    with pytest.raises(guard.SubjectMismatch):
        services.package_approve(actor=privacy_officer, request=req)


def test_the_database_refuses_a_package_approved_by_its_builder(privacy_officer, employee):
    from django.db import IntegrityError, transaction

    req = request_in_review(privacy_officer, employee)
    package = services.package_build(actor=employee, request=req)
    with pytest.raises(IntegrityError), transaction.atomic():
        Package.objects.filter(pk=package.pk).update(approved_by=employee)


def test_someone_who_does_not_work_the_request_cannot_build(privacy_officer, employee, outsider):
    req = request_in_review(privacy_officer, employee)
    with pytest.raises(Forbidden):
        services.package_build(actor=outsider, request=req)

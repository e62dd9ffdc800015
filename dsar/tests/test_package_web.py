"""The package on the request page and in the API: what people see and do, and the queries it costs."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dsar.delivery import services as delivery
from dsar.erasure import services as erasure
from dsar.models import DeliveryLink, Download, Item, Package, Request, Task
from dsar.package import services
from dsar.tests.package_factories import OTHER_CUSTOMER, request_in_review, verified_request
from incidents.models import Incident
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_guard_answers_409_naming_the_foreign_recording(client_of, privacy_officer, employee):
    req = request_in_review(privacy_officer, employee, foreign=1)
    foreign = Item.objects.get(subject_identifier=f"customer:{OTHER_CUSTOMER}")

    response = client_of(employee).post(f"/api/dsar/{req.pk}/package", format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "subject_mismatch"
    assert f"Item {foreign.pk}" in body["errors"]["items"][0]
    assert f"customer:{OTHER_CUSTOMER}" in body["errors"]["items"][0]


def test_build_approve_and_send_through_the_api(client_of, privacy_officer, employee, mailoutbox):
    req = request_in_review(privacy_officer, employee)
    built = client_of(employee).post(f"/api/dsar/{req.pk}/package/")
    assert built.status_code == 201
    assert built.json()["item_count"] == 3
    assert built.json()["built_by"] == employee.username

    assert client_of(employee).post(f"/api/dsar/{req.pk}/package/approve").status_code == 403
    approved = client_of(privacy_officer).post(f"/api/dsar/{req.pk}/package/approve")
    assert approved.status_code == 200
    assert approved.json()["approved_by"] == privacy_officer.username
    assert client_of(privacy_officer).post(f"/api/dsar/{req.pk}/package/approve").status_code == 409

    sent = client_of(employee).post(f"/api/dsar/{req.pk}/package/send")
    assert sent.status_code == 201
    assert sent.json()["sent_to"] == req.email
    assert "token" not in sent.json()


def test_a_handler_of_another_request_gets_404(client_of, web_of, privacy_officer, employee, outsider):
    req = request_in_review(privacy_officer, outsider)
    assert client_of(employee).post(f"/api/dsar/{req.pk}/package").status_code == 404
    assert client_of(employee).get(f"/api/dsar/{req.pk}/package").status_code == 404
    assert web_of(employee).post(f"/dsar/{req.pk}/package/build/").status_code == 404
    assert web_of(employee).get(f"/dsar/{req.pk}/package/misdelivery/").status_code == 404


def test_the_request_page_lists_what_the_guard_stopped_and_offers_to_take_it_out(web_of, privacy_officer, employee):
    req = request_in_review(privacy_officer, employee, foreign=1)
    client = web_of(employee)

    response = client.post(f"/dsar/{req.pk}/package/build/", follow=True)

    page = response.content.decode()
    assert "The subject-match guard stops this package" in page
    assert f"customer:{OTHER_CUSTOMER}" in page
    assert "other-0.mp3" in page
    foreign = Item.objects.get(subject_identifier=f"customer:{OTHER_CUSTOMER}")
    client.post(f"/dsar/items/{foreign.pk}/discard/", {"reason": "Another customer's recording."})
    page = client.post(f"/dsar/{req.pk}/package/build/", follow=True).content.decode()
    assert "Package built: 3 items" in page
    assert "You built this package, so someone else approves it." in page


def test_the_assembler_cannot_approve_on_the_page_either(web_of, privacy_officer, employee):
    req = request_in_review(privacy_officer, employee)
    services.package_build(actor=employee, request=req)
    assert web_of(employee).post(f"/dsar/{req.pk}/package/approve/").status_code == 403


def test_misdelivery_asks_first_then_opens_the_incident(web_of, privacy_officer, employee):
    req = request_in_review(privacy_officer, employee)
    services.package_build(actor=employee, request=req)
    services.package_approve(actor=privacy_officer, request=req)
    delivery.package_send(actor=employee, request=req)
    client = web_of(employee)
    detail = client.get(f"/dsar/{req.pk}/").content.decode()
    assert "It reached the wrong person" in detail

    confirm = client.get(f"/dsar/{req.pk}/package/misdelivery/")
    assert "72-hour clock starts at once" in confirm.content.decode()
    refused = client.post(f"/dsar/{req.pk}/package/misdelivery/", {"note": ""})
    assert refused.status_code == 200
    assert not Incident.objects.exists()

    done = client.post(f"/dsar/{req.pk}/package/misdelivery/", {"note": "Went to the wrong Ann."})

    incident = Incident.objects.get()
    assert done["Location"] == f"/incidents/{incident.pk}/"
    assert incident.kind == "misdirected_delivery"


def _count(client, url: str) -> int:
    client.get(url)  # warm the process-wide caches (content types, permission ids) first
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _grow_sent(req, employee, n: int) -> None:
    """``n`` more foreign items, links and downloads on a delivered request (rows the page could loop over)."""
    package = services.current(req)
    task = req.tasks.first()
    Item.objects.bulk_create(
        Item(request=req, task=task, asset=task.asset, subject_identifier=f"customer:X{i}", source="s", kind="record")
        for i in range(n)
    )
    start = DeliveryLink.objects.count()
    links = DeliveryLink.objects.bulk_create(
        DeliveryLink(
            package=package,
            token_hash=f"{start + i:064d}",
            sent_to=req.email,
            sent_by=employee,
            expires_at=timezone.now(),
            revoked_at=timezone.now(),
            revoked_by=employee,
        )
        for i in range(n)
    )
    Download.objects.bulk_create(Download(link=link, address="198.51.100.1", client="UA") for link in links)


@pytest.mark.parametrize("status", ["review", "delivered"])
def test_the_request_page_with_the_package_uses_the_same_queries_for_10_and_1000_rows(
    web_of, privacy_officer, employee, status
):
    req = request_in_review(privacy_officer, employee)
    services.package_build(actor=employee, request=req)
    services.package_approve(actor=privacy_officer, request=req)
    delivery.package_send(actor=employee, request=req)
    Request.objects.filter(pk=req.pk).update(status=status)  # review: the guard's list is shown too
    client = web_of(employee)

    _grow_sent(req, employee, 10)
    small = _count(client, f"/dsar/{req.pk}/")
    _grow_sent(req, employee, 990)
    assert _count(client, f"/dsar/{req.pk}/") == small


def test_the_erasure_pages_use_the_same_queries_for_10_and_1000_tasks(web_of, client_of, privacy_officer, reviewer):
    def grow(n: int) -> None:
        assets = [DataAssetFactory(reviewers=[reviewer]) for _ in range(3)]
        for _ in range(n // 3 + 1):
            req = verified_request(privacy_officer, type="erasure")
            Task.objects.bulk_create(
                Task(request=req, asset=a, kind=Task.Kind.ERASE, method=Task.Method.MANUAL) for a in assets
            )

    grow(10)
    web, api = web_of(reviewer), client_of(reviewer)
    small_page, small_api = _count(web, "/dsar/erasure/"), _count(api, "/api/dsar/erasure-tasks")
    grow(990)
    assert _count(web, "/dsar/erasure/") == small_page
    assert _count(api, "/api/dsar/erasure-tasks") == small_api


def test_a_reviewer_confirms_on_the_task_page(web_of, privacy_officer, employee, reviewer, asset):
    req = verified_request(privacy_officer, employee, type="erasure")
    erasure.erasure_start(actor=employee, request=req)
    task = Task.objects.get(request=req, asset=asset, kind=Task.Kind.ERASE)
    client = web_of(reviewer)
    page = client.get(f"/dsar/erasure/{task.pk}/").content.decode()
    assert "Confirm: I erased it" in page
    assert "ann@example.com" in page

    done = client.post(f"/dsar/erasure/{task.pk}/confirm/", follow=True)

    assert "you erased the subject" in done.content.decode()
    task.refresh_from_db()
    assert task.status == Task.Status.DONE
    assert web_of(UserFactory(username="nobody")).get(f"/dsar/erasure/{task.pk}/").status_code == 404


def test_the_dashboard_tells_a_reviewer_an_erasure_waits(web_of, privacy_officer, employee, reviewer, asset):
    assert "Erasures to confirm" not in web_of(reviewer).get("/").content.decode()
    req = verified_request(privacy_officer, employee, type="erasure")
    erasure.erasure_start(actor=employee, request=req)
    assert "Erasures to confirm" in web_of(reviewer).get("/").content.decode()


def test_staff_see_packages_in_the_admin_and_revoke_links_through_the_service(web_of, privacy_officer, employee):
    owner = UserFactory(username="root", is_staff=True, is_superuser=True)
    req = request_in_review(privacy_officer, employee)
    package = services.package_build(actor=employee, request=req)
    services.package_approve(actor=privacy_officer, request=req)
    delivery.package_send(actor=employee, request=req)
    client = web_of(owner)

    page = client.get(f"/admin/dsar/package/{package.pk}/change/")
    assert page.status_code == 200
    assert "token_hash" not in page.content.decode()
    assert client.get("/admin/dsar/deliverylink/").status_code == 200
    assert client.post(f"/admin/dsar/package/{package.pk}/delete/").status_code == 403
    client.post("/admin/dsar/package/", {"action": "revoke_links", "_selected_action": [package.pk]})
    assert DeliveryLink.objects.get().revoked_at is not None


def _manifest_reads(queries) -> list[str]:
    return [q["sql"] for q in queries if "manifest" in q["sql"]]


def test_the_request_page_and_the_api_read_the_same_data_for_a_package_of_10_and_of_2000_items(
    monkeypatch, web_of, client_of, privacy_officer, employee
):
    # Both packages are written inside the request that asks, so the two differ only in size.
    monkeypatch.setattr(services, "INLINE_MAX_ITEMS", 10_000)
    measured = {}
    for n in (10, 2000):
        req = request_in_review(privacy_officer, employee, records=n, recordings=1)
        package = services.package_build(actor=employee, request=req)
        assert package.item_count == n + 1
        web, api = web_of(employee), client_of(employee)
        web.get(f"/dsar/{req.pk}/")  # warm the process-wide caches (content types, permission ids)

        with CaptureQueriesContext(connection) as page_queries:
            page = web.get(f"/dsar/{req.pk}/")
        with CaptureQueriesContext(connection) as api_queries:
            body = api.get(f"/api/dsar/{req.pk}/package").json()

        # What the package holds, per system and source, still shows: from the summary stored at the build.
        assert f"<td>contacts</td><td>{n}</td><td>0</td>" in page.content.decode()
        assert "<td>recordings</td><td>0</td><td>1</td>" in page.content.decode()
        assert {(s["source"], s["records"], s["files"]) for s in body["sources"]} == {
            ("contacts", n, 0),
            ("recordings", 0, 1),
        }
        assert body["item_count"] == n + 1
        # Neither reads the manifest, a row per item (megabytes at 10,000).
        assert _manifest_reads(page_queries) == []
        assert _manifest_reads(api_queries) == []
        measured[n] = (len(page_queries), len(api_queries))
    assert measured[10] == measured[2000]


def test_the_misdelivery_page_and_the_admin_leave_the_manifest_unread(web_of, privacy_officer, employee):
    req = request_in_review(privacy_officer, employee)
    package = services.package_build(actor=employee, request=req)
    services.package_approve(actor=privacy_officer, request=req)
    delivery.package_send(actor=employee, request=req)
    admin = web_of(UserFactory(is_staff=True, is_superuser=True))
    web = web_of(employee)

    with CaptureQueriesContext(connection) as queries:
        assert web.get(f"/dsar/{req.pk}/package/misdelivery/").status_code == 200
        assert admin.get("/admin/dsar/package/").status_code == 200
        change = admin.get(f"/admin/dsar/package/{package.pk}/change/")

    assert _manifest_reads(queries) == []
    assert "recordings: 0 records, 1 files" in change.content.decode()


def test_packages_built_before_the_summary_column_get_it_from_their_manifest(privacy_officer, employee):
    migration = importlib.import_module("dsar.migrations.0011_package_sources")
    package = services.package_build(actor=employee, request=request_in_review(privacy_officer, employee))
    Package.objects.filter(pk=package.pk).update(sources=[])

    migration.copy_sources(apps, None)

    package.refresh_from_db()
    assert package.sources == package.manifest["sources"]
    assert {s["source"] for s in package.sources} == {"contacts", "recordings"}

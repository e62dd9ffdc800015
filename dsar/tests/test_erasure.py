"""Erasure: a task per asset, confirmed by that asset's reviewer, legal holds as exceptions, a record mailed."""

from __future__ import annotations

import pytest

from dsar.connectors import base
from dsar.connectors.base import ErasureResult
from dsar.erasure import services
from dsar.models import ErasureRecord, Request, Task
from dsar.tests.package_factories import EMAIL, verified_request
from portal.errors import Conflict, Forbidden, ValidationError
from portal.models import AuditEvent
from portal.tests.factories import DataAssetFactory

pytestmark = pytest.mark.django_db

ERASED: list = []


class CrmConnector:
    """A data system outside the portal: erasing records what it was asked."""

    def collect(self, subject):
        return iter(())

    def erase(self, subject):
        ERASED.append(subject)
        return ErasureResult(counts={"contacts": 1, "orders": 4})


def crm_connector_for(asset):
    return CrmConnector() if asset.name == "CRM" else None


@pytest.fixture
def systems(reviewer, second_reviewer, monkeypatch):
    monkeypatch.setattr(base, "FACTORIES", ["dsar.tests.test_erasure.crm_connector_for"])
    ERASED.clear()
    crm = DataAssetFactory(name="CRM", reviewers=[reviewer])
    recordings = DataAssetFactory(name="Call recordings", reviewers=[second_reviewer])
    DataAssetFactory(name="Canteen menu", holds_personal_data=False)
    return crm, recordings


@pytest.fixture
def erasure_request(privacy_officer, employee, systems):
    return verified_request(privacy_officer, employee, type="erasure")


def _task(req, name) -> Task:
    return Task.objects.get(request=req, kind=Task.Kind.ERASE, asset__name=name)


def test_start_makes_a_task_per_asset_holding_personal_data_and_asks_its_reviewers(
    erasure_request, employee, reviewer, second_reviewer, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        tasks = services.erasure_start(actor=employee, request=erasure_request)

    assert sorted((t.asset.name, t.method) for t in tasks) == [("CRM", "connector"), ("Call recordings", "manual")]
    assert sorted(m.to[0] for m in mailoutbox) == sorted([reviewer.email, second_reviewer.email])
    erasure_request.refresh_from_db()
    assert erasure_request.status == Request.Status.REVIEW
    with pytest.raises(Conflict, match="already started"):
        services.erasure_start(actor=employee, request=erasure_request)


def test_only_the_assets_reviewer_confirms(erasure_request, employee, second_reviewer, reviewer):
    services.erasure_start(actor=employee, request=erasure_request)
    crm = _task(erasure_request, "CRM")
    for who in (employee, second_reviewer):
        with pytest.raises(Forbidden, match="reviewer of CRM"):
            services.erasure_confirm(actor=who, task=crm)


def test_confirming_a_connector_task_runs_its_erase(
    erasure_request, employee, reviewer, django_capture_on_commit_callbacks
):
    services.erasure_start(actor=employee, request=erasure_request)
    with django_capture_on_commit_callbacks(execute=True):
        services.erasure_confirm(actor=reviewer, task=_task(erasure_request, "CRM"))

    task = _task(erasure_request, "CRM")
    assert task.status == Task.Status.DONE
    assert task.found == 5
    assert task.confirmed_by == reviewer
    assert [base.Subject(email=EMAIL, customer_id=erasure_request.customer_id)] == ERASED
    event = AuditEvent.objects.get(action="dsar.erasure.erased")
    assert event.details["counts"] == {"contacts": 1, "orders": 4}


def test_a_failing_connector_leaves_the_task_failed_for_a_second_try(
    erasure_request, employee, reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    services.erasure_start(actor=employee, request=erasure_request)

    def broken(self, subject):
        raise base.ConnectorError("CRM unreachable")

    monkeypatch.setattr(CrmConnector, "erase", broken)
    with django_capture_on_commit_callbacks(execute=True):
        services.erasure_confirm(actor=reviewer, task=_task(erasure_request, "CRM"))
    task = _task(erasure_request, "CRM")
    assert task.status == Task.Status.FAILED
    assert "unreachable" in task.error

    monkeypatch.undo()
    monkeypatch.setattr(base, "FACTORIES", ["dsar.tests.test_erasure.crm_connector_for"])
    with django_capture_on_commit_callbacks(execute=True):
        services.erasure_confirm(actor=reviewer, task=task)
    assert _task(erasure_request, "CRM").status == Task.Status.DONE


def test_a_legal_hold_is_an_exception_with_its_reason(erasure_request, employee, second_reviewer):
    services.erasure_start(actor=employee, request=erasure_request)
    task = _task(erasure_request, "Call recordings")
    with pytest.raises(ValidationError) as refused:
        services.erasure_hold(actor=second_reviewer, task=task, reason=" ")
    assert refused.value.fields == {"reason": ["Give the legal reason to keep it."]}

    services.erasure_hold(actor=second_reviewer, task=task, reason="Disputed sale: kept until the claim ends.")

    task.refresh_from_db()
    assert task.status == Task.Status.EXCEPTION
    assert task.hold_reason.startswith("Disputed sale")
    with pytest.raises(Conflict):
        services.erasure_confirm(actor=second_reviewer, task=task)


def test_completion_waits_for_every_asset_then_mails_the_record(
    erasure_request, employee, reviewer, second_reviewer, django_capture_on_commit_callbacks, mailoutbox
):
    services.erasure_start(actor=employee, request=erasure_request)
    with django_capture_on_commit_callbacks(execute=True):
        services.erasure_confirm(actor=reviewer, task=_task(erasure_request, "CRM"))
    with pytest.raises(Conflict, match="Call recordings"):
        services.erasure_complete(actor=employee, request=erasure_request)
    services.erasure_hold(actor=second_reviewer, task=_task(erasure_request, "Call recordings"), reason="Fraud case")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        record = services.erasure_complete(actor=employee, request=erasure_request)

    assert record.systems == [
        {"system": "CRM", "outcome": "erased", "reason": "", "erased": 5},
        {"system": "Call recordings", "outcome": "kept", "reason": "Fraud case", "erased": 0},
    ]
    assert [m.to for m in mailoutbox] == [[EMAIL]]
    assert "CRM: erased (5 records)" in mailoutbox[0].body
    assert "kept, because Fraud case" in mailoutbox[0].body
    erasure_request.refresh_from_db()
    assert erasure_request.status == Request.Status.DELIVERED
    assert ErasureRecord.objects.filter(request=erasure_request).exists()


def test_an_asset_without_a_reviewer_is_confirmed_by_a_privacy_officer(erasure_request, employee, privacy_officer):
    orphan = DataAssetFactory(name="Old newsletter list")
    services.erasure_start(actor=employee, request=erasure_request)
    task = Task.objects.get(request=erasure_request, asset=orphan)
    with pytest.raises(Forbidden):
        services.erasure_confirm(actor=employee, task=task)
    services.erasure_confirm(actor=privacy_officer, task=task)
    task.refresh_from_db()
    assert task.status == Task.Status.DONE


def test_an_access_request_is_not_erased(privacy_officer, employee, systems):
    req = verified_request(privacy_officer, employee)
    with pytest.raises(Conflict, match="erasure request"):
        services.erasure_start(actor=employee, request=req)


def test_reviewers_see_the_tasks_of_their_assets_only(erasure_request, employee, reviewer, second_reviewer, outsider):
    services.erasure_start(actor=employee, request=erasure_request)
    assert [t.asset.name for t in services.erasure_tasks(user=reviewer)] == ["CRM"]
    assert [t.asset.name for t in services.erasure_tasks(user=second_reviewer)] == ["Call recordings"]
    assert not services.erasure_tasks(user=outsider).exists()
    assert services.erasure_tasks(user=employee).count() == 2  # the handler sees the request's tasks

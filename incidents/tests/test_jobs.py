"""The clock warnings: 24 and 6 hours before a deadline, to handlers and privacy officers, once each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django_celery_beat.models import PeriodicTask

from incidents import services
from incidents.jobs import obligations_warn_due
from incidents.tests.factories import assess, make_incident
from portal.models import AuditEvent
from portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_handlers_and_officers_are_warned_24_then_6_hours_before_and_never_twice(
    employee, privacy_officer, django_capture_on_commit_callbacks
):
    handler = UserFactory(username="hank")
    incident = make_incident(employee, aware_hours_ago=0)
    services.incident_assign_handler(actor=privacy_officer, incident=incident, handler=handler)
    assess(privacy_officer, incident, risk="risk")
    due = incident.obligations.get().due_at
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert obligations_warn_due(now=due - timedelta(hours=30)) == 0
        assert obligations_warn_due(now=due - timedelta(hours=23)) == 1
        assert obligations_warn_due(now=due - timedelta(hours=22)) == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([handler.email, privacy_officer.email])
    assert "24 hours left" in mail.outbox[0].subject

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert obligations_warn_due(now=due - timedelta(hours=5)) == 1
        assert obligations_warn_due(now=due - timedelta(hours=4)) == 0
    assert len(mail.outbox) == 2
    assert "6 hours left" in mail.outbox[0].subject
    assert AuditEvent.objects.filter(action="incidents.obligation.clock_warned").count() == 2


def test_an_obligation_already_inside_6_hours_gets_only_that_warning_and_met_ones_none(employee, privacy_officer):
    incident = make_incident(employee, aware_hours_ago=0)
    assess(privacy_officer, incident, risk="risk")
    obligation = incident.obligations.get()

    assert obligations_warn_due(now=obligation.due_at - timedelta(hours=2)) == 1
    obligation.refresh_from_db()
    assert obligation.warned_6h_at is not None
    assert obligation.warned_24h_at is None

    other = make_incident(employee, aware_hours_ago=0)
    assess(privacy_officer, other, risk="risk")
    services.regulator_notification_record(
        actor=privacy_officer, incident=other, authority="CNIL", submitted_at=other.aware_at
    )
    assert obligations_warn_due(now=other.aware_at + timedelta(hours=70)) == 0


def test_the_warning_job_is_scheduled():
    assert PeriodicTask.objects.filter(task="incidents.tasks.warn_obligation_clocks_task").exists()

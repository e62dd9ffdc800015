"""References taken at the same moment by many reporters, each on its own connection (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from incidents.models import Incident, ReferenceCounter
from incidents.tests.factories import make_incident
from portal.tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")


@pytest.mark.parametrize("counter_exists", [False, True], ids=["first-of-the-year", "later"])
def test_concurrent_reports_get_distinct_consecutive_references(counter_exists):
    year = timezone.localtime().year
    if counter_exists:
        ReferenceCounter.objects.create(year=year, last=41)
    reporters = [UserFactory(username=f"reporter{i}") for i in range(8)]
    start = threading.Barrier(len(reporters))
    errors: list[Exception] = []

    def report(user):
        try:
            start.wait(timeout=10)
            make_incident(user)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=report, args=(u,)) for u in reporters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors
    first = 42 if counter_exists else 1
    references = sorted(Incident.objects.values_list("reference", flat=True))
    assert references == [f"INC-{year}-{n:04d}" for n in range(first, first + 8)]

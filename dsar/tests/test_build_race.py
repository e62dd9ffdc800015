"""Two builds racing on one request, each on its own connection (PostgreSQL): one starts, the other is a 409."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connections

from dsar.models import Package
from dsar.package import services
from dsar.package.tasks import build_package_task
from dsar.tests.package_factories import request_in_review
from portal.errors import Conflict
from portal.models import AuditEvent
from portal.testing import make_user

# Skipped at collection, not in a fixture: on SQLite the serialized reload would run first and collide.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="concurrent connections need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_racing_builds_start_one_and_refuse_the_other(monkeypatch):
    monkeypatch.setattr(services, "INLINE_MAX_ITEMS", 0)  # both go to the task: the race is in the request
    enqueued: list[dict] = []
    # The broker is outside: recorded, not run, so the refusal meets the package still building.
    monkeypatch.setattr(build_package_task, "delay", lambda **kwargs: enqueued.append(kwargs))
    officer, handler = make_user("privacy_officer"), make_user("employee")
    req = request_in_review(officer, handler)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def build(actor):
        try:
            start.wait(timeout=10)
            services.package_build(actor=actor, request=req)
            outcomes.append("started")
        except Conflict as refused:
            outcomes.append("refused" if "already being built" in refused.message else refused.message)
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=build, args=(actor,)) for actor in (handler, officer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["refused", "started"]
    assert Package.objects.filter(request=req).count() == 1
    assert enqueued == [{"package_id": Package.objects.get(request=req).pk}]
    assert AuditEvent.objects.filter(action="dsar.package.build_started", target_id=str(req.pk)).count() == 1

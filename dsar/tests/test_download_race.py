"""Downloads racing on one link, each on its own connection (PostgreSQL): never more than three."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connections

from dsar.delivery import services as delivery
from dsar.models import DeliveryLink, Download
from dsar.package import services
from dsar.tests.package_factories import request_in_review
from portal.errors import Gone
from portal.testing import make_user

# Skipped at collection, not in a fixture: on SQLite the serialized reload would run first and collide.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="concurrent connections need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_eight_racing_downloads_take_three_and_the_rest_are_gone():
    officer, handler = make_user("privacy_officer"), make_user("employee")
    req = request_in_review(officer, handler)
    services.package_build(actor=handler, request=req)
    services.package_approve(actor=officer, request=req)
    token = delivery.package_send(actor=handler, request=req).token
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def download(i):
        try:
            start.wait(timeout=10)
            _, handle = delivery.download_take(token=token, address=f"192.0.2.{i}", client="racer")
            handle.close()
            outcomes.append("ok")
        except Gone:
            outcomes.append("gone")
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=download, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["gone"] * 5 + ["ok"] * 3
    assert DeliveryLink.objects.get().downloads == 3
    assert Download.objects.count() == 3

"""The grant admin's bulk revoke calls one service in one transaction: every selected grant, or none."""

from __future__ import annotations

import pytest

from access.models import Grant
from access.tests.factories import make_grant
from portal import audit, permissions
from portal.models import AuditEvent
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_web(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def three(employee):
    assets = DataAssetFactory.create_batch(3)
    return [make_grant(employee, a) for a in assets]


def revoke(web, grants, reason="Team disbanded on 30 November."):
    return web.post(
        "/admin/access/grant/",
        {"action": "revoke_selected", "_selected_action": [g.pk for g in grants], "apply": "1", "reason": reason},
    )


def test_revoke_selected_revokes_every_selected_grant(admin_web, employee, three):
    mark = AuditEvent.objects.count()

    response = revoke(admin_web, three)

    assert response.status_code == 302
    assert set(Grant.objects.values_list("status", flat=True)) == {"revoked"}
    assert not any(permissions.has(employee, "portal.use_dataasset", g.asset) for g in three)
    assert AuditEvent.objects.filter(action="access.grant.revoked").count() == 3
    assert AuditEvent.objects.count() == mark + 3
    assert audit.verify() is None


def test_one_grant_that_cannot_be_revoked_stops_the_whole_batch(admin_web, employee, three):
    # The middle one ended a moment ago (another admin, the expiry sweep): the batch fails half-way through.
    Grant.objects.filter(pk=three[1].pk).update(status=Grant.Status.EXPIRED)
    mark = AuditEvent.objects.count()

    response = revoke(admin_web, three)

    assert response.status_code == 200
    assert "nothing was revoked" in response.content.decode()
    statuses = dict(Grant.objects.values_list("pk", "status"))
    assert (statuses[three[0].pk], statuses[three[2].pk]) == ("active", "active")
    assert permissions.has(employee, "portal.use_dataasset", three[0].asset)
    assert AuditEvent.objects.count() == mark


def test_revoke_selected_asks_for_a_reason_first(admin_web, three):
    response = revoke(admin_web, three, reason="")
    assert response.status_code == 200
    assert set(Grant.objects.values_list("status", flat=True)) == {"active"}


def test_the_bulk_service_refuses_all_when_the_actor_may_not_revoke_one(reviewer, asset, employee):
    from access import services
    from portal.errors import Forbidden

    reviewed = make_grant(employee, asset)  # rita reviews this asset
    elsewhere = make_grant(employee, DataAssetFactory(name="Order history"))

    with pytest.raises(Forbidden):
        services.grants_revoke_many(actor=reviewer, grants=[reviewed, elsewhere], reason="Not needed any more.")

    assert set(Grant.objects.values_list("status", flat=True)) == {"active"}

"""The access pages use the same number of queries at 10 and at 1,000 rows.

Rows are bulk-created (a service call per row would take minutes); each
active grant gets the guardian permission it carries, as the services do.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from access.models import SCOPE_PERMISSION, AccessRequest, Decision, Grant
from access.tests.factories import JUSTIFICATION
from portal import permissions
from portal.models import DataAsset
from portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def bulk_assets(n, prefix, sensitivity="confidential", reviewer=None):
    assets = DataAsset.objects.bulk_create(
        DataAsset(name=f"{prefix} {i}", sensitivity=sensitivity, max_grant_days=90) for i in range(n)
    )
    if reviewer is not None:
        permissions.assign_many(DataAsset, [(reviewer.pk, a.pk, "portal.review_dataasset") for a in assets])
    return assets


def bulk_requests(requester, assets, *, approved_by=None, required=1):
    now = timezone.now()
    reqs = AccessRequest.objects.bulk_create(
        AccessRequest(
            requester=requester,
            asset=a,
            scope="use",
            justification=JUSTIFICATION,
            duration_days=30,
            required_approvals=required,
            created_at=now - timedelta(hours=i),
        )
        for i, a in enumerate(assets)
    )
    if approved_by is not None:
        Decision.objects.bulk_create(
            Decision(request=r, reviewer=approved_by, outcome="approve", created_at=now) for r in reqs
        )
    return reqs


def bulk_grants(user, assets, *, origin="request", days=30):
    """Active grants with their guardian permissions, as ``grant_issue`` leaves them."""
    now = timezone.now()
    grants = Grant.objects.bulk_create(
        Grant(
            user=user,
            asset=a,
            scope="use",
            origin=origin,
            justification=JUSTIFICATION,
            granted_at=now,
            expires_at=now + (timedelta(hours=4) if origin == "break_glass" else timedelta(days=days + i)),
            review_due_at=now + timedelta(hours=24) if origin == "break_glass" else None,
        )
        for i, a in enumerate(assets)
    )
    permissions.assign_many(DataAsset, [(user.pk, a.pk, SCOPE_PERMISSION["use"]) for a in assets])
    return grants


def warm(web, path):
    """One request first, so process-wide caches (content types) are filled as in a running server."""
    assert web.get(path).status_code == 200
    return web


@pytest.fixture
def asker(db):
    return UserFactory(username="eli")


@pytest.mark.parametrize("n", [10, 1000])
def test_the_dashboard_queries_do_not_grow(web_of, reviewer, second_reviewer, asker, n, django_assert_num_queries):
    reviewed = bulk_assets(n, "Reviewed", sensitivity="restricted", reviewer=reviewer)
    bulk_requests(asker, reviewed, approved_by=second_reviewer, required=2)  # n to decide, "1 of 2"
    bulk_grants(asker, reviewed, origin="break_glass")  # n break-glass uses to review
    own = bulk_assets(n, "Own")
    bulk_requests(reviewer, own, approved_by=second_reviewer, required=2)  # n of their own waiting
    bulk_grants(reviewer, own)  # n of their own grants
    web = warm(web_of(reviewer), "/")

    # session, user; "reviews anything": user perms, group perms, a reviewed asset exists;
    # waiting: first requests, their decisions, count, first break-glass uses, count;
    # pending: first requests, their decisions, count; access: first grants, count;
    # open review items of campaigns; erasures waiting for the reviewer (dsar); open notification clocks of
    # incidents they handle (none); role groups (context processor)
    with django_assert_num_queries(19):
        response = web.get("/")
    assert response.status_code == 200
    panels = {p["template"]: p for p in response.context["panels"]}
    assert panels["access/panels/waiting.html"]["total"] == 2 * n
    assert panels["access/panels/my_pending.html"]["total"] == n
    assert panels["access/panels/my_access.html"]["total"] == n


@pytest.mark.parametrize("n", [10, 1000])
def test_the_review_queue_queries_do_not_grow(web_of, reviewer, second_reviewer, asker, n, django_assert_num_queries):
    reviewed = bulk_assets(n, "Reviewed", sensitivity="restricted", reviewer=reviewer)
    bulk_requests(asker, reviewed, approved_by=second_reviewer, required=2)
    bulk_grants(asker, reviewed, origin="break_glass")
    web = warm(web_of(reviewer), "/access/review/")

    # session, user, user perms, group perms (decide/review roles); requests: count, page, decisions,
    # their reviewers, the assets' reviewers (who is awaited); break-glass: count, page; role groups;
    # nav: a reviewed asset exists
    with django_assert_num_queries(13):
        response = web.get("/access/review/")
    assert response.status_code == 200
    assert len(response.context["requests"]) == min(n, 50)
    assert response.context["uses"].paginator.count == n


@pytest.mark.parametrize("n", [10, 1000])
def test_my_requests_queries_do_not_grow(web_of, asker, reviewer, n, django_assert_num_queries):
    bulk_requests(asker, bulk_assets(n, "Asset", sensitivity="restricted"), approved_by=reviewer, required=2)
    web = warm(web_of(asker), "/access/requests/?status=pending")

    # session, user, user perms, group perms (view role); count, page, decisions, their reviewers,
    # the assets' reviewers; nav: a reviewed asset exists; role groups
    with django_assert_num_queries(11):
        response = web.get("/access/requests/?status=pending")
    assert response.status_code == 200
    assert len(response.context["requests"]) == min(n, 50)


@pytest.mark.parametrize("n", [10, 1000])
def test_all_requests_queries_do_not_grow_for_an_auditor(
    web_of, auditor, asker, reviewer, n, django_assert_num_queries
):
    bulk_requests(asker, bulk_assets(n, "Asset"), approved_by=reviewer)
    web = warm(web_of(auditor), "/access/requests/")

    # session, user, user perms, group perms; count, page, decisions, their reviewers, the assets' reviewers;
    # role groups; nav: a reviewed asset exists
    with django_assert_num_queries(11):
        response = web.get("/access/requests/")
    assert len(response.context["requests"]) == min(n, 50)


@pytest.mark.parametrize("n", [10, 1000])
def test_my_grants_queries_do_not_grow(web_of, asker, n, django_assert_num_queries):
    bulk_grants(asker, bulk_assets(n, "Asset"))
    web = warm(web_of(asker), "/access/grants/?user=me&status=active")

    # session, user, user perms, group perms (view role); count, page; nav: a reviewed asset exists; role groups
    with django_assert_num_queries(8):
        response = web.get("/access/grants/?user=me&status=active")
    assert response.status_code == 200
    assert len(response.context["grants"]) == min(n, 50)

"""The admin changelists of grants, access requests and audit events query as much at 1,000 rows as at 10:
``list_select_related`` joins what ``list_display`` shows, and nothing there reads a row's relations."""

from __future__ import annotations

import pytest

from access.tests.test_web_queries import bulk_assets, bulk_grants, bulk_requests
from portal import audit
from portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def _changelist(root, url: str, n: int, django_assert_num_queries, expected: int):
    assert root.get(url).status_code == 200  # warm process-wide caches (content types)
    with django_assert_num_queries(expected):
        response = root.get(url)
    assert response.status_code == 200
    changelist = response.context["cl"]
    assert (changelist.result_count, len(changelist.result_list)) == (n, min(n, changelist.list_per_page))


@pytest.mark.parametrize("n", [10, 1000])
def test_the_grant_changelist_queries_do_not_grow(root, reviewer, n, django_assert_num_queries):
    bulk_grants(UserFactory(username="eli"), bulk_assets(n, "Asset", reviewer=reviewer))

    # session, user; count (once: show_full_result_count off), page (user and asset joined); role groups
    # (context processor); date hierarchy: first and last, the days
    _changelist(root, "/admin/access/grant/", n, django_assert_num_queries, 7)


@pytest.mark.parametrize("n", [10, 1000])
def test_the_access_request_changelist_queries_do_not_grow(root, reviewer, n, django_assert_num_queries):
    bulk_requests(UserFactory(username="eli"), bulk_assets(n, "Asset"), approved_by=reviewer)

    # session, user; count, page (requester and asset joined); role groups; date hierarchy: first and last, the days
    _changelist(root, "/admin/access/accessrequest/", n, django_assert_num_queries, 7)


@pytest.mark.parametrize("n", [10, 1000])
def test_the_audit_event_changelist_queries_do_not_grow(root, n, django_assert_num_queries):
    user = UserFactory(username="eli")
    audit.record_many(actor=user, entries=[audit.Entry("portal.user.updated", user) for _ in range(n)])

    # session, user; count, page; role groups; date hierarchy: first and last, the days; list filters:
    # the distinct actions, the distinct target types
    _changelist(root, "/admin/portal/auditevent/", n, django_assert_num_queries, 9)

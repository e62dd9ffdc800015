"""Reads of access/: every list is narrowed to what the user may see.

A user sees their own requests and grants; a reviewer also sees those on the
assets they review; access admins, privacy officers and auditors see all
(their role's global ``view_*`` permission).
"""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from access.models import REVIEWER_ONLY, AccessRequest, Decision, Grant, Scope
from portal import permissions
from portal.params import BoolFilter
from portal.selectors import IdFilter, assets_reviewable_by, is_id


def _reviewed_assets(user) -> QuerySet:
    return assets_reviewable_by(user).values("pk")


def _visible(user, qs: QuerySet, view_perm: str, owner_field: str) -> QuerySet:
    if not user.is_authenticated:
        return qs.none()
    if permissions.has(user, view_perm):
        return qs
    return qs.filter(Q(**{owner_field: user}) | Q(asset__in=_reviewed_assets(user)))


# --- Requests ---------------------------------------------------------------


def decidable_by(user, qs: QuerySet[AccessRequest]) -> QuerySet[AccessRequest]:
    """Pending requests ``user`` may still decide: not their own, not already decided by them."""
    may = Q(asset__in=_reviewed_assets(user))
    if permissions.has(user, "access.decide_accessrequest"):
        may |= ~Q(asset__sensitivity__in=REVIEWER_ONLY)
    already = Decision.objects.filter(request=OuterRef("pk"), reviewer=user)
    return qs.filter(may, status=AccessRequest.Status.PENDING).exclude(requester=user).exclude(Exists(already))


class RequestFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=AccessRequest.Status.choices)
    scope = django_filters.ChoiceFilter(choices=Scope.choices)
    asset = IdFilter(field_name="asset_id")
    # BoolFilter: the spec's ``?reviewable=1`` (django-filter's default reads "1" as "unknown").
    mine = BoolFilter(method="filter_mine", label="Only my requests")
    reviewable = BoolFilter(method="filter_reviewable", label="Only requests I may decide")

    class Meta:
        model = AccessRequest
        fields = ["status", "scope", "asset", "mine", "reviewable"]

    def filter_mine(self, qs, name, value):
        return qs.filter(requester=self.request.user) if value else qs

    def filter_reviewable(self, qs, name, value):
        return decidable_by(self.request.user, qs) if value else qs


def request_list(*, user, filters=None) -> QuerySet[AccessRequest]:
    qs = _visible(user, AccessRequest.objects.all(), "access.view_accessrequest", "requester")
    qs = qs.select_related("requester", "asset").prefetch_related("decisions__reviewer")
    return RequestFilter(filters or {}, queryset=qs, request=_Req(user)).qs


def request_get(*, user, pk) -> AccessRequest:
    qs = _visible(user, AccessRequest.objects.all(), "access.view_accessrequest", "requester")
    return permissions.get_visible(
        qs.select_related("requester", "asset", "grant").prefetch_related("decisions__reviewer"), pk
    )


def review_queue(*, user) -> QuerySet[AccessRequest]:
    """What waits for this reviewer, oldest first."""
    qs = AccessRequest.objects.select_related("requester", "asset").prefetch_related("decisions__reviewer")
    return decidable_by(user, qs).order_by("created_at", "pk")


# --- Grants -----------------------------------------------------------------


class GrantFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(method="filter_user", label="User id, or 'me'")
    status = django_filters.ChoiceFilter(choices=Grant.Status.choices, method="filter_status")
    scope = django_filters.ChoiceFilter(choices=Scope.choices)
    origin = django_filters.ChoiceFilter(choices=Grant.Origin.choices)
    asset = IdFilter(field_name="asset_id")
    awaiting_review = BoolFilter(method="filter_awaiting_review")

    class Meta:
        model = Grant
        fields = ["user", "status", "scope", "origin", "asset", "awaiting_review"]

    def filter_user(self, qs, name, value):
        if value == "me":
            return qs.filter(user=self.request.user)
        return qs.filter(user_id=int(value)) if is_id(value) else qs.none()

    def filter_status(self, qs, name, value):
        # A grant past its expiry is expired to every reader, whether or not the sweep has run.
        now = timezone.now()
        if value == Grant.Status.ACTIVE:
            return qs.filter(status=value, expires_at__gt=now)
        if value == Grant.Status.EXPIRED:
            return qs.filter(Q(status=value) | Q(status=Grant.Status.ACTIVE, expires_at__lte=now))
        return qs.filter(status=value)

    def filter_awaiting_review(self, qs, name, value):
        awaiting = Q(origin=Grant.Origin.BREAK_GLASS, reviewed_at__isnull=True)
        return qs.filter(awaiting) if value else qs.exclude(awaiting)


class _Req:
    """django-filter reads ``request.user``; selectors are called with a user, not a request."""

    def __init__(self, user):
        self.user = user


def grant_list(*, user, filters=None) -> QuerySet[Grant]:
    qs = _visible(user, Grant.objects.all(), "access.view_grant", "user")
    qs = qs.select_related("user", "asset", "revoked_by", "reviewed_by")
    return GrantFilter(filters or {}, queryset=qs, request=_Req(user)).qs


def grant_get(*, user, pk) -> Grant:
    qs = _visible(user, Grant.objects.all(), "access.view_grant", "user")
    return permissions.get_visible(qs.select_related("user", "asset", "revoked_by", "reviewed_by", "request"), pk)


def break_glass_queue(*, user) -> QuerySet[Grant]:
    """Break-glass uses waiting for this user's after-the-fact review, most urgent first."""
    qs = Grant.objects.filter(origin=Grant.Origin.BREAK_GLASS, reviewed_at__isnull=True).exclude(user=user)
    if not permissions.has(user, "access.review_breakglass"):
        qs = qs.filter(asset__in=_reviewed_assets(user))
    return qs.select_related("user", "asset", "revoked_by").order_by("review_due_at", "pk")


def grant_history(*, grant: Grant) -> QuerySet:
    return grant.extensions.select_related("request")

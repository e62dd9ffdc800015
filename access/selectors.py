"""Reads of access/: every list is narrowed to what the user may see.

A user sees their own requests and grants; a reviewer also sees those on the
assets they review; access admins, privacy officers and auditors see all
(their role's global ``view_*`` permission).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from access import policy
from access.models import AccessRequest, Grant, Scope
from portal import permissions
from portal.params import BoolFilter, FlagCheckbox, apply_filters
from portal.selectors import IdFilter, assets_reviewable_by, is_id, with_reviewers


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
    """Pending requests waiting for ``user`` (:func:`access.policy.decidable_q`, escalations included)."""
    return qs.filter(policy.decidable_q(user))


def _with_deciders(qs: QuerySet[AccessRequest]) -> QuerySet[AccessRequest]:
    # Decisions and the asset's reviewers: what "who still has to approve" is computed from.
    return with_reviewers(qs.select_related("requester", "asset").prefetch_related("decisions__reviewer"), "asset__")


class RequestFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=AccessRequest.Status.choices, widget=forms.CheckboxSelectMultiple
    )
    scope = django_filters.ChoiceFilter(choices=Scope.choices, empty_label="Any")
    asset = IdFilter(field_name="asset_id", label="Asset id")
    # BoolFilter: the spec's ``?reviewable=1`` (django-filter's default reads "1" as "unknown").
    mine = BoolFilter(method="filter_mine", label="Only my requests", widget=FlagCheckbox)
    reviewable = BoolFilter(method="filter_reviewable", label="Only requests I may decide", widget=FlagCheckbox)

    class Meta:
        model = AccessRequest
        fields = ["status", "scope", "asset", "mine", "reviewable"]

    def filter_mine(self, qs, name, value):
        return qs.filter(requester=self.request.user) if value else qs

    def filter_reviewable(self, qs, name, value):
        return decidable_by(self.request.user, qs) if value else qs


def request_list(*, user, filters=None) -> QuerySet[AccessRequest]:
    qs = _visible(user, AccessRequest.objects.all(), "access.view_accessrequest", "requester")
    return apply_filters(RequestFilter, filters, _with_deciders(qs), user=user)


def request_get(*, user, pk) -> AccessRequest:
    qs = _visible(user, AccessRequest.objects.all(), "access.view_accessrequest", "requester")
    return permissions.get_visible(_with_deciders(qs).select_related("grant"), pk)


def review_queue(*, user, filters=None) -> QuerySet[AccessRequest]:
    """What waits for this reviewer, oldest first (``filters`` as :class:`RequestFilter`'s)."""
    qs = decidable_by(user, _with_deciders(AccessRequest.objects.all())).order_by("created_at", "pk")
    return apply_filters(RequestFilter, filters, qs, user=user)


# --- Grants -----------------------------------------------------------------


class GrantFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(method="filter_user", label="Whose", help_text="A user id, or me.")
    status = django_filters.ChoiceFilter(choices=Grant.Status.choices, method="filter_status", empty_label="Any")
    scope = django_filters.ChoiceFilter(choices=Scope.choices, empty_label="Any")
    origin = django_filters.ChoiceFilter(choices=Grant.Origin.choices, empty_label="Any")
    asset = IdFilter(field_name="asset_id", label="Asset id")
    awaiting_review = BoolFilter(method="filter_awaiting_review", label="Awaiting review")

    class Meta:
        model = Grant
        fields = ["user", "status", "scope", "origin", "asset", "awaiting_review"]

    def filter_user(self, qs, name, value):
        if value == "me":
            return qs.filter(user=self.request.user)
        return qs.filter(user_id=int(value)) if is_id(value) else qs.none()

    def filter_status(self, qs, name, value):
        return qs.with_status(value)

    def filter_awaiting_review(self, qs, name, value):
        awaiting = Q(origin=Grant.Origin.BREAK_GLASS, reviewed_at__isnull=True)
        return qs.filter(awaiting) if value else qs.exclude(awaiting)


def grant_list(*, user, filters=None) -> QuerySet[Grant]:
    qs = _visible(user, Grant.objects.all(), "access.view_grant", "user")
    qs = qs.select_related("user", "asset", "revoked_by", "reviewed_by")
    return apply_filters(GrantFilter, filters, qs, user=user)


def grant_get(*, user, pk) -> Grant:
    qs = _visible(user, Grant.objects.all(), "access.view_grant", "user")
    return permissions.get_visible(qs.select_related("user", "asset", "revoked_by", "reviewed_by", "request"), pk)


def assets_held(user, *, scope: str) -> QuerySet:
    """Ids of the assets ``user`` holds an active grant of ``scope`` on: what ``portal.permissions`` asks."""
    return Grant.objects.active().filter(user=user, scope=scope).values("asset_id")


def break_glass_queue(*, user) -> QuerySet[Grant]:
    """Break-glass uses waiting for this user's after-the-fact review, most urgent first."""
    qs = Grant.objects.filter(origin=Grant.Origin.BREAK_GLASS, reviewed_at__isnull=True).exclude(user=user)
    if not permissions.has(user, "access.review_breakglass"):
        qs = qs.filter(asset__in=_reviewed_assets(user))
    return qs.select_related("user", "asset", "revoked_by").order_by("review_due_at", "pk")


def grant_history(*, grant: Grant) -> QuerySet:
    return grant.extensions.select_related("request")

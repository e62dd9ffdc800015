from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from portal import permissions
from portal.errors import NotFound
from portal.models import (
    ROLE_GROUPS,
    ROLE_LABELS,
    AuditEvent,
    DataAsset,
    DataAssetUserObjectPermission,
    Sensitivity,
    User,
)
from portal.params import BoolFilter, FlagCheckbox, apply_filters


class AssetFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label="Search", widget=forms.SearchInput(attrs={"placeholder": "Name or description"})
    )
    sensitivity = django_filters.MultipleChoiceFilter(choices=Sensitivity.choices, widget=forms.CheckboxSelectMultiple)
    holds_personal_data = BoolFilter(label="Personal data")
    usable = BoolFilter(method="filter_usable", label="Only what I can use now", widget=FlagCheckbox)

    class Meta:
        model = DataAsset
        fields = ["q", "sensitivity", "holds_personal_data", "usable"]

    def search(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(description__icontains=value))

    def filter_usable(self, qs, name, value):
        return permissions.visible(self.request.user, "portal.use_dataasset", qs) if value else qs


# Ids are 64-bit: a larger number in a URL or a filter matches nothing (SQLite would raise OverflowError).
MAX_ID = 2**63 - 1


def is_id(value) -> bool:
    """Whether ``value`` (from a URL or a query string) can be a primary key: ASCII digits only."""
    # isascii too: "٦" is decimal and int() reads it as 6, so another spelling of id 6 would pass.
    text = str(value)
    return text.isascii() and text.isdecimal() and int(text) <= MAX_ID


class IdField(forms.CharField):
    """A form field for an id: ASCII digits only (no "6.5", "٦" or "+6"), at most ``MAX_ID``."""

    default_error_messages = {"invalid": f"Give an id: a whole number from 1 to {MAX_ID}, in ASCII digits."}

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if not is_id(value) or int(value) < 1:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(value)


class IdFilter(django_filters.Filter):
    """Filter by an id; malformed ids are a 400 through the filterset, never silently truncated."""

    field_class = IdField


def with_reviewers(qs: QuerySet, through: str = "") -> QuerySet:
    """Prefetch each asset's reviewers (users holding review_dataasset on it) as ``review_perms``: one query.

    ``through`` reaches the asset from another model, e.g. ``"asset__"`` on access requests.
    """
    if not through:
        return permissions.prefetch_holders(qs, "portal.review_dataasset", to_attr="review_perms")
    perms = DataAssetUserObjectPermission.objects.filter(permission__codename="review_dataasset").select_related("user")
    lookup = f"{through}dataassetuserobjectpermission_set"
    return qs.prefetch_related(Prefetch(lookup, queryset=perms, to_attr="review_perms"))


def asset_reviewers(asset: DataAsset) -> list:
    """Reviewers of an asset fetched through :func:`asset_list` or :func:`asset_get`."""
    if hasattr(asset, "review_perms"):
        return [p.user for p in asset.review_perms]
    return list(permissions.holders("portal.review_dataasset", asset))


def asset_list(*, user, filters=None) -> QuerySet[DataAsset]:
    """The catalogue: every signed-in user may browse it to find what to request.

    The filter ``usable`` keeps only the assets the user may read now (their active grants).
    """
    qs = DataAsset.objects.all() if user.is_authenticated else DataAsset.objects.none()
    return apply_filters(AssetFilter, filters, with_reviewers(qs), user=user)


def asset_get(*, user, pk) -> DataAsset:
    return permissions.get_visible(asset_list(user=user), pk)


def assets_reviewable_by(user) -> QuerySet[DataAsset]:
    return permissions.visible(user, "portal.review_dataasset", DataAsset.objects.all())


# --- People -------------------------------------------------------------------


def _require_people_reader(user) -> None:
    # Checked before any lookup: someone without the right learns nothing about which ids exist.
    permissions.require(
        user, "portal.view_user", message="Only access admins, privacy officers and auditors see people."
    )


EMPLOYEE = "employee"  # the role filter's value for people in no role group


class PeopleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label="Search", widget=forms.SearchInput(attrs={"placeholder": "Name, user name or e-mail"})
    )
    role = django_filters.ChoiceFilter(
        choices=[(EMPLOYEE, "Employee (no role)"), *((g, ROLE_LABELS[g].capitalize()) for g in ROLE_GROUPS)],
        method="filter_role",
        label="Role",
        empty_label="Any",
    )
    offboarded = BoolFilter(method="filter_offboarded", label="Offboarded")

    class Meta:
        model = User
        fields = ["q", "role", "offboarded"]

    def search(self, qs, name, value):
        q = value.strip()
        return qs.filter(
            Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q) | Q(email__icontains=q)
        )

    def filter_role(self, qs, name, value):
        if value == EMPLOYEE:
            return qs.exclude(groups__name__in=ROLE_GROUPS)
        return qs.filter(groups__name=value)

    def filter_offboarded(self, qs, name, value):
        return qs.filter(offboarded_at__isnull=not value)


def people_list(*, user, filters=None) -> QuerySet:
    """Everyone, with their roles; searchable by name, user name and e-mail, filtered by role and offboarding."""
    _require_people_reader(user)
    qs = get_user_model().objects.prefetch_related("groups").order_by("username", "pk")
    return apply_filters(PeopleFilter, filters, qs, user=user)


def person_get(*, user, pk):
    _require_people_reader(user)
    person = (
        get_user_model().objects.select_related("offboarded_by").prefetch_related("groups").filter(pk=pk).first()
        if is_id(pk)
        else None
    )
    if person is None:
        raise NotFound()
    return person


def person_reviews(person, *, limit: int = 50) -> list[DataAsset]:
    """The assets ``person`` reviews (their own object permissions, not a role's)."""
    rows = DataAssetUserObjectPermission.objects.filter(user=person, permission__codename="review_dataasset")
    return [p.content_object for p in rows.select_related("content_object").order_by("content_object__name")[:limit]]


def person_history(person, *, limit: int = 50) -> list:
    """Audit events about ``person`` and by them, newest first (one query)."""
    about = Q(target_type=person._meta.label_lower, target_id=str(person.pk))
    return list(AuditEvent.objects.filter(about | Q(actor_id=person.pk)).order_by("-sequence")[:limit])

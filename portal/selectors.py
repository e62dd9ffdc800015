from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from portal import permissions
from portal.models import DataAsset, Sensitivity
from portal.params import BoolFilter


class AssetFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    sensitivity = django_filters.MultipleChoiceFilter(choices=Sensitivity.choices)
    holds_personal_data = BoolFilter()

    class Meta:
        model = DataAsset
        fields = ["q", "sensitivity", "holds_personal_data"]

    def search(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(description__icontains=value))


# Ids are 64-bit: a larger number in a URL or a filter matches nothing (SQLite would raise OverflowError).
MAX_ID = 2**63 - 1


def is_id(value) -> bool:
    """Whether ``value`` (from a URL or a query string) can be a primary key."""
    # isdecimal, not isdigit: "²" is a digit that int() refuses (a 500 instead of a 404).
    return str(value).isdecimal() and int(value) <= MAX_ID


def _with_reviewers(qs: QuerySet[DataAsset]) -> QuerySet[DataAsset]:
    # Reviewers are users holding review_dataasset on the asset; one prefetch for the page.
    return permissions.prefetch_holders(qs, "portal.review_dataasset", to_attr="review_perms")


def asset_reviewers(asset: DataAsset) -> list:
    """Reviewers of an asset fetched through :func:`asset_list` or :func:`asset_get`."""
    if hasattr(asset, "review_perms"):
        return [p.user for p in asset.review_perms]
    return list(permissions.holders("portal.review_dataasset", asset))


def asset_list(*, user, filters: dict | None = None, usable: bool = False) -> QuerySet[DataAsset]:
    """The catalogue: every signed-in user may browse it to find what to request.

    With ``usable`` only the assets the user may read now (their active grants).
    """
    qs = DataAsset.objects.all()
    if usable:
        qs = permissions.visible(user, "portal.use_dataasset", qs)
    elif not user.is_authenticated:
        qs = qs.none()
    return AssetFilter(filters or {}, queryset=_with_reviewers(qs)).qs


def asset_get(*, user, pk) -> DataAsset:
    return permissions.get_visible(asset_list(user=user), pk)


def assets_reviewable_by(user) -> QuerySet[DataAsset]:
    return permissions.visible(user, "portal.review_dataasset", DataAsset.objects.all())

"""The subject-match guard: a package holds only items found under the verified subject's identifiers.

The rule is these two querysets and nothing else; assembly, approval and
sending all ask :func:`check`, and the stream itself reads only
:func:`own_items`, so an item tagged with another customer can reach no ZIP
even if it was added between the check and the build.
"""

from __future__ import annotations

from django.db.models import QuerySet

from dsar.models import Item, Request
from portal.errors import Conflict

# Items named in the refusal; the count says how many more there are.
NAMED = 50


class SubjectMismatch(Conflict):
    code = "subject_mismatch"

    def __init__(self, message: str, *, items: list[Item], total: int) -> None:
        self.items, self.total = items, total
        super().__init__(message, fields={"items": [describe(item) for item in items]})


def own_items(request: Request) -> QuerySet[Item]:
    return Item.objects.filter(request=request, subject_identifier__in=sorted(request.subject_identifiers()))


def foreign_items(request: Request) -> QuerySet[Item]:
    """Items of ``request`` found under any identifier other than the verified subject's."""
    return Item.objects.filter(request=request).exclude(subject_identifier__in=sorted(request.subject_identifiers()))


def describe(item: Item) -> str:
    what = " ".join(part for part in (item.source, item.name) if part) or item.get_kind_display().lower()
    return f"Item {item.pk} ({item.asset.name}: {what}) was found under {item.subject_identifier}."


def mismatched(request: Request) -> tuple[list[Item], int]:
    """The first :data:`NAMED` foreign items and how many there are: at most two queries, whatever the number."""
    items = list(foreign_items(request).select_related("asset").order_by("pk")[:NAMED])
    total = foreign_items(request).count() if items else 0
    return items, total


def check(request: Request) -> None:
    """Refuse (409, naming the items) when any item belongs to another subject identifier."""
    items, total = mismatched(request)
    if not items:
        return
    verified = ", ".join(sorted(request.subject_identifiers()))
    more = f" The first {len(items)} are named." if total > len(items) else ""
    raise SubjectMismatch(
        f"{total} item{'s' if total != 1 else ''} of this request belong to another subject than the verified "
        f"one ({verified}): remove or re-collect them before the package can be built or released.{more}",
        items=items,
        total=total,
    )

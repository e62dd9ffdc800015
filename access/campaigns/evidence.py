"""Evidence an auditor files: every item as CSV, streamed row by row, and the summary chart as SVG.

The CSV is read with a server-side cursor in chunks (``iterator``), so a
1,000,000-item campaign never sits in memory; cells that a spreadsheet would
run as a formula are quoted.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from access.campaigns.insight import reviewer_flags
from access.campaigns.models import Campaign, ReviewItem

COLUMNS = [
    "item",
    "grantee",
    "grantee_name",
    "asset",
    "sensitivity",
    "scope",
    "granted_at",
    "last_used_at",
    "reviewer",
    "recommendation",
    "reason",
    "decision",
    "comment",
    "decided_by",
    "decided_at",
    "outcome",
    "applied_at",
    "reviewer_flags",
]
_FIELDS = [
    "pk",
    "grantee__username",
    "grantee__first_name",
    "grantee__last_name",
    "asset__name",
    "sensitivity",
    "scope",
    "granted_at",
    "last_used_at",
    "reviewer__username",
    "recommendation",
    "reason",
    "decision",
    "comment",
    "decided_by__username",
    "decided_at",
    "outcome",
    "applied_at",
    "reviewer_id",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    # A spreadsheet runs a cell starting with these as a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def rows(campaign: Campaign, *, chunk_size: int = 2000) -> Iterator[str]:
    """The CSV, one encoded line at a time."""
    writer = csv.writer(_Echo())
    flags = reviewer_flags(campaign)
    yield writer.writerow(COLUMNS)
    qs = ReviewItem.objects.filter(campaign=campaign).order_by("pk").values_list(*_FIELDS)
    for row in qs.iterator(chunk_size=chunk_size):
        (pk, user, first, last, asset, sens, scope, granted, used, reviewer, rec, reason, dec, comment, by, at, out,
         applied, reviewer_id) = row  # fmt: skip
        yield writer.writerow(
            [
                _cell(v)
                for v in (
                    pk,
                    user,
                    f"{first} {last}".strip(),
                    asset,
                    sens,
                    scope,
                    granted,
                    used,
                    reviewer,
                    rec,
                    reason,
                    dec,
                    comment,
                    by,
                    at,
                    out,
                    applied,
                    "; ".join(flags.get(reviewer_id, [])),
                )
            ]
        )


def bar_chart(rows: list[dict], *, label: str, parts: list[tuple[str, str, str]], width: int = 640) -> dict:
    """Geometry of a horizontal stacked bar chart for the template (no JavaScript, no CDN).

    ``parts`` are ``(key, css class, legend)``; each row holds a ``total`` and the part keys.
    """
    bar_h, gap, left = 18, 8, 220
    scale = max((r["total"] for r in rows), default=0) or 1
    bars = []
    for i, row in enumerate(rows):
        y, x, segments = i * (bar_h + gap), left, []
        for key, css, legend in parts:
            w = (width - left - 60) * row.get(key, 0) / scale
            segments.append({"x": round(x, 1), "w": round(w, 1), "css": css, "n": row.get(key, 0), "legend": legend})
            x += w
        bars.append({"y": y, "ty": y + 13, "label": row[label], "segments": segments, "total": row["total"],
                     "end": round(x + 6, 1)})  # fmt: skip
    return {"bars": bars, "height": len(rows) * (bar_h + gap) + 4, "width": width, "left": left, "legend": parts}

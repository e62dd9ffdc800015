"""CSV exports of incidents/: the breach register and an exposure report, streamed row by row.

Rows are read in chunks (prefetches run per chunk), so the file never sits in memory
and the number of queries grows with the chunks, not the rows. Cells a spreadsheet
would run as a formula are quoted.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.utils import timezone

from incidents.models import Incident, Obligation

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 500


class _Echo:
    def write(self, value: str) -> str:
        return value


def cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([cell(v) for v in row])


def filename(stem: str) -> str:
    return f"{stem}-{timezone.now():%Y%m%dT%H%M%SZ}.csv"


# --- The breach register (Art. 33(5): facts, effects, remedial action) --------------------

REGISTER_COLUMNS = [
    "reference",
    "exercise",
    "title",
    "kind",
    "severity",
    "status",
    "detected_at",
    "aware_at",
    "awareness_gap_reason",
    "risk",
    "data_categories",
    "subject_count",
    "jurisdictions",
    "assets",
    "regulator_notifications",
    "subject_notifications",
    "no_notification_reason",
    "referrals",
    "description",
]


def _obligations(incident: Incident, recipient: str) -> str:
    out = []
    for o in incident.obligations.all():
        if o.recipient != recipient or o.withdrawn_at:
            continue
        if o.done_at:
            state = f"done {o.done_at.isoformat()}" + (f" (late: {o.late_reason})" if o.late else "")
            state += "".join(f"; {f.kind} to {f.authority} {f.reference}".rstrip() for f in o.filings.all())
        elif o.exempt_at:
            state = f"exempt: {o.exempt_reason}"
        else:
            state = f"open, due {o.due_at.isoformat()}" if o.due_at else "open, without undue delay"
        out.append(f"{o.regime.code}: {state}")
    return " | ".join(out)


def register_rows(incidents) -> Iterator[list]:
    for i in incidents.iterator(chunk_size=CHUNK):
        yield [
            i.reference,
            i.is_exercise,
            i.title,
            i.kind,
            i.severity,
            i.status,
            i.detected_at,
            i.aware_at,
            i.awareness_gap_reason,
            i.risk,
            "; ".join(i.data_categories),
            i.subject_count,
            "; ".join(i.jurisdictions),
            "; ".join(a.name for a in i.assets.all()),
            _obligations(i, Obligation.Recipient.REGULATOR),
            _obligations(i, Obligation.Recipient.SUBJECTS),
            i.no_notification_reason,
            "; ".join(f"{r.agency} {r.reference} {r.referred_on}".strip() for r in i.referrals.all()),
            i.description,
        ]


# --- Exposure: who held a grant on the affected assets during the window -------------------

EXPOSURE_COLUMNS = [
    "user_id",
    "username",
    "name",
    "asset",
    "scope",
    "origin",
    "granted_at",
    "ended_at",
    "expires_at",
    "last_used_at",
    "status",
    "involved",
]


def exposure_rows(grants, involved: set[int]) -> Iterator[list]:
    for g in grants.iterator(chunk_size=CHUNK):
        yield [
            g.user_id,
            g.user.username,
            g.user.get_full_name(),
            g.asset.name,
            g.scope,
            g.origin,
            g.granted_at,
            g.ended_at,
            g.expires_at,
            g.last_used_at,
            g.effective_status(),
            g.user_id in involved,
        ]

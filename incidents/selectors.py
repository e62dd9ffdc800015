"""Reading incidents: only those the user may see (privacy officers and auditors all; others what they
reported or handle). A missing and an invisible incident are the same :class:`NotFound`."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from access.models import Grant
from incidents.models import Filing, Incident, InvolvedUser, Obligation
from portal import permissions

VIEW = "incidents.view_incident"


def _obligations() -> Prefetch:
    return Prefetch("obligations", queryset=Obligation.objects.select_related("regime"))


def _visible(user, filters: dict | None = None) -> QuerySet[Incident]:
    qs = permissions.visible(user, VIEW, Incident.objects.all())
    filters = filters or {}
    if filters.get("status"):
        qs = qs.filter(status__in=filters["status"])
    if filters.get("exercise") is not None:
        qs = qs.filter(is_exercise=filters["exercise"])
    return qs.select_related("reported_by").prefetch_related("assets")


def incident_list(*, user, filters: dict | None = None) -> QuerySet[Incident]:
    return _visible(user, filters).prefetch_related(_obligations())


def incident_get(*, user, pk) -> Incident:
    qs = (
        _visible(user)
        .select_related("assessed_by", "no_notification_by")
        .prefetch_related(
            Prefetch(
                "obligations",
                queryset=Obligation.objects.select_related("regime").prefetch_related(
                    Prefetch("filings", queryset=Filing.objects.select_related("recorded_by"))
                ),
            ),
            Prefetch("involved", queryset=InvolvedUser.objects.select_related("user", "added_by")),
            "timeline__actor",
        )
    )
    return permissions.get_visible(qs, pk)


def incident_handlers(incident: Incident) -> list:
    return list(permissions.holders("incidents.change_incident", incident))


def _duration(seconds: int) -> str:
    hours, minutes = divmod(abs(seconds) // 60, 60)
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if days else f"{hours} h {minutes} min"


def clock(obligation: Obligation, now: datetime | None = None) -> dict:
    """Time left (or overdue) on an obligation: what the list, the detail and the API show."""
    if not obligation.is_open:
        state = "met" if obligation.done_at else "exempt" if obligation.exempt_at else "withdrawn"
        return {"state": state, "seconds": None, "text": state}
    if obligation.due_at is None:
        return {"state": "without_undue_delay", "seconds": None, "text": "without undue delay"}
    left = int((obligation.due_at - (now or timezone.now())).total_seconds())
    if left >= 0:
        return {"state": "running", "seconds": left, "text": f"{_duration(left)} left"}
    return {"state": "overdue", "seconds": left, "text": f"overdue by {_duration(left)}"}


def next_clock(incident: Incident, now: datetime | None = None) -> dict | None:
    """The most urgent open obligation's clock (from the prefetched obligations), for the list."""
    open_ = [o for o in incident.obligations.all() if o.is_open]
    if not open_:
        return None
    dated = [o for o in open_ if o.due_at is not None]
    first = min(dated, key=lambda o: o.due_at.timestamp() if o.due_at else 0.0) if dated else open_[0]
    return {"obligation": first, **clock(first, now)}


def involved_active_grants(incident: Incident) -> dict[int, list[Grant]]:
    """The active grants of each involved user, in one query."""
    users = [i.user_id for i in incident.involved.all()]
    out: dict[int, list[Grant]] = {u: [] for u in users}
    for grant in Grant.objects.active().filter(user_id__in=users).select_related("asset"):
        out[grant.user_id].append(grant)
    return out


def exposure(incident: Incident, *, start: datetime, end: datetime) -> QuerySet[Grant]:
    """Everyone who held a grant on the incident's affected assets during ``[start, end)``, from the grant history."""
    return (
        Grant.objects.held_during(start, end)
        .filter(asset__in=incident.assets.all())
        .select_related("user", "asset")
        .order_by("asset__name", "user__username", "granted_at", "pk")
    )

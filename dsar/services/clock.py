"""The request's clock: its due date kept in step with receipt, pauses and the one extension."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from dsar import deadlines
from dsar.models import MAX_REASON, Pause, Request
from dsar.services.common import CHANGE, bounded_text, lock, record
from portal import notifications, permissions
from portal.errors import Conflict, ValidationError

# The one extension: GDPR two further months at most, CCPA 45 further days at most.
MAX_EXTENSION_MONTHS = deadlines.EXTENDED_MONTHS - 1
MAX_EXTENSION_DAYS = deadlines.CCPA_EXTENDED_DAYS - deadlines.CCPA_DAYS


def due_for(request: Request, *, now: datetime | None = None, pauses=None) -> deadlines.Due:
    """The request's due date as its facts stand (pauses read unless given)."""
    if pauses is None:
        pauses = [(p.started_at, p.ended_at) for p in request.pauses.all()]
    return deadlines.compute(
        received_at=request.received_at,
        jurisdiction=request.jurisdiction,
        extended=request.extended_at is not None,
        extension_months=request.extension_months,
        extension_days=request.extension_days,
        pauses=pauses,
        now=now,
    )


def refresh_due(request: Request, *, now: datetime | None = None) -> None:
    """Recompute and store ``due_at`` and its trace (inside the caller's transaction)."""
    due = due_for(request, now=now)
    request.due_at, request.due_trace = due.at, due.trace
    request.save(update_fields=["due_at", "due_trace"])


def _open(request: Request) -> None:
    if not request.is_open:
        raise Conflict(f"The request is {request.get_status_display().lower()}.")


@transaction.atomic
def request_pause(*, actor, request: Request, reason: str) -> Pause:
    """Waiting for the subject (proof of identity, clarification): recorded; stops the clock under UK GDPR."""
    request = lock(request)
    permissions.require(actor, CHANGE, request)
    _open(request)
    reason = bounded_text(reason, "reason", MAX_REASON, required=True, message="Say what you wait for.")
    if request.pauses.filter(ended_at__isnull=True).exists():
        raise Conflict("The request is already paused.")
    try:
        with transaction.atomic():
            pause = Pause.objects.create(request=request, reason=reason, started_by=actor)
    except IntegrityError as exc:
        raise Conflict("The request is already paused.") from exc
    refresh_due(request)
    record(request=request, actor=actor, action="dsar.request.paused", details={"reason": reason})
    return pause


@transaction.atomic
def request_resume(*, actor, request: Request) -> Request:
    """The subject answered: the pause ends and, under UK GDPR, the due date moves by the days paused."""
    request = lock(request)
    permissions.require(actor, CHANGE, request)
    pause = request.pauses.filter(ended_at__isnull=True).first()
    if pause is None:
        raise Conflict("The request is not paused.")
    pause.ended_at, pause.ended_by = timezone.now(), actor
    pause.save(update_fields=["ended_at", "ended_by"])
    refresh_due(request)
    record(
        request=request,
        actor=actor,
        action="dsar.request.resumed",
        details={"paused_days": deadlines.paused_days([(pause.started_at, pause.ended_at)], pause.ended_at)},
    )
    return request


def _extension_length(request: Request, months: int | None, days: int | None) -> tuple[int | None, int | None]:
    if request.jurisdiction == Request.Jurisdiction.CCPA:
        if months is not None:
            raise ValidationError(fields={"months": "CCPA extends in days: give days (at most 45)."})
        days = MAX_EXTENSION_DAYS if days is None else days
        if not 1 <= days <= MAX_EXTENSION_DAYS:
            raise ValidationError(fields={"days": f"CCPA allows 1 to {MAX_EXTENSION_DAYS} further days (90 in all)."})
        return None, days
    if days is not None:
        raise ValidationError(fields={"days": "GDPR extends in months: give months (at most 2)."})
    months = MAX_EXTENSION_MONTHS if months is None else months
    if not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise ValidationError(fields={"months": f"GDPR allows 1 or {MAX_EXTENSION_MONTHS} further months."})
    return months, None


@transaction.atomic
def request_extend(
    *, actor, request: Request, reason: str, months: int | None = None, days: int | None = None
) -> Request:
    """The one extension, counted from receipt, before the first deadline passes; the subject is told why."""
    request = lock(request)
    permissions.require(actor, CHANGE, request)
    _open(request)
    if request.extended_at is not None:
        raise Conflict(
            f"The deadline was already extended once, on {timezone.localtime(request.extended_at):%d %b %Y}."
        )
    now = timezone.now()
    if now > request.due_at:
        raise Conflict("The first deadline has passed: it can no longer be extended.")
    reason = bounded_text(reason, "reason", MAX_REASON, required=True, message="Give the reason the subject will read.")
    months, days = _extension_length(request, months, days)
    previous = request.due_at
    request.extended_at, request.extended_by, request.extension_reason = now, actor, reason
    request.extension_months, request.extension_days = months, days
    request.save(update_fields=["extended_at", "extended_by", "extension_reason", "extension_months", "extension_days"])
    refresh_due(request, now=now)
    record(
        request=request,
        actor=actor,
        action="dsar.request.extended",
        details={
            "reason": reason,
            "months": months,
            "days": days,
            "from": previous.isoformat(),
            "to": request.due_at.isoformat(),
        },
    )
    notifications.notify(
        key=f"dsar-extended:{request.pk}",
        to=[request.email],
        template="dsar/extended",
        context={
            "reference": request.reference,
            "name": request.name,
            "reason": reason,
            "due": f"{timezone.localtime(request.due_at):%A %d %B %Y}",
        },
    )
    return request

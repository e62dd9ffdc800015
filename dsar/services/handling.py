"""Who works a request, and how it ends early: handler assignment, rejection, withdrawal."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from dsar.models import MAX_REASON, Request
from dsar.services.common import ASSIGN, CHANGE, VIEW, bounded_text, lock, record
from portal import notifications, permissions
from portal.errors import Conflict, ValidationError


@transaction.atomic(savepoint=False)
def assign_handler(*, actor, request: Request, handler) -> None:
    """Give ``handler`` the request (view and change it); the previous handler loses it. Caller's transaction."""
    if handler is None:
        raise ValidationError(fields={"handler": "Choose an active user."})
    if refusal := permissions.work_refusal(handler):
        raise ValidationError(fields={"handler": refusal})
    previous = request.handler
    if previous is not None and previous.pk != handler.pk:
        permissions.remove(VIEW, previous, request)
        permissions.remove(CHANGE, previous, request)
    permissions.assign(VIEW, handler, request)
    permissions.assign(CHANGE, handler, request)
    request.handler = handler
    request.save(update_fields=["handler"])
    record(
        request=request,
        actor=actor,
        action="dsar.request.handler_assigned",
        details={"handler": handler.pk, "previous": previous.pk if previous else None},
    )
    notifications.notify(
        key=f"dsar-handler:{request.pk}:{handler.pk}",
        to=[handler],
        template="dsar/handler_assigned",
        context={"request_id": request.pk, "reference": request.reference, "due": f"{request.due_at:%Y-%m-%d}"},
    )


@transaction.atomic
def request_assign_handler(*, actor, request: Request, handler) -> Request:
    """A privacy officer makes ``handler`` work this request."""
    request = lock(request)
    permissions.require(actor, ASSIGN, request, message="Only privacy officers assign handlers.")
    if not request.is_open:
        raise Conflict(f"The request is {request.get_status_display().lower()}.")
    assign_handler(actor=actor, request=request, handler=handler)
    return request


def _end(*, actor, request: Request, status: str, reason: str, action: str) -> Request:
    request = lock(request)
    permissions.require(actor, CHANGE, request)
    reason = bounded_text(reason, "reason", MAX_REASON, required=True, message="Give the reason.")
    if not request.is_open:
        raise Conflict(f"The request is already {request.get_status_display().lower()}.")
    previous = request.status
    request.status, request.status_reason, request.closed_at = status, reason, timezone.now()
    request.verification_nonce = ""  # an outstanding link must not revive it
    request.save(update_fields=["status", "status_reason", "closed_at", "verification_nonce"])
    record(request=request, actor=actor, action=action, details={"from": previous, "reason": reason})
    return request


@transaction.atomic
def request_reject(*, actor, request: Request, reason: str) -> Request:
    """Refused (manifestly unfounded or excessive, identity not proven...): the subject is told why."""
    request = _end(
        actor=actor, request=request, status=Request.Status.REJECTED, reason=reason, action="dsar.request.rejected"
    )
    notifications.notify(
        key=f"dsar-rejected:{request.pk}",
        to=[request.email],
        template="dsar/rejected",
        context={"reference": request.reference, "name": request.name, "reason": request.status_reason},
    )
    return request


@transaction.atomic
def request_withdraw(*, actor, request: Request, reason: str) -> Request:
    """The subject withdrew the request (recorded by staff)."""
    return _end(
        actor=actor, request=request, status=Request.Status.WITHDRAWN, reason=reason, action="dsar.request.withdrawn"
    )

"""Shared by the request services: the rights they check, locking, bounded text, the audit event.

Rights: privacy officers hold ``dsar.*`` globally (a role); a handler holds
``view_request`` and ``change_request`` on the requests a privacy officer
assigned them; auditors read every request and change none. The public
intake and the verification link act without a user (``actor=None``).
"""

from __future__ import annotations

from dsar.models import Request
from portal import audit
from portal.errors import ValidationError
from portal.limits import too_long

VIEW, CHANGE, ADD, ASSIGN = "dsar.view_request", "dsar.change_request", "dsar.add_request", "dsar.assign_request"


def bounded_text(value: str | None, field: str, limit: int, *, required: bool = False, message: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(fields={field: message or "This field is required."})
    if error := too_long(value, limit):
        raise ValidationError(fields={field: error})
    return value


def choice(value: str, field: str, choices) -> str:
    if value not in choices.values:
        raise ValidationError(fields={field: f"Choose one of {', '.join(choices.values)}."})
    return value


def lock(request: Request) -> Request:
    return Request.objects.select_for_update().get(pk=request.pk)


def record(*, request: Request, actor, action: str, details: dict | None = None) -> None:
    """The audit event of one change, in the caller's transaction."""
    audit.record(
        actor=actor, action=action, target=request, details={"reference": request.reference, **(details or {})}
    )

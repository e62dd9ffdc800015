"""A request arrives: from the public form or API (no user), or entered by staff in the portal."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from dsar import deadlines
from dsar.models import MAX_NAME, MAX_TEXT, ReferenceCounter, Request
from dsar.services.common import ADD, bounded_text, record
from dsar.services.handling import assign_handler
from dsar.services.verification import start_verification
from portal import notifications, permissions, references
from portal.errors import ValidationError

MAX_CUSTOMER_ID = 100


def next_reference(now: datetime | None = None) -> str:
    """``DSAR-YYYY-NNNN``, from this app's own counter."""
    return references.next_in_year(ReferenceCounter, "DSAR", now)


def _clean(*, type: str, email: str, customer_id: str, jurisdiction: str, name: str, details: str) -> dict:
    errors: dict[str, str] = {}
    email = (email or "").strip()
    try:
        validate_email(email)
    except DjangoValidationError:
        errors["email"] = "Give a valid e-mail address."
    if len(email) > 254:
        errors["email"] = "At most 254 characters, please."
    for field, value, choices in (("type", type, Request.Type), ("jurisdiction", jurisdiction, Request.Jurisdiction)):
        if value not in choices.values:
            errors[field] = f"Choose one of {', '.join(choices.values)}."
    if errors:
        raise ValidationError(fields=errors)
    return {
        "type": type,
        "email": email,
        "jurisdiction": jurisdiction,
        "customer_id": bounded_text(customer_id, "customer_id", MAX_CUSTOMER_ID),
        "name": bounded_text(name, "name", MAX_NAME),
        "details": bounded_text(details, "details", MAX_TEXT),
    }


def _create(*, actor, received_at: datetime, **fields) -> Request:
    request = Request(reference=next_reference(received_at), received_at=received_at, created_by=actor, **fields)
    due = deadlines.compute(received_at=received_at, jurisdiction=request.jurisdiction, now=received_at)
    request.due_at, request.due_trace = due.at, due.trace
    request.save()
    return request


@transaction.atomic
def request_intake(
    *, type: str, email: str, jurisdiction: str, customer_id: str = "", name: str = "", details: str = ""
) -> Request:
    """A subject asks through the public form or API: recorded, and a verification link goes to the address on
    record. The caller answers the same whatever happens here, so nothing tells who is a customer."""
    fields = _clean(
        type=type, email=email, customer_id=customer_id, jurisdiction=jurisdiction, name=name, details=details
    )
    request = _create(actor=None, received_at=timezone.now(), **fields)
    record(request=request, actor=None, action="dsar.request.received", details={"channel": "public", "type": type})
    start_verification(request=request, actor=None)
    officers = permissions.role_members("privacy-officers")
    notifications.notify(
        key=f"dsar-received:{request.pk}",
        to=list(officers),
        template="dsar/received",
        context={"request_id": request.pk, "reference": request.reference, "type": request.get_type_display()},
    )
    return request


@transaction.atomic
def request_create(
    *,
    actor,
    type: str,
    email: str,
    jurisdiction: str,
    customer_id: str = "",
    name: str = "",
    details: str = "",
    received_at: datetime | None = None,
    handler=None,
    send_verification: bool = True,
) -> Request:
    """Staff enter a request received by post, phone or mail; its clock runs from when it was received."""
    permissions.require(actor, ADD, message="Only privacy officers enter requests.")
    fields = _clean(
        type=type, email=email, customer_id=customer_id, jurisdiction=jurisdiction, name=name, details=details
    )
    now = timezone.now()
    received_at = received_at or now
    if received_at > now:
        raise ValidationError(fields={"received_at": "The day of receipt cannot be in the future."})
    request = _create(actor=actor, received_at=received_at, **fields)
    record(
        request=request,
        actor=actor,
        action="dsar.request.received",
        details={"channel": "staff", "type": type, "received_at": received_at.isoformat()},
    )
    if handler is not None:
        assign_handler(actor=actor, request=request, handler=handler)
    if send_verification:
        start_verification(request=request, actor=actor)
    return request

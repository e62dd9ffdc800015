"""Proving the subject is who they say: a signed, single-use link valid 72 hours, or staff recording another way.

The link goes only to the subject's address on record. Lookups (e.g. a
connector reading the customer database) register with
:func:`register_address_lookup`; without any, the request's own address is
the one on record. A request naming a customer id gets a link only when the
customer register (:mod:`dsar.connectors.register`) holds exactly that address
for the id: otherwise anyone could type another customer's number and prove
only their own mailbox. Nothing is collected before a request is verified.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dsar.connectors import register
from dsar.connectors.base import ConnectorError
from dsar.models import MAX_REASON, Request
from dsar.services.common import CHANGE, bounded_text, lock, record
from portal import notifications, permissions
from portal.errors import Conflict, Gone, NotFound, ValidationError

logger = logging.getLogger(__name__)

LINK_VALID = timedelta(hours=72)
SALT = "dsar.verification"
VERIFIABLE = (Request.Status.RECEIVED, Request.Status.VERIFYING)

# Each takes the request and answers the subject's address on record, "" when it does not know the subject,
# or None when it has no opinion (the next lookup is asked).
_lookups: list[Callable[[Request], str | None]] = []


class LinkExpired(Gone):
    default_message = "This link has expired. Ask us for a new one."


class LinkInvalid(NotFound):
    default_message = "This link is not valid, or it was already used."


def register_address_lookup(lookup: Callable[[Request], str | None]) -> None:
    if lookup not in _lookups:
        _lookups.append(lookup)


def address_on_record(request: Request) -> str:
    """Where the link may go: the subject's address on record, or "" when it is not on record."""
    return _on_record(request)[0]


def _on_record(request: Request) -> tuple[str, str]:
    """The address the link may go to, or ``""`` and why not (for the request's history)."""
    address = next((a for a in (lookup(request) for lookup in _lookups) if a is not None), request.email)
    if not address:
        return "", "The subject's address is not on record."
    customer_id = request.customer_id.strip()
    if not customer_id:
        return address, ""
    try:
        on_record = register.addresses_on_record(customer_id)
    except ConnectorError as exc:
        logger.warning("customer register unreadable for %s: %s", request.reference, exc)
        return "", "The customer register could not be read to confirm the customer id."
    if on_record is None:
        return "", "No customer register is configured to confirm a customer id."
    if on_record != {address.strip().lower()}:
        # Unknown id, another customer's id, or one shared by several addresses: staff check the identity.
        return "", "The customer id given is not on record with this address."
    return address, ""


def make_token(request: Request) -> str:
    return signing.dumps({"r": request.pk, "n": request.verification_nonce}, salt=SALT, compress=True)


@transaction.atomic(savepoint=False)
def start_verification(*, request: Request, actor) -> str:
    """Mail a fresh link (the previous one dies) if the address is on record: ``""`` when one was sent,
    else why not."""
    address, why_not = _on_record(request)
    if not address:
        details = {"reason": why_not}
        record(request=request, actor=actor, action="dsar.request.verification_needs_staff", details=details)
        return why_not
    request.verification_nonce = secrets.token_urlsafe(24)
    request.verification_sent_at = timezone.now()
    request.status = Request.Status.VERIFYING
    request.save(update_fields=["verification_nonce", "verification_sent_at", "status"])
    record(request=request, actor=actor, action="dsar.request.verification_sent")
    url = settings.PORTAL_BASE_URL.rstrip("/") + reverse("dsar:verify", args=[make_token(request)])
    notifications.notify(
        key=f"dsar-verify:{request.pk}:{request.verification_nonce[:12]}",
        to=[address],
        template="dsar/verify",
        context={"reference": request.reference, "name": request.name, "url": url, "hours": 72},
    )
    return ""


@transaction.atomic
def verification_send(*, actor, request: Request) -> Request:
    """Staff send a new link (the old one stops working)."""
    request = lock(request)
    permissions.require(actor, CHANGE, request)
    if request.status not in VERIFIABLE:
        raise Conflict("The request is not waiting for verification.")
    why_not = start_verification(request=request, actor=actor)
    if why_not:
        raise Conflict(f"{why_not} Verify the subject another way and record how.")
    return request


@transaction.atomic
def verification_confirm(*, token: str) -> Request:
    """The subject opened the link: the request is verified, and the link is spent."""
    try:
        data = signing.loads(token, salt=SALT, max_age=LINK_VALID)
    except signing.SignatureExpired as exc:
        raise LinkExpired() from exc
    except signing.BadSignature as exc:
        raise LinkInvalid() from exc
    if not isinstance(data, dict) or not isinstance(data.get("r"), int) or not data.get("n"):
        raise LinkInvalid()
    request = Request.objects.select_for_update().filter(pk=data["r"]).first()
    if request is None or not request.verification_nonce:
        raise LinkInvalid()
    if not secrets.compare_digest(request.verification_nonce, str(data["n"])):
        raise LinkInvalid()
    if request.status not in VERIFIABLE:
        raise LinkInvalid()
    now = timezone.now()
    request.verification_nonce = ""
    request.verified_at, request.verification_method = now, Request.Verification.LINK
    request.status = Request.Status.VERIFIED
    request.save(update_fields=["verification_nonce", "verified_at", "verification_method", "status"])
    record(request=request, actor=None, action="dsar.request.verified", details={"method": "link"})
    return request


@transaction.atomic
def request_verify_otherwise(*, actor, request: Request, method: str, note: str) -> Request:
    """Staff verified the subject another way (a document, a signed-in account...) and say how."""
    request = lock(request)
    permissions.require(actor, CHANGE, request)
    if request.status not in VERIFIABLE:
        raise Conflict("The request is not waiting for verification.")
    if method not in Request.Verification.values or method == Request.Verification.LINK:
        others = [v for v in Request.Verification.values if v != Request.Verification.LINK]
        raise ValidationError(fields={"method": f"Choose one of {', '.join(others)}."})
    note = bounded_text(note, "note", MAX_REASON, required=True, message="Say how the identity was checked.")
    request.verification_nonce = ""  # a link still out there must not verify it a second time
    request.verified_at, request.verified_by = timezone.now(), actor
    request.verification_method, request.verification_note = method, note
    request.status = Request.Status.VERIFIED
    request.save(
        update_fields=[
            "verification_nonce",
            "verified_at",
            "verified_by",
            "verification_method",
            "verification_note",
            "status",
        ]
    )
    record(request=request, actor=actor, action="dsar.request.verified", details={"method": method, "note": note})
    return request

"""Proving the subject is who they say: a signed, single-use link valid 72 hours, or staff recording another way.

The link goes only to the subject's address on record. Lookups (e.g. a
connector reading the customer database) register with
:func:`register_address_lookup`; without any, the request's own address is
the one on record. Nothing is collected before a request is verified.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dsar.models import MAX_REASON, Request
from dsar.services.common import CHANGE, bounded_text, lock, record
from portal import notifications, permissions
from portal.errors import Conflict, Gone, NotFound, ValidationError

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
    for lookup in _lookups:
        address = lookup(request)
        if address is not None:
            return address
    return request.email


def make_token(request: Request) -> str:
    return signing.dumps({"r": request.pk, "n": request.verification_nonce}, salt=SALT, compress=True)


@transaction.atomic(savepoint=False)
def start_verification(*, request: Request, actor) -> bool:
    """Mail a fresh link (the previous one dies) if the address is on record; True when one was sent."""
    address = address_on_record(request)
    if not address:
        record(request=request, actor=actor, action="dsar.request.verification_needs_staff")
        return False
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
    return True


@transaction.atomic
def verification_send(*, actor, request: Request) -> Request:
    """Staff send a new link (the old one stops working)."""
    request = lock(request)
    permissions.require(actor, CHANGE, request)
    if request.status not in VERIFIABLE:
        raise Conflict("The request is not waiting for verification.")
    if not start_verification(request=request, actor=actor):
        raise Conflict("The subject's address is not on record: verify another way and record how.")
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

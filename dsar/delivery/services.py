"""Sending an approved package to the verified address, downloads, revocation and "this reached the wrong person".

The link carries a random token (``secrets.token_urlsafe``); only its SHA-256
is stored, so the database alone opens nothing. A link lives 7 days and serves
at most 3 downloads; the count is taken by one conditional UPDATE, so racing
downloads can never pass the cap (and a CHECK constraint stands behind it).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from dsar.models import MAX_REASON, DeliveryLink, Download, Package, Request
from dsar.package import guard
from dsar.package.services import current
from dsar.services.common import CHANGE, bounded_text, lock, record
from portal import audit, notifications, permissions
from portal.errors import Conflict, Gone, NotFound

LINK_VALID = timedelta(days=7)
MAX_CLIENT = 300


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def download_url(token: str) -> str:
    return settings.PORTAL_BASE_URL + reverse("dsar:package-download", args=[token])


@transaction.atomic
def package_send(*, actor, request: Request) -> DeliveryLink:
    """Mail a download link for the approved package to the request's verified address, and only there.

    The token exists in the mail alone; the returned link carries it as ``token`` for the caller's tests.
    """
    request = lock(request)
    permissions.require(actor, CHANGE, request)
    if request.status != Request.Status.READY:
        raise Conflict(f"The request is {request.get_status_display().lower()}: only an approved package is sent.")
    if request.verified_at is None:
        raise Conflict("The subject's identity is not verified.")
    package = current(request, for_update=True)
    if package is None or not package.is_approved or package.is_purged:
        raise Conflict("There is no approved package to send.")
    guard.check(request)
    link = _issue_link(request, package, actor=actor)
    request.status = Request.Status.DELIVERED
    request.save(update_fields=["status"])
    record(
        request=request,
        actor=actor,
        action="dsar.package.sent",
        details={"package": package.pk, "link": link.pk, "sent_to": link.sent_to, "expires_at": link.expires_at},
    )
    return link


@transaction.atomic
def package_resend(*, actor, request: Request) -> DeliveryLink:
    """Mail a new link for the same approved package once the last one has ended (expired, used up, revoked).

    Refused (409) while a link is live, after a misdelivery, once the package's
    files were purged (the purge follows the end of every link: the subject's
    data is not kept for a link nobody holds), and unless the request is
    delivered (not closed, withdrawn or erased). The old token stays dead; the
    new one is a fresh random token, mailed to the verified address only.
    """
    request = lock(request)
    permissions.require(actor, CHANGE, request)
    if request.status != Request.Status.DELIVERED:
        status = request.get_status_display().lower()
        raise Conflict(f"The request is {status}: only the package of a delivered request is sent again.")
    if request.verified_at is None:
        raise Conflict("The subject's identity is not verified.")
    package = current(request, for_update=True)
    last = package.links.order_by("-created_at", "-pk").first() if package is not None else None
    if package is None or not package.is_approved or last is None:
        raise Conflict("No package of this request was sent: send it first.")
    if (incident := package.misdelivery_incident) is not None:
        raise Conflict(f"This package reached the wrong person (incident {incident.reference}): it is not sent again.")
    now = timezone.now()
    if DeliveryLink.objects.live(now).filter(package=package).exists():
        raise Conflict("A link of this request is still live: revoke it first, or let the subject use it.")
    if package.is_purged or not default_storage.exists(package.file.name or ""):
        raise Conflict("The package's files were purged after its link ended: it can no longer be sent again.")
    guard.check(request)
    link = _issue_link(request, package, actor=actor, now=now)
    record(
        request=request,
        actor=actor,
        action="dsar.package.resent",
        details={
            "package": package.pk,
            "link": link.pk,
            "sent_to": link.sent_to,
            "expires_at": link.expires_at,
            "previous_link": last.pk,
            "previous_ended": last.state(now),
        },
    )
    return link


@transaction.atomic(savepoint=False)
def _issue_link(request: Request, package: Package, *, actor, now=None) -> DeliveryLink:
    """A new link (a fresh token; only its hash is stored), mailed on commit to the verified address."""
    token = secrets.token_urlsafe(32)
    now = now or timezone.now()
    link = DeliveryLink.objects.create(
        package=package, token_hash=token_hash(token), sent_to=request.email, sent_by=actor, expires_at=now + LINK_VALID
    )
    expires = timezone.localtime(link.expires_at)
    notifications.notify(
        key=f"dsar-package-link:{link.pk}",
        to=[request.email],
        template="dsar/package_link",
        context={
            "reference": request.reference,
            "url": download_url(token),
            "expires": f"{expires:%A %d %B %Y %H:%M %Z}",
            "max_downloads": link.max_downloads,
        },
    )
    link.token = token  # type: ignore[attr-defined]
    return link


@transaction.atomic(savepoint=False)
def revoke_live(package: Package, *, actor, reason: str, now) -> list[int]:
    live = DeliveryLink.objects.live(now).filter(package=package)
    ids = list(live.values_list("pk", flat=True))
    DeliveryLink.objects.filter(pk__in=ids).update(revoked_at=now, revoked_by=actor, revoke_reason=reason)
    return ids


@transaction.atomic
def link_revoke(*, actor, request: Request, reason: str) -> int:
    """End every live link of the request's package at once; returns how many were live (0: 409)."""
    request = lock(request)
    permissions.require(actor, CHANGE, request)
    reason = bounded_text(reason, "reason", MAX_REASON, required=True, message="Say why the link is revoked.")
    package = current(request, for_update=True)
    revoked = revoke_live(package, actor=actor, reason=reason, now=timezone.now()) if package else []
    if not revoked:
        raise Conflict("No link of this request is live.")
    record(request=request, actor=actor, action="dsar.link.revoked", details={"links": revoked, "reason": reason})
    return len(revoked)


@dataclass(frozen=True)
class Offer:
    """What the download page shows for a token, before anything is counted."""

    link: DeliveryLink
    state: str  # "live", "expired", "used up", "revoked", "purged"
    left: int


def _find(token: str) -> DeliveryLink:
    if not token or len(token) > 100:
        raise NotFound()
    link = DeliveryLink.objects.select_related("package__request").filter(token_hash=token_hash(token)).first()
    if link is None:
        raise NotFound()
    return link


def download_offer(*, token: str) -> Offer:
    link = _find(token)
    state = "purged" if link.package.is_purged else link.state()
    return Offer(link, state, max(link.max_downloads - link.downloads, 0))


def download_take(*, token: str, address: str | None, client: str):
    """Count one download and open the file; :class:`Gone` (410) once expired, revoked, used up or purged.

    Returns ``(package, file)``; the caller streams the file and closes it.
    """
    link = _find(token)
    package = link.package
    if package.is_purged:
        raise Gone("This link has expired.")
    try:
        handle = default_storage.open(package.file.name or "", "rb")
    except FileNotFoundError:
        raise Gone("This link has expired.") from None
    try:
        with transaction.atomic():
            now = timezone.now()
            # One UPDATE on the link row alone (no join: PostgreSQL then re-checks the condition on the row a
            # racing download just changed); the CHECK constraint is the last word if anything slips by.
            try:
                with transaction.atomic():
                    taken = DeliveryLink.objects.live(now).filter(pk=link.pk).update(downloads=F("downloads") + 1)
            except IntegrityError:
                taken = 0
            if not taken:
                raise Gone("This link has expired, was revoked or has been used the most times allowed.")
            row = Download.objects.create(link=link, at=now, address=address or None, client=client[:MAX_CLIENT])
            audit.record(
                actor=None,
                action="dsar.package.downloaded",
                target=package.request,
                details={
                    "reference": package.request.reference,
                    "package": package.pk,
                    "link": link.pk,
                    "download": row.pk,
                    "address": address,
                    "client": client[:MAX_CLIENT],
                },
            )
    except BaseException:
        handle.close()
        raise
    return package, handle

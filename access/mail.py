"""What access/ e-mails say: JSON-safe facts, gathered when the event happens.

The mail is rendered later by a Celery task, so the context carries strings,
not model instances.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from access.models import AccessRequest, Grant


def _when(dt) -> str:
    return timezone.localtime(dt).strftime("%d %b %Y %H:%M %Z") if dt else ""


def request_context(request: AccessRequest) -> dict:
    return {
        "request_id": request.pk,
        "requester": str(request.requester),
        "asset": request.asset.name,
        "sensitivity": request.asset.sensitivity,
        "scope": request.scope,
        "duration_days": request.duration_days,
        "justification": request.justification,
        "status": request.get_status_display(),
        "url": settings.PORTAL_BASE_URL + request.get_absolute_url(),
    }


def grant_context(grant: Grant) -> dict:
    return {
        "grant_id": grant.pk,
        "grantee": str(grant.user),
        "asset": grant.asset.name,
        "scope": grant.scope,
        "origin": grant.get_origin_display(),
        "justification": grant.justification,
        "expires_at": _when(grant.expires_at),
        "review_due_at": _when(grant.review_due_at),
        "reason": grant.revoke_reason,
        "url": settings.PORTAL_BASE_URL + grant.get_absolute_url(),
    }

"""What offboarding takes away in access/: pending requests, then active grants.

Registered as steps of ``portal.offboarding`` in :meth:`access.apps.AccessConfig.ready`;
each runs inside the offboarding transaction with the user's row already locked.
"""

from __future__ import annotations

from access.models import AccessRequest, Grant
from access.services.grants import end_and_notify_all
from portal import audit


def _pending(user):
    return AccessRequest.objects.filter(requester=user, status=AccessRequest.Status.PENDING)


def _active(user):
    # Active by the one rule: a grant past its expiry already gives nothing and is the sweep's to end.
    return Grant.objects.active().filter(user=user)


def cancel_pending_requests(*, actor, user, reason: str, now) -> dict:
    """Cancel what the user still asks for, so no reviewer can approve it later.

    Audited per request; the requester is not mailed as if a reviewer had denied it.
    """
    requests = list(_pending(user).select_for_update(of=("self",)).order_by("pk"))
    if requests:
        _pending(user).filter(pk__in=[r.pk for r in requests]).update(
            status=AccessRequest.Status.CANCELLED, decided_at=now
        )
        audit.record_many(
            actor=actor,
            entries=[
                audit.Entry("access.request.cancelled", r, {"reason": reason, "offboarding": True}) for r in requests
            ],
        )
    return {"cancelled": len(requests), "requests": [r.pk for r in requests]}


def revoke_active_grants(*, actor, user, reason: str, now) -> dict:
    grants = list(_active(user).select_for_update(of=("self",)).order_by("pk"))
    end_and_notify_all(actor=actor, user=user, grants=grants, reason=reason, now=now)
    return {"revoked": len(grants), "grants": [g.pk for g in grants]}


def preview_pending_requests(user) -> dict:
    return {
        "label": "Pending access requests (cancelled)",
        "items": list(_pending(user).select_related("requester", "asset")),
    }


def preview_active_grants(user) -> dict:
    return {"label": "Active grants (revoked)", "items": list(_active(user).select_related("user", "asset"))}

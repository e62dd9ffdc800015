"""What offboarding takes away in dsar/: the requests the person handles.

Registered as a step of ``portal.offboarding`` in :meth:`dsar.apps.DsarConfig.ready`; it runs inside the
offboarding transaction with the user's row locked. Open requests are left without a handler, for the
privacy officers (who see them all) to assign again; finished ones keep the name as history. Either way
the person's rights on them go.
"""

from __future__ import annotations

from django.db.models import Q

from dsar.models import Request
from dsar.services.common import CHANGE, VIEW
from portal import audit, permissions

REMOVED = "dsar.request.handler_removed"


def _handled(user):
    return Request.objects.filter(
        Q(handler=user) | Q(pk__in=permissions.held_directly(user, CHANGE, Request.objects.all()))
    )


def take_handling(*, actor, user, reason: str, now) -> dict:
    requests = list(_handled(user).select_for_update().order_by("pk"))
    if requests:
        ids = [r.pk for r in requests]
        Request.objects.open().filter(pk__in=ids, handler=user).update(handler=None)
        permissions.remove_many(Request, [(user.pk, pk, perm) for pk in ids for perm in (VIEW, CHANGE)])
        details = {"handler": user.pk, "reason": reason, "offboarding": True}
        audit.record_many(
            actor=actor, entries=[audit.Entry(REMOVED, r, {"reference": r.reference, **details}) for r in requests]
        )
    return {"dsar_requests": [r.pk for r in requests]}


def preview_handling(user) -> dict:
    return {"label": "Data-subject requests they handle (left without a handler)", "items": list(_handled(user))}

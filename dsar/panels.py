"""What dsar/ adds to the dashboard and the navigation (registered in :meth:`dsar.apps.DsarConfig.ready`)."""

from __future__ import annotations

from dsar import selectors
from dsar.models import Request
from portal import permissions

SHOWN = 5


def sees_requests(user) -> bool:
    """A role that sees all requests, or the handler of some (cached on the user)."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_dsar_sees_requests", None)
    if cached is None:
        cached = (
            permissions.has(user, selectors.VIEW)
            or permissions.visible(user, selectors.VIEW, Request.objects.all()).exists()
        )
        user._dsar_sees_requests = cached
    return cached


def near_deadline_panel(request) -> dict | None:
    """Requests near their deadline (due in 7 days or overdue) the user may see."""
    user = request.user
    if not sees_requests(user):
        return None
    rows = selectors.near_deadline(user, limit=SHOWN)
    for row in rows:
        row.clock = selectors.clock(row)
    return {"requests": rows}

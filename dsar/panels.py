"""What dsar/ adds to the dashboard and the navigation (registered in :meth:`dsar.apps.DsarConfig.ready`)."""

from __future__ import annotations

from dsar import selectors
from dsar.models import Request
from portal import permissions

SHOWN = 5


def sees_requests(user) -> bool:
    """The roles that see every request (privacy officers, auditors): from the user's cached permissions,
    so pages that do not show requests pay no query for it."""
    return user.is_authenticated and permissions.has(user, selectors.VIEW)


def handles_or_sees_requests(user) -> bool:
    """A role that sees all requests, or the handler of some (one query for a handler)."""
    return sees_requests(user) or permissions.visible(user, selectors.VIEW, Request.objects.all()).exists()


def near_deadline_panel(request) -> dict | None:
    """Requests near their deadline (due in 7 days or overdue), for the roles that see all requests.

    Handlers find theirs in the list (``?mine=1``): the dashboard of every other user costs no query.
    """
    user = request.user
    if not sees_requests(user):
        return None
    rows = selectors.near_deadline(user, limit=SHOWN)
    for row in rows:
        row.clock = selectors.clock(row)
    return {"requests": rows}

"""What incidents/ adds to the dashboard (registered in :meth:`incidents.apps.IncidentsConfig.ready`)."""

from __future__ import annotations

from incidents import selectors

SHOWN = 5


def clocks_panel(request) -> dict | None:
    """The open notification clocks (regulator, subjects) of the incidents the user works, most urgent
    first: the 72 hours run on weekends too, so they stand on the first page a handler sees."""
    user = request.user
    if not user.is_authenticated:
        return None
    obligations, total = selectors.open_clocks(user, limit=SHOWN)
    if not total:
        return None  # nothing to say to those who work no incident, or whose clocks are all met
    for obligation in obligations:
        obligation.clock = selectors.clock(obligation)
    return {"obligations": obligations, "total": total}

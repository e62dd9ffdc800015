"""What campaigns add to the dashboard and the navigation (registered by ``AccessConfig.ready``)."""

from __future__ import annotations

from django.db.models import Count

from access.campaigns.services import open_items
from portal import panels, permissions


def sees_campaigns(user) -> bool:
    from access.panels import reviews_anything

    return permissions.has(user, "access.view_campaign") or reviews_anything(user)


def open_items_panel(request) -> dict | None:
    """Undecided review items waiting for this user, per running campaign (one query); hidden when none."""
    rows = list(
        open_items(request.user)
        .values("campaign_id", "campaign__name", "campaign__due_at")
        .annotate(n=Count("pk"))
        .order_by("campaign__due_at", "campaign_id")
    )
    if not rows:
        return None
    return {"campaigns": rows, "total": sum(r["n"] for r in rows)}


def register() -> None:
    panels.register("dashboard", "access/campaigns/panels/open_items.html", open_items_panel, order=15)
    panels.register_nav("Campaigns", "access:campaign-list", visible=sees_campaigns, order=40)

"""What access/ adds to the dashboard, the asset page and the navigation.

Registered in :meth:`access.apps.AccessConfig.ready`. Every builder reads
through ``access.selectors`` and uses a fixed number of queries: a page of at
most ``SHOWN`` rows, and a count only when that page is full.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from access import selectors
from access.forms import BreakGlassForm, RequestForm
from access.models import EXPIRY_WARNING_DAYS, AccessRequest, Decision, Grant
from portal import permissions
from portal.selectors import assets_reviewable_by

SHOWN = 5


def reviews_anything(user) -> bool:
    """Whether ``user`` may decide some request or review some break-glass use (cached on the user)."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_access_reviews_anything", None)
    if cached is None:
        cached = (
            permissions.has(user, "access.decide_accessrequest")
            or permissions.has(user, "access.review_breakglass")
            or assets_reviewable_by(user).exists()
        )
        user._access_reviews_anything = cached
    return cached


def grants_label(user) -> str:
    """The grant list's name: roles that see everyone's grants open "Grants", everyone else their own."""
    return "Grants" if permissions.has(user, "access.view_grant") else "My access"


def sees_others(user, view_perm: str) -> bool:
    """Whether a list may hold other people's rows: a role that sees all, or a reviewer of some asset."""
    return permissions.has(user, view_perm) or reviews_anything(user)


def with_approvals(requests) -> list[AccessRequest]:
    """Set ``approvals`` on each request from its prefetched decisions ("1 of 2" in the pages)."""
    rows = list(requests)
    for req in rows:
        req.approvals = sum(1 for d in req.decisions.all() if d.outcome == Decision.Outcome.APPROVE)
    return rows


def mark_grants(grants, now=None) -> list[Grant]:
    """Set ``shown_status`` (:meth:`Grant.effective_status`) and ``ends_soon``."""
    now = now or timezone.now()
    soon = now + timedelta(days=EXPIRY_WARNING_DAYS)
    rows = list(grants)
    for grant in rows:
        grant.shown_status = grant.effective_status(now)
        running = grant.shown_status == Grant.Status.ACTIVE
        grant.ends_soon = running and grant.expires_at <= soon
        grant.review_overdue = grant.awaits_review and grant.review_due_at is not None and grant.review_due_at <= now
    return rows


def _counting_approvals(qs):
    # A panel shows "1 of 2", not who approved: the decisions without their reviewers.
    return qs.prefetch_related(None).prefetch_related("decisions")


def _first(qs, n: int = SHOWN) -> tuple[list, int]:
    """The first ``n`` rows and the total, counting only when the page is full."""
    rows = list(qs[:n])
    return rows, (qs.count() if len(rows) == n else len(rows))


# --- Dashboard --------------------------------------------------------------


def waiting_panel(request) -> dict | None:
    """Requests this user may decide and break-glass uses they should review; hidden when none."""
    user = request.user
    if not reviews_anything(user):
        return None
    reqs, req_total = _first(_counting_approvals(selectors.review_queue(user=user)))
    uses, use_total = _first(selectors.break_glass_queue(user=user))
    if not req_total and not use_total:
        return None
    return {
        "requests": with_approvals(reqs),
        "request_total": req_total,
        "uses": mark_grants(uses),
        "use_total": use_total,
        "total": req_total + use_total,
    }


def my_pending_panel(request) -> dict | None:
    """The user's own requests still waiting for a decision; hidden when none."""
    qs = selectors.request_list(user=request.user, filters={"mine": True, "status": [AccessRequest.Status.PENDING]})
    reqs, total = _first(_counting_approvals(qs))
    if not total:
        return None
    return {"requests": with_approvals(reqs), "total": total}


def my_access_panel(request) -> dict:
    """The user's running grants, soonest expiry first; shown even when empty."""
    qs = selectors.grant_list(user=request.user, filters={"user": "me", "status": Grant.Status.ACTIVE})
    grants, total = _first(qs.order_by("expires_at", "pk"))
    return {"grants": mark_grants(grants), "total": total}


# --- Asset page -------------------------------------------------------------


def asset_access_panel(request, asset, *, request_form=None, break_glass_form=None) -> dict:
    """On an asset's page: what the user holds and asks for there, and the forms to ask or break glass."""
    user = request.user
    grants = selectors.grant_list(user=user, filters={"user": "me", "status": Grant.Status.ACTIVE, "asset": asset.pk})
    pending = selectors.request_list(
        user=user, filters={"mine": True, "status": [AccessRequest.Status.PENDING], "asset": asset.pk}
    )
    return {
        "asset": asset,
        "grants": mark_grants(grants.order_by("scope")),
        "pending": list(pending.prefetch_related(None)),
        "request_form": request_form or RequestForm(asset=asset),
        "break_glass_form": break_glass_form or BreakGlassForm(),
    }


# --- Person page (people pages) ------------------------------------------------

PERSON_SHOWN = 20


def person_access_panel(request, person) -> dict:
    """On a person's page: their grants and requests, newest first, as far as the viewer may see them."""
    user = request.user
    # Always counted, so the page costs the same whether a person has 3 rows or 3,000.
    grants = selectors.grant_list(user=user, filters={"user": person.pk})
    reqs = selectors.request_list(user=user).filter(requester=person).prefetch_related(None)
    grant_total, request_total = grants.count(), reqs.count()
    grants, reqs = list(grants[:PERSON_SHOWN]), list(reqs[:PERSON_SHOWN])
    return {
        "person": person,
        "grants": mark_grants(grants),
        "grant_total": grant_total,
        "requests": reqs,
        "request_total": request_total,
    }

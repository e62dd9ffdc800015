"""Who may decide what, and whom a request waits for: the approval policy of the spec, in one place.

A request needs approvals by *eligible* reviewers: users named as reviewers of
the asset who are active (and not offboarded), are not the requester and have
not decided it yet. When too few of them are left to give the approvals still
missing (the requester is one of a restricted asset's two reviewers, reviewers
left, an asset has none), the request is *escalated*: the access admins may
give the missing approval(s), and see it in their review queue.

The rules that the review queue needs in SQL are written here twice, for one
loaded request (Python) and as a queryset filter, side by side; a test keeps
the two in step (``access/tests/test_policy.py``).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, F, Func, OuterRef, Q, Subquery
from django.db.models.lookups import LessThan

from access.models import REQUIRED_APPROVALS, REVIEWER_ONLY, AccessRequest, Decision, Grant
from portal import permissions
from portal.models import ACCESS_ADMINS, DataAsset
from portal.selectors import assets_reviewable_by

REVIEW = "portal.review_dataasset"
ESCALATED_TO = "the access admins"


def required_approvals(asset: DataAsset) -> int:
    return REQUIRED_APPROVALS[asset.sensitivity]


def reviews(user, asset: DataAsset) -> bool:
    return permissions.has(user, REVIEW, asset)


# --- Eligible reviewers and escalation: Python, for one loaded request ----------


def _may_hold_a_say(user) -> bool:
    """Active and not offboarded (the field exists once offboarding is installed)."""
    return user.is_active and getattr(user, "offboarded_at", None) is None


def _reviewer_rows(asset: DataAsset):
    """The asset's named reviewers (direct rows; prefetched by the selectors as ``review_perms``)."""
    rows = getattr(asset, "review_perms", None)
    if rows is None:
        model = permissions.object_permission_model(DataAsset)
        rows = model.objects.filter(content_object=asset, permission__codename="review_dataasset").select_related(
            "user"
        )
    return [row.user for row in rows]


def _decided(request: AccessRequest) -> set[int]:
    return {d.reviewer_id for d in request.decisions.all()}


def missing_approvals(request: AccessRequest) -> int:
    approvals = sum(1 for d in request.decisions.all() if d.outcome == Decision.Outcome.APPROVE)
    return max(0, request.required_approvals - approvals)


def eligible_reviewers(request: AccessRequest) -> list:
    decided = _decided(request)
    return [
        u
        for u in _reviewer_rows(request.asset)
        if _may_hold_a_say(u) and u.pk != request.requester_id and u.pk not in decided
    ]


def escalated(request: AccessRequest) -> bool:
    """Whether too few eligible reviewers are left for the approvals still missing."""
    return request.is_pending and len(eligible_reviewers(request)) < missing_approvals(request)


def awaiting(request: AccessRequest, *, admins=None) -> list:
    """Who still has to approve ``request``: its eligible reviewers, and the access admins once escalated.

    ``admins`` (the access admins) may be passed in when many requests are shown at once.
    """
    if not request.is_pending:
        return []
    eligible = eligible_reviewers(request)
    if len(eligible) >= missing_approvals(request):
        return eligible
    decided = _decided(request) | {u.pk for u in eligible}
    admins = permissions.role_members(ACCESS_ADMINS) if admins is None else admins
    return eligible + [a for a in admins if _may_hold_a_say(a) and a.pk != request.requester_id and a.pk not in decided]


def with_awaiting(requests) -> list[AccessRequest]:
    """Set ``awaiting`` and ``escalated`` on each request of a page (access admins fetched once, if needed)."""
    rows, admins = list(requests), None
    for req in rows:
        req.escalated = escalated(req)
        if req.escalated and admins is None:
            admins = list(permissions.role_members(ACCESS_ADMINS))
        req.awaiting = awaiting(req, admins=admins or [])
    return rows


def decide_refusal(user, request: AccessRequest) -> str | None:
    """Why ``user`` may not approve or deny ``request``, or ``None`` when they may."""
    if user.pk == request.requester_id:
        return "Nobody decides their own request."
    if reviews(user, request.asset):
        return None
    if permissions.has(user, "access.decide_accessrequest") and (
        request.asset.sensitivity not in REVIEWER_ONLY or escalated(request)
    ):
        return None
    return f"Only a reviewer of {request.asset} may decide this request."


def may_decide(user, request: AccessRequest) -> bool:
    """Whether ``request`` waits for ``user``: pending, theirs to decide, not decided by them yet."""
    return request.is_pending and decide_refusal(user, request) is None and user.pk not in _decided(request)


# --- The same rules in SQL: the review queue ------------------------------------


def _count(qs) -> Subquery:
    return Subquery(qs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"))


def _eligible_user_q(prefix: str) -> Q:
    q = Q(**{f"{prefix}is_active": True})
    if any(f.name == "offboarded_at" for f in get_user_model()._meta.get_fields()):
        q &= Q(**{f"{prefix}offboarded_at__isnull": True})
    return q


def escalated_q() -> Q:
    """SQL twin of :func:`escalated`, on ``AccessRequest`` rows."""
    model = permissions.object_permission_model(DataAsset)
    decided = Decision.objects.filter(request_id=OuterRef(OuterRef("pk")), reviewer_id=OuterRef("user_id"))
    eligible = (
        model.objects.filter(
            _eligible_user_q("user__"),
            content_object_id=OuterRef("asset_id"),
            permission__content_type__app_label="portal",
            permission__codename="review_dataasset",
        )
        .exclude(user_id=OuterRef("requester_id"))
        .filter(~Exists(decided))
    )
    approvals = Decision.objects.filter(request_id=OuterRef("pk"), outcome=Decision.Outcome.APPROVE)
    return Q(status=AccessRequest.Status.PENDING) & Q(
        LessThan(_count(eligible), F("required_approvals") - _count(approvals))
    )


def decidable_q(user) -> Q:
    """SQL twin of :func:`may_decide`: the requests waiting for ``user``."""
    may = Q(asset__in=assets_reviewable_by(user).values("pk"))
    if permissions.has(user, "access.decide_accessrequest"):
        may |= ~Q(asset__sensitivity__in=REVIEWER_ONLY) | escalated_q()
    already = Decision.objects.filter(request=OuterRef("pk"), reviewer=user)
    return may & Q(status=AccessRequest.Status.PENDING) & ~Q(requester=user) & ~Exists(already)


# --- Grants ---------------------------------------------------------------------


def revoke_refusal(user, grant: Grant) -> str | None:
    """The grantee may give a grant up; the asset's reviewers and access admins may take it away."""
    if user.pk == grant.user_id or reviews(user, grant.asset) or permissions.has(user, "access.revoke_grant"):
        return None
    return "Only the grantee, a reviewer of the asset or an access admin may revoke this grant."


def break_glass_review_refusal(user, grant: Grant) -> str | None:
    if user.pk == grant.user_id:
        return "Nobody reviews their own break-glass access."
    if reviews(user, grant.asset) or permissions.has(user, "access.review_breakglass"):
        return None
    return "Only a reviewer of the asset or a privacy officer may review this break-glass access."

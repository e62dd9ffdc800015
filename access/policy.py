"""Who may decide what: the approval policy of the spec, in one place."""

from __future__ import annotations

from access.models import REQUIRED_APPROVALS, REVIEWER_ONLY, AccessRequest, Grant
from portal import permissions
from portal.models import ACCESS_ADMINS, DataAsset


def required_approvals(asset: DataAsset) -> int:
    return REQUIRED_APPROVALS[asset.sensitivity]


def reviews(user, asset: DataAsset) -> bool:
    return permissions.has(user, "portal.review_dataasset", asset)


def decide_refusal(user, request: AccessRequest) -> str | None:
    """Why ``user`` may not approve or deny ``request``, or ``None`` when they may."""
    if user.pk == request.requester_id:
        return "Nobody decides their own request."
    if reviews(user, request.asset):
        return None
    if request.asset.sensitivity not in REVIEWER_ONLY and permissions.has(user, "access.decide_accessrequest"):
        return None
    return f"Only a reviewer of {request.asset} may decide this request."


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


def deciders(request: AccessRequest) -> list:
    """Who is told that ``request`` waits: the asset's reviewers, else the access admins.

    An asset without reviewers still reaches someone: for confidential and
    restricted assets the admins cannot approve, but they can name reviewers.
    """
    users = [u for u in permissions.holders("portal.review_dataasset", request.asset) if u.is_active]
    if not users:
        users = list(permissions.role_members(ACCESS_ADMINS))
    return [u for u in users if u.pk != request.requester_id]

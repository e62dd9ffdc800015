"""Every state change of access/ goes through one function here.

Requests: :func:`request_create`, :func:`request_approve`, :func:`request_deny`,
:func:`request_cancel`. Grants: :func:`grant_revoke`, :func:`grants_revoke_many`, :func:`user_revoke_all`,
:func:`break_glass_open`, :func:`break_glass_review`. Decision point:
:func:`check_access`, :func:`check_access_by_token`. Periodic jobs: :func:`grants_expire`,
:func:`grants_warn_expiring`, :func:`requests_lapse`,
:func:`break_glass_escalate`. Drift: :func:`reconcile_permissions`.
"""

from access.services.breakglass import break_glass_escalate, break_glass_open, break_glass_review
from access.services.decision import check_access, check_access_by_token
from access.services.grants import (
    grant_revoke,
    grants_expire,
    grants_revoke_many,
    grants_warn_expiring,
    user_revoke_all,
)
from access.services.reconcile import reconcile_permissions
from access.services.requests import request_approve, request_cancel, request_create, request_deny, requests_lapse

__all__ = [
    "break_glass_escalate",
    "break_glass_open",
    "break_glass_review",
    "check_access",
    "check_access_by_token",
    "grant_revoke",
    "grants_expire",
    "grants_revoke_many",
    "grants_warn_expiring",
    "reconcile_permissions",
    "request_approve",
    "request_cancel",
    "request_create",
    "request_deny",
    "requests_lapse",
    "user_revoke_all",
]

"""Every state change of a recertification campaign goes through one function here.

The package is split by step (``rules``, ``launch``, ``review``, ``close``); import from here.

Campaigns: :func:`campaign_create`, :func:`campaign_launch` (and its snapshot,
:func:`campaign_snapshot`, inline or as a Celery task), :func:`campaign_close` (and
its batches, :func:`campaign_apply`, inline or as a Celery task).
Items: :func:`review_item_decide`, :func:`review_items_decide` (bulk),
:func:`review_item_delegate`, :func:`review_item_reassign`. Periodic jobs are
in ``access.campaigns.jobs``.
"""

from access.campaigns.services.close import CLOSE_BATCH, CLOSE_INLINE_MAX, campaign_apply, campaign_close, open_items
from access.campaigns.services.launch import (
    LAUNCH_INLINE_MAX,
    REVIEWER_SQL,
    SNAPSHOT_BATCH,
    campaign_create,
    campaign_launch,
    campaign_snapshot,
    in_scope,
    mail_context,
    tell_each_reviewer,
    undecided_by_reviewer,
)
from access.campaigns.services.review import (
    ITEM_FILTERS,
    audit_seq,
    require_may_move,
    review_item_decide,
    review_item_delegate,
    review_item_reassign,
    review_items_decide,
)
from access.campaigns.services.rules import (
    MANAGE,
    active_grants,
    eligible_refusal,
    reason_sql,
    recommendation_for,
)

__all__ = [
    "CLOSE_BATCH",
    "CLOSE_INLINE_MAX",
    "ITEM_FILTERS",
    "LAUNCH_INLINE_MAX",
    "MANAGE",
    "REVIEWER_SQL",
    "SNAPSHOT_BATCH",
    "active_grants",
    "audit_seq",
    "campaign_apply",
    "campaign_close",
    "campaign_create",
    "campaign_launch",
    "campaign_snapshot",
    "eligible_refusal",
    "in_scope",
    "mail_context",
    "open_items",
    "reason_sql",
    "recommendation_for",
    "require_may_move",
    "review_item_decide",
    "review_item_delegate",
    "review_item_reassign",
    "review_items_decide",
    "tell_each_reviewer",
    "undecided_by_reviewer",
]

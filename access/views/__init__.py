"""The access pages: requests, the reviewer queue, grants, break-glass.

Reads go through ``access.selectors`` (404 for what the user may not see);
every POST calls exactly one service, which decides whether the user may act
(403) and whether the input is valid. A service's field errors are shown on
the form that was sent, on the page that holds it; any other refusal
(e.g. "already decided") becomes a message on the page the user came from.
Lists are :class:`portal.lists.FilteredListView`: the API's FilterSet, a message for a bad filter.

One module per sub-domain; ``access/urls.py`` reads the views from here.
"""

from access.views.assets import BreakGlassView, RequestCreateView
from access.views.common import ConfirmView, history
from access.views.grants import BreakGlassReviewView, GrantDetailView, GrantListView, GrantRevokeView
from access.views.requests import (
    RequestApproveView,
    RequestCancelView,
    RequestDenyView,
    RequestDetailView,
    RequestListView,
)
from access.views.review import ReviewQueueView

_history = history  # the name recertification campaigns import

__all__ = [
    "BreakGlassReviewView",
    "BreakGlassView",
    "ConfirmView",
    "GrantDetailView",
    "GrantListView",
    "GrantRevokeView",
    "RequestApproveView",
    "RequestCancelView",
    "RequestCreateView",
    "RequestDenyView",
    "RequestDetailView",
    "RequestListView",
    "ReviewQueueView",
    "history",
]

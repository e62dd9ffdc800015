"""The access API: requests, decisions, grants, break-glass, the decision point and offboarding.

Each view validates the shape of its input with a serializer, calls ONE
service or selector and answers with an output serializer. Objects are looked
up through the selectors, so an object the user may not see is 404; the
services decide what the user may do with it (403) and in which state (409).

One module per sub-domain; ``access/api/urls.py`` and ``check_urls.py`` read the views from here.
Lists are :class:`portal.api.lists.FilteredListViewSet`: a bad filter is a 400 naming it.
"""

from access.api.views.breakglass import BreakGlassViewSet
from access.api.views.common import DECISION_ERRORS, ERRORS, enum_values, valid_input
from access.api.views.decision import CheckAccessView
from access.api.views.grants import GrantViewSet
from access.api.views.offboarding import MayRevokeAll, UserRevokeAllView
from access.api.views.requests import AccessRequestViewSet

# The names recertification campaigns import.
_valid, _choices = valid_input, enum_values

__all__ = [
    "DECISION_ERRORS",
    "ERRORS",
    "AccessRequestViewSet",
    "BreakGlassViewSet",
    "CheckAccessView",
    "GrantViewSet",
    "MayRevokeAll",
    "UserRevokeAllView",
    "enum_values",
    "valid_input",
]

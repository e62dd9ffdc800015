"""Paths of the access API. They are a contract (SPEC.md): each answers with and without a trailing slash.

The decision point's, ``api/access/check``, is in ``access/api/check_urls.py``: the root URLconf matches it first.
"""

from django.urls import re_path

from access.api.views import (
    AccessRequestViewSet,
    BreakGlassViewSet,
    GrantViewSet,
    UserRevokeAllView,
)
from access.campaigns.api import CampaignItemViewSet, CampaignViewSet, EvidenceCsvView, ReviewItemViewSet
from portal.api.routers import Router

# URL names start with "api-" so they never shadow the un-namespaced names of web pages.
router = Router()
router.register("access-requests", AccessRequestViewSet, basename="api-access-request")
router.register("grants", GrantViewSet, basename="api-grant")
router.register("break-glass", BreakGlassViewSet, basename="api-break-glass")
router.register("campaigns", CampaignViewSet, basename="api-campaign")
router.register("review-items", ReviewItemViewSet, basename="api-review-item")
# The campaign's items: a list of its own (the list base class), under the campaign's path.
router.register(r"campaigns/(?P<pk>[0-9]+)/items", CampaignItemViewSet, basename="api-campaign-item")

urlpatterns = [
    re_path(r"^users/(?P<pk>[0-9]+)/revoke-all/?$", UserRevokeAllView.as_view(), name="api-user-revoke-all"),
    re_path(r"^campaigns/(?P<pk>[0-9]+)/evidence\.csv$", EvidenceCsvView.as_view(), name="api-campaign-evidence"),
    *router.urls,
]

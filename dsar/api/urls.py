"""Paths of the dsar API (SPEC "dsar/"), with and without a trailing slash."""

from django.urls import re_path

from dsar.api.views import DsarRequestViewSet, IntakeView
from portal.api.routers import Router

router = Router()
router.register("dsar", DsarRequestViewSet, basename="api-dsar")

urlpatterns = [
    re_path(r"^dsar/intake/?$", IntakeView.as_view(), name="api-dsar-intake"),
    *router.urls,
]

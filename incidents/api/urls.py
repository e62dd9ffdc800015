"""Paths of the incidents API (SPEC "incidents/"), with and without a trailing slash."""

from incidents.api.views import IncidentViewSet
from portal.api.routers import Router

router = Router()
router.register("incidents", IncidentViewSet, basename="api-incident")

urlpatterns = [*router.urls]

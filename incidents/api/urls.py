"""Paths of the incidents API (SPEC "incidents/"), with and without a trailing slash."""

from incidents.api.views import IncidentViewSet
from portal.api.routers import Router

router = Router()
router.register("incidents", IncidentViewSet, basename="api-incident")

urlpatterns = [*router.urls]

# Subject notification (incidents/subjects/api.py).
from django.urls import re_path  # noqa: E402

from incidents.subjects import api as subjects_api  # noqa: E402

urlpatterns += [
    re_path(
        r"^incidents/(?P<pk>[0-9]+)/subjects/?$", subjects_api.SubjectListView.as_view(), name="api-incident-subjects"
    ),
    re_path(
        r"^incidents/(?P<pk>[0-9]+)/subjects/summary/?$",
        subjects_api.SubjectSummaryView.as_view(),
        name="api-incident-subjects-summary",
    ),
    re_path(
        r"^incidents/(?P<pk>[0-9]+)/subjects/import/?$",
        subjects_api.SubjectImportView.as_view(),
        name="api-incident-subjects-import",
    ),
    re_path(
        r"^incidents/(?P<pk>[0-9]+)/subjects/notify/?$",
        subjects_api.SubjectNotifyView.as_view(),
        name="api-incident-subjects-notify",
    ),
]

from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.IncidentListView.as_view(), name="incident-list"),
    path("report/", views.IncidentReportView.as_view(), name="incident-report"),
    path("<int:pk>/", views.IncidentDetailView.as_view(), name="incident-detail"),
    path("<int:pk>/assess/", views.AssessView.as_view(), name="incident-assess"),
    path("<int:pk>/status/", views.StatusView.as_view(), name="incident-status"),
    path("<int:pk>/notes/", views.NoteView.as_view(), name="incident-note"),
    path("<int:pk>/involved/", views.InvolvedAddView.as_view(), name="incident-involved"),
    path("<int:pk>/revoke-access/", views.RevokeAccessView.as_view(), name="incident-revoke-access"),
    path("<int:pk>/handlers/", views.HandlerView.as_view(), name="incident-handler"),
    path("<int:pk>/regulator-notifications/", views.FilingView.as_view(), name="incident-filing"),
]

# Subject notification (incidents/subjects/).
from incidents.subjects.urls import urlpatterns as subject_urlpatterns  # noqa: E402

urlpatterns += subject_urlpatterns

from django.urls import path

from incidents import views
from incidents import views_casework as casework

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
    # Casework: tasks, evidence, the regulator draft, referrals, exposure, the breach register.
    path("register/", casework.RegisterView.as_view(), name="register"),
    path("register.csv", casework.RegisterCsvView.as_view(), name="register-csv"),
    path("<int:pk>/tasks/", casework.TaskCreateView.as_view(), name="task-create"),
    path("tasks/<int:pk>/complete/", casework.TaskCompleteView.as_view(), name="task-complete"),
    path("tasks/<int:pk>/reopen/", casework.TaskReopenView.as_view(), name="task-reopen"),
    path("<int:pk>/evidence/", casework.EvidenceUploadView.as_view(), name="evidence-upload"),
    path("evidence/<int:pk>/", casework.EvidenceDownloadView.as_view(), name="evidence-download"),
    path("<int:pk>/referrals/", casework.ReferralView.as_view(), name="referral"),
    path("regulator-drafts/<int:pk>/", casework.DraftView.as_view(), name="regulator-draft"),
    path(
        "regulator-drafts/<int:pk>/print/",
        casework.DraftPrintView.as_view(),
        name="regulator-draft-print",
    ),
    path(
        "regulator-drafts/<int:pk>/submit/",
        casework.DraftSubmitView.as_view(),
        name="regulator-draft-submit",
    ),
    path("<int:pk>/exposure/", casework.ExposureView.as_view(), name="exposure"),
    path("<int:pk>/exposure.csv", casework.ExposureCsvView.as_view(), name="exposure-csv"),
]

# Subject notification (incidents/subjects/).
from incidents.subjects.urls import urlpatterns as subject_urlpatterns  # noqa: E402

urlpatterns += subject_urlpatterns

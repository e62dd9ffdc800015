from django.urls import path

from dsar.views import dashboard, public, requests

app_name = "dsar"

urlpatterns = [
    path("", requests.RequestListView.as_view(), name="request-list"),
    path("new/", requests.RequestCreateView.as_view(), name="request-new"),
    path("dashboard/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("<int:pk>/", requests.RequestDetailView.as_view(), name="request-detail"),
    path("<int:pk>/handler/", requests.AssignView.as_view(), name="request-assign"),
    path("<int:pk>/send-verification/", requests.SendVerificationView.as_view(), name="request-send-verification"),
    path("<int:pk>/verify/", requests.VerifyOtherwiseView.as_view(), name="request-verify"),
    path("<int:pk>/pause/", requests.PauseView.as_view(), name="request-pause"),
    path("<int:pk>/resume/", requests.ResumeView.as_view(), name="request-resume"),
    path("<int:pk>/extend/", requests.ExtendView.as_view(), name="request-extend"),
    path("<int:pk>/reject/", requests.RejectView.as_view(), name="request-reject"),
    path("<int:pk>/withdraw/", requests.WithdrawView.as_view(), name="request-withdraw"),
    path("<int:pk>/collect/", requests.CollectView.as_view(), name="request-collect"),
    path("tasks/<int:pk>/upload/", requests.TaskUploadView.as_view(), name="task-upload"),
    path("tasks/<int:pk>/retry/", requests.TaskRetryView.as_view(), name="task-retry"),
    # Public: no sign-in.
    path("request/", public.IntakeFormView.as_view(), name="intake"),
    path("verify/<str:token>/", public.VerifyView.as_view(), name="verify"),
]

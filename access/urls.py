from django.urls import path

from access import views

app_name = "access"

urlpatterns = [
    path("requests/", views.RequestListView.as_view(), name="request-list"),
    path("requests/<int:pk>/", views.RequestDetailView.as_view(), name="request-detail"),
    path("grants/", views.GrantListView.as_view(), name="grant-list"),
    path("grants/<int:pk>/", views.GrantDetailView.as_view(), name="grant-detail"),
]

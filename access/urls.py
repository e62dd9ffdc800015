from django.urls import path

from access import views
from access.campaigns.urls import urlpatterns as campaign_urlpatterns

app_name = "access"

urlpatterns = [
    path("requests/", views.RequestListView.as_view(), name="request-list"),
    path("requests/<int:pk>/", views.RequestDetailView.as_view(), name="request-detail"),
    path("requests/<int:pk>/approve/", views.RequestApproveView.as_view(), name="request-approve"),
    path("requests/<int:pk>/deny/", views.RequestDenyView.as_view(), name="request-deny"),
    path("requests/<int:pk>/cancel/", views.RequestCancelView.as_view(), name="request-cancel"),
    path("assets/<int:asset_pk>/request/", views.RequestCreateView.as_view(), name="request-new"),
    path("assets/<int:asset_pk>/break-glass/", views.BreakGlassView.as_view(), name="break-glass"),
    path("review/", views.ReviewQueueView.as_view(), name="review-queue"),
    path("grants/", views.GrantListView.as_view(), name="grant-list"),
    path("grants/<int:pk>/", views.GrantDetailView.as_view(), name="grant-detail"),
    path("grants/<int:pk>/revoke/", views.GrantRevokeView.as_view(), name="grant-revoke"),
    path("grants/<int:pk>/review/", views.BreakGlassReviewView.as_view(), name="break-glass-review"),
]
urlpatterns += campaign_urlpatterns

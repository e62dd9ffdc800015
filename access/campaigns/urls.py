"""Campaign pages, included in ``access.urls`` (namespace ``access``)."""

from django.urls import path

from access.campaigns import views

urlpatterns = [
    path("campaigns/", views.CampaignListView.as_view(), name="campaign-list"),
    path("campaigns/new/", views.CampaignCreateView.as_view(), name="campaign-new"),
    path("campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="campaign-detail"),
    path("campaigns/<int:pk>/summary/", views.CampaignSummaryView.as_view(), name="campaign-summary"),
    path("campaigns/<int:pk>/launch/", views.CampaignLaunchView.as_view(), name="campaign-launch"),
    path("campaigns/<int:pk>/close/", views.CampaignCloseView.as_view(), name="campaign-close"),
    path("campaigns/<int:pk>/queue/", views.CampaignQueueView.as_view(), name="campaign-queue"),
    path("campaigns/<int:pk>/decide/", views.CampaignDecideView.as_view(), name="campaign-decide"),
    path("review-items/<int:pk>/", views.ItemDetailView.as_view(), name="review-item"),
    path("review-items/<int:pk>/decide/", views.ItemDecideView.as_view(), name="review-item-decide"),
    path("review-items/<int:pk>/delegate/", views.ItemDelegateView.as_view(), name="review-item-delegate"),
    path("review-items/<int:pk>/reassign/", views.ItemReassignView.as_view(), name="review-item-reassign"),
]

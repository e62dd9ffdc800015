"""Pages of the package, delivery and erasure (in the ``dsar`` namespace, included by dsar/urls.py)."""

from django.urls import path

from dsar.package import views

urlpatterns = [
    path("<int:pk>/package/build/", views.BuildView.as_view(), name="package-build"),
    path("<int:pk>/package/approve/", views.ApproveView.as_view(), name="package-approve"),
    path("<int:pk>/package/send/", views.SendView.as_view(), name="package-send"),
    path("<int:pk>/package/resend/", views.ResendView.as_view(), name="package-resend"),
    path("<int:pk>/package/revoke/", views.RevokeView.as_view(), name="package-revoke"),
    path("<int:pk>/package/misdelivery/", views.MisdeliveryView.as_view(), name="package-misdelivery"),
    path("items/<int:pk>/discard/", views.DiscardItemView.as_view(), name="item-discard"),
    path("<int:pk>/erasure/start/", views.ErasureStartView.as_view(), name="erasure-start"),
    path("<int:pk>/erasure/complete/", views.ErasureCompleteView.as_view(), name="erasure-complete"),
    path("erasure/", views.ErasureQueueView.as_view(), name="erasure-queue"),
    path("erasure/<int:pk>/", views.ErasureTaskView.as_view(), name="erasure-task"),
    path("erasure/<int:pk>/confirm/", views.ErasureConfirmView.as_view(), name="erasure-confirm"),
    path("erasure/<int:pk>/hold/", views.ErasureHoldView.as_view(), name="erasure-hold"),
    # Public: no sign-in; the token is the key.
    path("download/<str:token>/", views.DownloadView.as_view(), name="package-download"),
]

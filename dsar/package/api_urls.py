"""Paths of the package, delivery and erasure API, with and without a trailing slash (included by dsar/api/urls.py)."""

from django.urls import re_path

from dsar.package import api
from portal.api.routers import Router

router = Router()
router.register("dsar/erasure-tasks", api.ErasureTaskViewSet, basename="api-dsar-erasure-task")

ID = r"(?P<pk>[0-9]+)"

urlpatterns = [
    re_path(rf"^dsar/{ID}/package/?$", api.PackageView.as_view(), name="api-dsar-package"),
    re_path(rf"^dsar/{ID}/package/approve/?$", api.PackageApproveView.as_view(), name="api-dsar-package-approve"),
    re_path(rf"^dsar/{ID}/package/send/?$", api.PackageSendView.as_view(), name="api-dsar-package-send"),
    re_path(rf"^dsar/{ID}/package/resend/?$", api.PackageResendView.as_view(), name="api-dsar-package-resend"),
    re_path(rf"^dsar/{ID}/package/revoke/?$", api.PackageRevokeView.as_view(), name="api-dsar-package-revoke"),
    re_path(
        rf"^dsar/{ID}/package/misdelivery/?$", api.PackageMisdeliveryView.as_view(), name="api-dsar-package-misdelivery"
    ),
    re_path(rf"^dsar/items/{ID}/discard/?$", api.ItemDiscardView.as_view(), name="api-dsar-item-discard"),
    re_path(rf"^dsar/{ID}/erasure/?$", api.ErasureStartView.as_view(), name="api-dsar-erasure"),
    re_path(rf"^dsar/{ID}/erasure/complete/?$", api.ErasureCompleteView.as_view(), name="api-dsar-erasure-complete"),
    re_path(
        rf"^dsar/erasure-tasks/{ID}/confirm/?$", api.ErasureConfirmView.as_view(), name="api-dsar-erasure-task-confirm"
    ),
    re_path(rf"^dsar/erasure-tasks/{ID}/hold/?$", api.ErasureHoldView.as_view(), name="api-dsar-erasure-task-hold"),
    *router.urls,
]

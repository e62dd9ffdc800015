from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal.api.audit import AuditEventViewSet
from portal.api.routers import Router
from portal.api.views import AssetViewSet, TokenView

router = Router()
router.register("assets", AssetViewSet, basename="api-asset")
router.register("audit-events", AuditEventViewSet, basename="api-audit-event")

urlpatterns = [
    re_path(r"^auth/token/?$", TokenView.as_view(), name="api-token"),
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI styles its widgets inline; scripts stay 'self' only.
    re_path(
        r"^docs/?$",
        csp_update({"style-src": [SELF, UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    *router.urls,
]

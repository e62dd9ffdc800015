from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from portal import views, views_audit, web

urlpatterns = [
    # The decision point first: every data system calls it on every read (access/api/check_urls.py).
    path("", include("access.api.check_urls")),
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("assets/", views.AssetListView.as_view(), name="asset-list"),
    path("assets/<int:pk>/", views.AssetDetailView.as_view(), name="asset-detail"),
    path("people/", views.PeopleListView.as_view(), name="people-list"),
    path("people/<int:pk>/", views.PersonDetailView.as_view(), name="person-detail"),
    path("people/<int:pk>/revoke-all/", views.PersonRevokeAllView.as_view(), name="person-revoke-all"),
    path("people/<int:pk>/reinstate/", views.PersonReinstateView.as_view(), name="person-reinstate"),
    path("audit/", views_audit.AuditEventListView.as_view(), name="audit-list"),
    path("audit/export.csv", views_audit.AuditEventExportView.as_view(), name="audit-export"),
    path("admin/", admin.site.urls),
    path("access/", include("access.urls")),
    path("incidents/", include("incidents.urls")),
    path("dsar/", include("dsar.urls")),
    path("api/", include("portal.api.urls")),
    path("api/", include("access.api.urls")),
    path("api/", include("incidents.api.urls")),
    path("api/", include("dsar.api.urls")),
    # Keep last: any other /api/ path is a JSON 404, DEBUG or not.
    re_path(r"^api(?:/|$)", web.api_not_found, name="api-not-found"),
]

handler400 = "portal.web.bad_request"
handler403 = "portal.web.permission_denied"
handler404 = "portal.web.page_not_found"
handler500 = "portal.web.server_error"

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("assets/", views.AssetListView.as_view(), name="asset-list"),
    path("assets/<int:pk>/", views.AssetDetailView.as_view(), name="asset-detail"),
    path("people/", views.PeopleListView.as_view(), name="people-list"),
    path("people/<int:pk>/", views.PersonDetailView.as_view(), name="person-detail"),
    path("people/<int:pk>/revoke-all/", views.PersonRevokeAllView.as_view(), name="person-revoke-all"),
    path("people/<int:pk>/reinstate/", views.PersonReinstateView.as_view(), name="person-reinstate"),
    path("admin/", admin.site.urls),
    path("access/", include("access.urls")),
    path("api/", include("portal.api.urls")),
    path("api/", include("access.api.urls")),
]

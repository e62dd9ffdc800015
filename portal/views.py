from __future__ import annotations

from django.views.generic import DetailView, ListView, TemplateView

from portal import panels, selectors
from portal.models import Sensitivity
from portal.web import PortalViewMixin, query_bool


class DashboardView(PortalViewMixin, TemplateView):
    template_name = "portal/dashboard.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(panels=panels.render("dashboard", self.request), **kwargs)


class AssetListView(PortalViewMixin, ListView):
    template_name = "portal/asset_list.html"
    context_object_name = "assets"
    paginate_by = 50

    def get_queryset(self):
        self.usable = query_bool(self.request, "usable")
        return selectors.asset_list(user=self.request.user, filters=self.request.GET, usable=self.usable)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            sensitivities=Sensitivity.choices,
            q=self.request.GET.get("q", ""),
            chosen=self.request.GET.getlist("sensitivity"),
            usable=self.usable,
            **kwargs,
        )


class AssetDetailView(PortalViewMixin, DetailView):
    template_name = "portal/asset_detail.html"
    context_object_name = "asset"

    def get_object(self, queryset=None):
        return selectors.asset_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            reviewers=selectors.asset_reviewers(self.object),
            panels=panels.render("asset", self.request, self.object),
            **kwargs,
        )

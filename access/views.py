from django.views.generic import DetailView, ListView

from access import selectors
from portal.web import PortalViewMixin


class RequestListView(PortalViewMixin, ListView):
    template_name = "access/request_list.html"
    context_object_name = "requests"
    paginate_by = 50

    def get_queryset(self):
        return selectors.request_list(user=self.request.user, filters=self.request.GET)


class RequestDetailView(PortalViewMixin, DetailView):
    template_name = "access/request_detail.html"
    context_object_name = "req"

    def get_object(self, queryset=None):
        return selectors.request_get(user=self.request.user, pk=self.kwargs["pk"])


class GrantListView(PortalViewMixin, ListView):
    template_name = "access/grant_list.html"
    context_object_name = "grants"
    paginate_by = 50

    def get_queryset(self):
        return selectors.grant_list(user=self.request.user, filters=self.request.GET)


class GrantDetailView(PortalViewMixin, DetailView):
    template_name = "access/grant_detail.html"
    context_object_name = "grant"

    def get_object(self, queryset=None):
        return selectors.grant_get(user=self.request.user, pk=self.kwargs["pk"])

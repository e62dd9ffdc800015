"""Actions started from an asset's page: asking for access and breaking the glass."""

from __future__ import annotations

from django.utils import timezone
from django.views.generic import TemplateView

from access import services
from access.forms import BreakGlassForm, RequestForm
from portal import selectors as portal_selectors
from portal.errors import Conflict, ValidationError
from portal.web import PortalViewMixin, submit


class AssetActionView(PortalViewMixin, TemplateView):
    """GET shows the form on its own page; POST calls the service; field errors re-show the form."""

    template_name: str

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.asset = None

    def get_asset(self):
        if self.asset is None:
            self.asset = portal_selectors.asset_get(user=self.request.user, pk=self.kwargs["asset_pk"])
        return self.asset

    def make_form(self, data=None):
        raise NotImplementedError

    def perform(self, form):
        """Call the one service; return ``(object, success message)``."""
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        return self.show(self.make_form())

    def post(self, request, *args, **kwargs):
        form = self.make_form(request.POST)

        def change(data):
            obj, message = self.perform(form)
            return message, obj

        return submit(request, form, change, errors=(ValidationError, Conflict)) or self.show(form)

    def show(self, form):
        asset = self.get_asset()
        return self.render_to_response(
            {"asset": asset, "form": form, "reviewers": portal_selectors.asset_reviewers(asset)}
        )


class RequestCreateView(AssetActionView):
    template_name = "access/request_form.html"

    def make_form(self, data=None):
        return RequestForm(data, asset=self.get_asset())

    def perform(self, form):
        req = services.request_create(actor=self.request.user, asset=self.get_asset(), **form.cleaned_data)
        return req, f"Request #{req.pk} sent. You will get an e-mail when it is decided."


class BreakGlassView(AssetActionView):
    template_name = "access/break_glass_form.html"

    def make_form(self, data=None):
        return BreakGlassForm(data)

    def perform(self, form):
        grant = services.break_glass_open(actor=self.request.user, asset=self.get_asset(), **form.cleaned_data)
        return grant, (
            f"Emergency access to {grant.asset} until {timezone.localtime(grant.expires_at):%H:%M %Z}. "
            "Its reviewers and the privacy officers have been told and will review it within 24 hours."
        )

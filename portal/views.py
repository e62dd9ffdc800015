from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.views import View
from django.views.generic import DetailView, TemplateView

from portal import offboarding, panels, permissions, selectors
from portal.errors import ValidationError
from portal.forms import ReasonForm
from portal.lists import FilteredListView
from portal.models import ROLE_LABELS
from portal.web import PortalViewMixin, submit


class DashboardView(PortalViewMixin, TemplateView):
    template_name = "portal/dashboard.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(panels=panels.render("dashboard", self.request), **kwargs)


class AssetListView(FilteredListView):
    template_name = "portal/asset_list.html"
    context_object_name = "assets"
    filterset_class = selectors.AssetFilter

    def select(self, filters):
        return selectors.asset_list(user=self.request.user, filters=filters)


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


# --- People (access admins; privacy officers and auditors read) ---------------------


class PeopleListView(FilteredListView):
    template_name = "portal/people_list.html"
    context_object_name = "people"
    filterset_class = selectors.PeopleFilter

    def select(self, filters):
        return selectors.people_list(user=self.request.user, filters=filters)


class PersonDetailView(PortalViewMixin, TemplateView):
    template_name = "portal/person_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        person = selectors.person_get(user=user, pk=self.kwargs["pk"])
        return super().get_context_data(
            person=person,
            roles=[ROLE_LABELS.get(g.name, g.name) for g in person.groups.all()],
            reviews=selectors.person_reviews(person),
            history=selectors.person_history(person),
            panels=panels.render("person", self.request, person),
            may_offboard=permissions.has(user, "portal.offboard_user"),
            may_reinstate=person.is_offboarded and permissions.has(user, "portal.reinstate_user"),
            reinstate_form=ReasonForm(auto_id="reinstate_%s"),
            **kwargs,
        )


class PersonRevokeAllView(PortalViewMixin, TemplateView):
    """GET: exactly what offboarding will take away, and a reason to give. POST: do it."""

    template_name = "portal/person_revoke_all.html"

    def get_person(self):
        # The right first, then the lookup: no probing of ids (403, never 404, without it).
        permissions.require(
            self.request.user, "portal.offboard_user", "Only access admins and privacy officers offboard."
        )
        return selectors.person_get(user=self.request.user, pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        return self.show(self.get_person(), ReasonForm())

    def post(self, request, *args, **kwargs):
        person = self.get_person()
        form = ReasonForm(request.POST)

        def offboard(data):
            offboarding.user_offboard(actor=request.user, user=person, reason=data["reason"])
            return f"{person} is offboarded: their access and pending requests are gone.", person

        return submit(request, form, offboard, errors=ValidationError) or self.show(person, form)

    def show(self, person, form):
        sections = offboarding.preview(person)
        return self.render_to_response(
            {"person": person, "sections": sections, "form": form, "nothing": not any(s["items"] for s in sections)}
        )


class PersonReinstateView(PortalViewMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        permissions.require(request.user, "portal.reinstate_user", "Only access admins reinstate people.")
        person = selectors.person_get(user=request.user, pk=pk)
        form = ReasonForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        offboarding.user_reinstate(actor=request.user, user=person, reason=reason)
        messages.success(request, f"{person} is reinstated and may request access again.")
        return redirect(person)

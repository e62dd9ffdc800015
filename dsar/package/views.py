"""Pages of the package, its delivery and the erasure: actions on the request page, the misdelivery
confirmation, the reviewers' erasure queue, and the public download page.

Every action is a POST that calls one service; a refusal is a message on the request page (403 and
404 stay pages). The download page shows what the link holds and counts nothing: the ZIP comes from
its POST, so a mail scanner that follows links cannot spend the subject's three downloads.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import ListView, TemplateView

from dsar.delivery import services as delivery
from dsar.delivery.misdelivery import package_misdelivered
from dsar.erasure import services as erasure
from dsar.erasure.selectors import erasure_queue, mark_confirmable
from dsar.models import MAX_REASON, Download, Item, Request
from dsar.package import services
from dsar.package.selectors import shown_package, visible_request
from dsar.services.common import VIEW
from portal import permissions
from portal.errors import DomainError, Gone, NotFound
from portal.web import PortalViewMixin, submit


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(
        label="What happened",
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Who received it instead, and how you learnt of it.",
    )


def _section(req: Request) -> str:
    return req.get_absolute_url() + "#package"


class ActionView(PortalViewMixin, View):
    """A POST on a request the user can see (404 otherwise); a domain refusal becomes a message."""

    http_method_names = ["post"]
    form_class: type[forms.Form] | None = None
    done = "Done."

    def target(self, pk) -> Request:
        return visible_request(self.request.user, pk)

    def post(self, request, pk):
        req = self.target(pk)
        data = {}
        if self.form_class is not None:
            form = self.form_class(request.POST)
            if not form.is_valid():
                for field, errors in form.errors.items():
                    messages.error(request, f"{field}: {' '.join(errors)}")
                return redirect(_section(req))
            data = form.cleaned_data
        try:
            done = self.perform(req, data)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, exc.message)
            if exc.fields and exc.code != "subject_mismatch":  # the guard's items are listed in the section
                for field, texts in exc.fields.items():
                    messages.error(request, f"{field}: {' '.join(texts)}")
        else:
            messages.success(request, done or self.done)
        return redirect(_section(req))

    def perform(self, req: Request, data: dict) -> str | None:
        raise NotImplementedError


class BuildView(ActionView):
    def perform(self, req, data):
        package = services.package_build(actor=self.request.user, request=req)
        if package.is_building:
            return f"Building the package of {package.items_expected} items: this page shows when it is ready."
        return f"Package built: {package.item_count} items. A second person must now approve it."


class ApproveView(ActionView):
    done = "Package approved. The request is ready to send."

    def perform(self, req, data):
        services.package_approve(actor=self.request.user, request=req)


class SendView(ActionView):
    def perform(self, req, data):
        link = delivery.package_send(actor=self.request.user, request=req)
        return f"Download link mailed to {link.sent_to}; it works for 7 days, {link.max_downloads} downloads."


class ResendView(ActionView):
    def perform(self, req, data):
        link = delivery.package_resend(actor=self.request.user, request=req)
        return f"A new download link was mailed to {link.sent_to}; the old one stays dead."


class RevokeView(ActionView):
    form_class, done = ReasonForm, "Link revoked: it opens nothing any more."

    def perform(self, req, data):
        delivery.link_revoke(actor=self.request.user, request=req, **data)


class DiscardItemView(ActionView):
    form_class, done = ReasonForm, "Item taken out of the request."

    def target(self, pk):
        visible = permissions.visible(self.request.user, VIEW, Request.objects.all())
        self.item = permissions.get_visible(Item.objects.filter(request__in=visible).select_related("request"), pk)
        return self.item.request

    def perform(self, req, data):
        services.item_discard(actor=self.request.user, item=self.item, **data)


class MisdeliveryView(PortalViewMixin, TemplateView):
    """Asks first, on its own page: what the one action does and the downloads already made."""

    template_name = "dsar/package/misdelivery.html"

    def get_context_data(self, **kwargs):
        req = visible_request(self.request.user, self.kwargs["pk"])
        package = shown_package(req)
        downloads = list(Download.objects.filter(link__package=package).order_by("at", "pk")[:50]) if package else []
        return {**super().get_context_data(**kwargs), "req": req, "package": package, "downloads": downloads}

    def get(self, request, *args, **kwargs):
        return self.render_to_response({**self.get_context_data(**kwargs), "form": NoteForm()})

    def post(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        form = NoteForm(request.POST)

        def report(data):
            incident = package_misdelivered(actor=request.user, request=context["req"], **data)
            message = f"Link revoked, files purged, incident {incident.reference} opened: its clocks run now."
            return message, reverse("incidents:incident-detail", args=[incident.pk])

        return submit(request, form, report) or self.render_to_response({**context, "form": form})


# --- Erasure ------------------------------------------------------------------------------------


class ErasureStartView(ActionView):
    done = "Erasure started: each asset's reviewers are asked to confirm it."

    def perform(self, req, data):
        erasure.erasure_start(actor=self.request.user, request=req)


class ErasureCompleteView(ActionView):
    done = "Erasure complete: the record was mailed to the subject."

    def perform(self, req, data):
        erasure.erasure_complete(actor=self.request.user, request=req)


class ErasureQueueView(PortalViewMixin, ListView):
    """The erasure tasks waiting on the user (assets they review, requests they work)."""

    template_name = "dsar/erasure/queue.html"
    context_object_name = "tasks"
    paginate_by = 50

    def get_queryset(self):
        return erasure_queue(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        mark_confirmable(self.request.user, list(context["tasks"]))
        return context


class ErasureTaskView(PortalViewMixin, TemplateView):
    template_name = "dsar/erasure/task.html"

    def get_context_data(self, **kwargs):
        task = erasure.erasure_task_get(user=self.request.user, pk=self.kwargs["pk"])
        mark_confirmable(self.request.user, [task])
        may_hold = task.may_confirm or (
            permissions.has(self.request.user, "dsar.change_request", task.request)
            and task.status in ("pending", "failed")
        )
        return {**super().get_context_data(**kwargs), "task": task, "may_hold": may_hold, "form": ReasonForm()}


class ErasureTaskActionView(PortalViewMixin, View):
    http_method_names = ["post"]
    form_class: type[forms.Form] | None = None

    def post(self, request, pk):
        task = erasure.erasure_task_get(user=request.user, pk=pk)
        data = {}
        if self.form_class is not None:
            form = self.form_class(request.POST)
            if not form.is_valid():
                messages.error(request, "Give the legal reason to keep the data.")
                return redirect("dsar:erasure-task", pk=task.pk)
            data = form.cleaned_data
        try:
            message = self.perform(task, data)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, exc.message)
        else:
            messages.success(request, message)
        return redirect("dsar:erasure-task", pk=task.pk)


class ErasureConfirmView(ErasureTaskActionView):
    def perform(self, task, data):
        done = erasure.erasure_confirm(actor=self.request.user, task=task)
        if done.method == "connector":
            return f"Confirmed: the connector is erasing the subject's data from {done.asset}."
        return f"Confirmed: you erased the subject's data from {done.asset}."


class ErasureHoldView(ErasureTaskActionView):
    form_class = ReasonForm

    def perform(self, task, data):
        erasure.erasure_hold(actor=self.request.user, task=task, **data)
        return "Legal hold recorded: the data stays, and the subject will be told why."


# --- Public download ------------------------------------------------------------------------------


def _client_address(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class DownloadView(View):
    """No sign-in: the token is the key. GET shows the page (410 once the link is dead), POST sends the ZIP."""

    http_method_names = ["get", "post"]
    template_name = "dsar/package/download.html"

    def _page(self, request, offer, status=200):
        context = {"offer": offer, "now": timezone.now()}
        return render(request, self.template_name, context, status=status)

    def get(self, request, token):
        try:
            offer = delivery.download_offer(token=token)
        except NotFound:
            return render(request, self.template_name, {"offer": None}, status=404)
        return self._page(request, offer, 200 if offer.state == "live" else 410)

    def post(self, request, token):
        try:
            package, handle = delivery.download_take(
                token=token, address=_client_address(request), client=request.headers.get("user-agent", "")
            )
        except NotFound:
            return render(request, self.template_name, {"offer": None}, status=404)
        except Gone:
            return self._page(request, delivery.download_offer(token=token), 410)
        response = FileResponse(
            handle, as_attachment=True, filename=f"{package.request.reference}.zip", content_type="application/zip"
        )
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response

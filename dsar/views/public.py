"""Pages without sign-in: the public request form and the verification link's page."""

from __future__ import annotations

from django.shortcuts import render
from django.views import View

from dsar import forms, services, throttle
from dsar.api.views import INTAKE_ANSWER
from portal.errors import DomainError, ValidationError
from portal.web import apply_to_form


class IntakeFormView(View):
    """The same answer whether or not we know the subject; throttled like the API."""

    template_name = "dsar/public_intake.html"

    def get(self, request):
        return render(request, self.template_name, {"form": forms.IntakeForm()})

    def post(self, request):
        form = forms.IntakeForm(request.POST)
        email = request.POST.get("email", "")
        wait = throttle.intake_wait(client=throttle.client_of(request), email=email if isinstance(email, str) else "")
        if wait:
            response = render(request, self.template_name, {"form": form, "throttled": wait}, status=429)
            response["Retry-After"] = str(wait)
            return response
        if form.is_valid():
            try:
                services.request_intake(**form.cleaned_data)
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                return render(request, self.template_name, {"sent": INTAKE_ANSWER["detail"]})
        return render(request, self.template_name, {"form": form})


class VerifyView(View):
    """``GET /dsar/verify/{token}/``: opening the mailed link verifies the request (once)."""

    template_name = "dsar/verify.html"

    def get(self, request, token):
        try:
            verified = services.verification_confirm(token=token)
        except DomainError as exc:
            return render(request, self.template_name, {"error": exc.message, "code": exc.code}, status=exc.status)
        return render(request, self.template_name, {"reference": verified.reference})

"""Turns domain errors into what a person sees in the browser, in one place."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from portal.errors import DomainError, Forbidden, NotFound


def apply_to_form(form, exc: DomainError) -> None:
    """Show a service's per-field messages on the form it came from."""
    for field, msgs in exc.fields.items():
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)
    if not exc.fields:
        form.add_error(None, exc.message)


def back(request, fallback: str = "dashboard"):
    target = request.POST.get("next") or request.headers.get("referer")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


class PortalViewMixin(LoginRequiredMixin):
    """Sign-in required; NotFound is 404, Forbidden 403, any other domain error a message."""

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            messages.error(request, exc.message)
            return back(request)


def locked_out(request, credentials, *args, **kwargs):
    """django-axes lockout: JSON in the API's error shape for API clients, a page for people."""
    from django.http import JsonResponse
    from django.shortcuts import render

    message = "Too many failed sign-ins. Try again in 15 minutes."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)

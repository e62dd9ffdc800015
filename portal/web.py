"""Turns domain errors into what a person sees in the browser, in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt

from portal.errors import DomainError, Forbidden, NotFound

RACE_MESSAGE = "This conflicts with a change made at the same moment. Reload and try again."


def apply_to_form(form, exc: DomainError) -> None:
    """Show a service's per-field messages on the form it came from."""
    for field, msgs in exc.fields.items():
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)
    if not exc.fields:
        form.add_error(None, exc.message)


def submit(
    request,
    form,
    action: Callable[[dict], tuple[str, Any]],
    *,
    errors: type[DomainError] | tuple[type[DomainError], ...] = DomainError,
) -> HttpResponse | None:
    """A form post that calls one service: ``action(form.cleaned_data)`` returns the success message and where to
    go (an object or URL for ``redirect``, or a response). ``None`` means re-render the form: it is invalid, or
    the service refused with one of ``errors``, now shown on it. A 403 or 404 goes on to the mixin's pages, and
    errors not listed to its message and redirect back."""
    if not form.is_valid():
        return None
    try:
        message, target = action(form.cleaned_data)
    except errors as exc:
        if exc.status in (403, 404):
            raise
        apply_to_form(form, exc)
        return None
    messages.success(request, message)
    return target if isinstance(target, HttpResponse) else redirect(target)


def on_site(request, target: str | None) -> str:
    """``target`` if it is a page of this site (safe to redirect to or to link), else ``""``."""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def back(request, fallback: str = "dashboard", *, referer: bool = True):
    """Where to go after an action: the form's ``next``, else (with ``referer``) the page the user came from,
    else ``fallback`` (a URL, a URL name or an object); only ever a page of this site."""
    target = on_site(request, request.POST.get("next") or (request.headers.get("referer") if referer else None))
    if target and urlsplit(target).path == request.path:
        # Back to the page that just refused (a confirmation page posted twice, whose GET now refuses
        # too, and browsers keep the referer across redirects): that would redirect forever.
        target = ""
    return redirect(target or fallback)


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
            # No form here to mark the fields on: say what is wrong, not only "Some fields are not valid."
            fields = [m for msgs in exc.fields.values() for m in msgs]
            generic = exc.message == exc.default_message
            messages.error(request, " ".join(fields) if fields and generic else exc.message)
            return back(request)
        except IntegrityError:
            # A race the service did not name (those raise Conflict): a message, never a 500.
            messages.error(request, RACE_MESSAGE)
            return back(request)


def locked_out(request, credentials, *args, **kwargs):
    """django-axes lockout: JSON in the API's error shape for API clients, a page for people."""
    from django.http import JsonResponse
    from django.shortcuts import render

    message = "Too many failed sign-ins. Try again in 15 minutes."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


# --- Error handlers (portal/urls.py): JSON under /api/, the HTML page elsewhere ---------


def is_api(request) -> bool:
    return request.path_info == "/api" or request.path_info.startswith("/api/")


def _json_error(status: int, message: str, code: str) -> JsonResponse:
    # The API's error shape (portal/api/exceptions.py), for answers that never reach a DRF view.
    return JsonResponse({"detail": message, "code": code}, status=status)


@csrf_exempt  # it changes nothing; a POST to a path that does not exist is a 404, not a CSRF failure
def api_not_found(request, *args, **kwargs):
    """The last /api/ route: JSON even with DEBUG on, where Django would show its HTML 404 page."""
    return _json_error(404, "Not found.", "not_found")


def bad_request(request, exception=None):
    if is_api(request):
        return _json_error(400, "Bad request.", "bad_request")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if is_api(request):
        return _json_error(403, "You may not do this.", "forbidden")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def csrf_failure(request, reason=""):
    if is_api(request):
        return _json_error(403, f"CSRF check failed: {reason}", "csrf_failed")
    return csrf.csrf_failure(request, reason)


def server_error(request):
    if is_api(request):
        return _json_error(500, "Server error. It has been logged.", "server_error")
    return defaults.server_error(request)

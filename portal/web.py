"""Turns domain errors into what a person sees in the browser, in one place."""

from __future__ import annotations

from contextlib import contextmanager

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from portal.errors import DomainError, Forbidden, NotFound
from portal.params import BOOL_HELP, parse_bool


def apply_to_form(form, exc: DomainError) -> None:
    """Show a service's per-field messages on the form it came from."""
    for field, msgs in exc.fields.items():
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)
    if not exc.fields:
        form.add_error(None, exc.message)


def back(request, fallback: str = "dashboard", *, referer: bool = True):
    """Where to go after an action: the form's ``next``, else (with ``referer``) the page the user came from,
    else ``fallback`` (a URL, a URL name or an object); only ever a page of this site."""
    target = request.POST.get("next") or (request.headers.get("referer") if referer else None)
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


def query_bool(request, name: str, default: bool = False) -> bool:
    """A yes/no query parameter on a page; a malformed one is a message and counts as ``default``."""
    try:
        return parse_bool(request.GET.get(name), name=name, default=default)
    except DomainError as exc:
        messages.error(request, f"{exc.message} {BOOL_HELP}")
        return default


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


@contextmanager
def admin_errors():
    """In the admin a refused service call is a 403 page; its form already checked the fields."""
    try:
        yield
    except (Forbidden, NotFound) as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        raise PermissionDenied(f"Not saved: {exc.message} {exc.fields or ''}") from exc


def locked_out(request, credentials, *args, **kwargs):
    """django-axes lockout: JSON in the API's error shape for API clients, a page for people."""
    from django.http import JsonResponse
    from django.shortcuts import render

    message = "Too many failed sign-ins. Try again in 15 minutes."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)

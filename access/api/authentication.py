"""Authentication and permission of the decision point's DRF view.

A service's ordinary call never reaches them: :mod:`access.api.check` answers
it with one statement. They answer everything else the usual way: a session
(a person holding ``access.check_access`` trying the endpoint), and the
refusals, so those keep DRF's statuses and the API's error shape.
"""

from __future__ import annotations

from drf_spectacular.authentication import TokenScheme
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import BasePermission

from access.services.decision import CHECK_PERMISSION
from portal import permissions


class CheckTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, under its own name so the schema can say which tokens are accepted."""


class CheckTokenScheme(TokenScheme):
    """The schema names this as its own scheme: the same header, but only service tokens are accepted."""

    target_class = CheckTokenAuthentication
    name = "serviceTokenAuth"
    priority = 0

    def get_security_definition(self, auto_schema):
        return {
            **super().get_security_definition(auto_schema),
            "description": f"Token of a user holding {CHECK_PERMISSION}.",
        }


class MayCheckAccess(BasePermission):
    """Callers holding ``access.check_access`` globally: services by token, people by session."""

    message = "Only services holding the access.check_access permission may ask the decision point."

    def has_permission(self, request, view) -> bool:
        return permissions.has(request.user, CHECK_PERMISSION)

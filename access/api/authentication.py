"""Authentication and permission for the decision point, the portal's hot path.

Data systems call ``POST /api/access/check`` on every read they serve, so the
caller's token, its user and whether that user holds the global permission
``access.check_access`` are answered by ONE query, and the grant lookup in
``access.services.check_access`` is the second. The default path
(``TokenAuthentication`` then ``user.has_perm``) would take three or four.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from drf_spectacular.authentication import TokenScheme
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.permissions import BasePermission

from portal import permissions

CHECK_PERMISSION = "access.check_access"
_FLAG = "_may_check_access"


def _holds_globally(perm: str, user_ref: OuterRef) -> Q:
    """SQL for ``user.has_perm(perm)`` without an object: superuser, own permission or a group's.

    The same answer as :func:`portal.permissions.has` gives for a global
    permission, as one expression that can ride along another query.
    """
    app_label, codename = perm.split(".", 1)
    User = get_user_model()
    direct = User.user_permissions.through.objects.filter(
        user_id=user_ref, permission__codename=codename, permission__content_type__app_label=app_label
    )
    via_group = User.groups.through.objects.filter(
        user_id=user_ref,
        group__permissions__codename=codename,
        group__permissions__content_type__app_label=app_label,
    )
    return Q(user__is_superuser=True) | Exists(direct) | Exists(via_group)


class CheckTokenAuthentication(TokenAuthentication):
    """Token authentication that also learns, in the same query, whether the caller may ask the decision point."""

    def authenticate_credentials(self, key):
        may_check = ExpressionWrapper(_holds_globally(CHECK_PERMISSION, OuterRef("user_id")), BooleanField())
        try:
            token = Token.objects.select_related("user").annotate(may_check=may_check).get(key=key)
        except Token.DoesNotExist as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        setattr(token.user, _FLAG, bool(token.may_check))
        return token.user, token


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
    """Service callers holding ``access.check_access`` globally; humans signed in by session are asked the usual way."""

    message = "Only services holding the access.check_access permission may ask the decision point."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        flag = getattr(user, _FLAG, None)
        return flag if flag is not None else permissions.has(user, CHECK_PERMISSION)

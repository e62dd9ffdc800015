from rest_framework.permissions import BasePermission


class IsActiveUser(BasePermission):
    """Signed in and active. Object rights are checked by services and selectors, not here."""

    message = "Sign in first."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)

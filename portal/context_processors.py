from django.conf import settings

from portal import panels, permissions


def portal(request) -> dict:
    user = request.user
    return {
        "organisation_name": settings.ORGANISATION_NAME,
        "is_access_admin": permissions.is_access_admin(user),
        "is_privacy_officer": permissions.is_privacy_officer(user),
        "is_auditor": permissions.is_auditor(user),
        "nav_items": panels.nav_for(user) if user.is_authenticated else [],
    }

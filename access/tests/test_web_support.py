"""Helpers shared by the access web tests (no tests here): requests made through the real service."""

from django.contrib.messages import get_messages

from access import services
from access.tests.factories import JUSTIFICATION
from portal.tests.factories import DataAssetFactory


def ask(user, asset, scope="use", days=30):
    """A pending request, as the request form would make it."""
    return services.request_create(
        actor=user, asset=asset, scope=scope, justification=JUSTIFICATION, duration_days=days, ticket="DATA-1234"
    )


def said(response) -> list[str]:
    """The messages a response left for the next page."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def restricted_asset(*reviewers):
    """A restricted asset: two approvals by two different reviewers."""
    return DataAssetFactory(name="Doorbell video feeds", sensitivity="restricted", reviewers=list(reviewers))

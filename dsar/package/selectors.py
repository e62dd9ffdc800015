"""What the request page shows of the package, its delivery and the erasure (constant queries each)."""

from __future__ import annotations

from django.utils import timezone

from dsar.models import Download, Package, Request
from dsar.package import guard
from dsar.package.services import BUILDABLE
from dsar.services.common import CHANGE, VIEW
from portal import permissions

# Downloads listed on the page (the newest); all of them go into a misdelivery incident.
DOWNLOADS_SHOWN = 20


def visible_request(user, pk) -> Request:
    """The request ``pk`` if ``user`` may see it; 404 for a missing and a hidden one alike."""
    return permissions.get_visible(Request.objects.all(), pk, user=user, perm=VIEW)


def shown_package(req: Request, *related: str) -> Package | None:
    """The request's current package as pages and the API show it: one query, and never its manifest
    (a row per item, megabytes at 10,000); what it holds per source is ``package.sources``."""
    return (
        Package.objects.current()
        .without_manifest()
        .filter(request=req)
        .select_related("built_by", "approved_by", *related)
        .first()
    )


def package_section(http_request, req: Request) -> dict | None:
    """The package part of the request page: guard state, the package, its links and downloads, what the user may do."""
    if req.type not in BUILDABLE or req.status in (
        Request.Status.RECEIVED,
        Request.Status.VERIFYING,
        Request.Status.VERIFIED,
        Request.Status.COLLECTING,
    ):
        return None
    user = http_request.user
    may_work = permissions.has(user, CHANGE, req)
    package = shown_package(req, "misdelivery_incident")
    in_review = req.status == Request.Status.REVIEW
    foreign, foreign_total = guard.mismatched(req) if in_review else ([], 0)
    links, downloads = [], []
    if package is not None:
        now = timezone.now()
        links = list(package.links.select_related("sent_by", "revoked_by").order_by("-created_at", "-pk"))
        for link in links:
            setattr(link, "shown_state", link.state(now))  # noqa: B010  (read by the template)
        downloads = list(Download.objects.filter(link__package=package).order_by("-at", "-pk")[:DOWNLOADS_SHOWN])
    sent = bool(links)
    building = package is not None and package.is_building
    live = any(link.state() == "live" for link in links)
    return {
        "req": req,
        "package": package,
        "sources": package.sources if package else [],
        "foreign": foreign,
        "foreign_total": foreign_total,
        "links": links,
        "live": live,
        # The page reloads itself until the build is done (no JavaScript; read by the request page's view).
        "refresh": building,
        "downloads": downloads,
        "may_build": may_work and in_review and not building,
        "may_approve": may_work
        and in_review
        and package is not None
        and package.is_built
        and not package.is_approved
        and package.built_by_id != user.pk,
        "built_by_me": package is not None and package.is_built and package.built_by_id == user.pk,
        "may_send": may_work and req.status == Request.Status.READY,
        "may_revoke": may_work and live,
        "may_resend": may_work
        and req.status == Request.Status.DELIVERED
        and sent
        and not live
        and package is not None
        and not package.is_purged
        and package.misdelivery_incident_id is None,
        # Sending again needs the files: once the purge took them, the team learns why the button is gone.
        "files_gone_for_resend": may_work
        and req.status == Request.Status.DELIVERED
        and sent
        and not live
        and package is not None
        and package.is_purged
        and package.misdelivery_incident_id is None,
        "may_misdeliver": may_work and sent and package is not None and package.misdelivery_incident_id is None,
        "may_discard": may_work and in_review,
    }

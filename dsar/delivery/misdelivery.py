""" "This reached the wrong person": one action revokes the link, purges the files and opens the incident.

The incident is a ``misdirected_delivery`` reported through the incidents
services with ``aware_at`` now, so its breach clocks start at once; it holds
the request's reference, the package manifest and every download already made
(its description for people, a timeline entry with the full manifest).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from dsar.delivery.services import revoke_live
from dsar.models import MAX_REASON, Download, Package, Request
from dsar.package.services import current, purge_file
from dsar.services.common import CHANGE, bounded_text, lock, record
from incidents import services as incidents
from incidents.models import Incident
from portal import permissions
from portal.errors import Conflict
from portal.models import DataAsset


def _description(request: Request, package: Package, downloads: list[Download], note: str) -> str:
    lines = [
        f"The package of data-subject request {request.reference} ({request.get_type_display().lower()}) "
        f"reached someone other than the subject.",
        f"Reported by the request's team: {note}",
        "",
        f"Package {package.pk}: {package.item_count} items, {package.size} bytes, SHA-256 {package.sha256}.",
    ]
    for source in package.manifest.get("sources", []):
        lines.append(f"- {source['asset']} / {source['source']}: {source['records']} records, {source['files']} files")
    lines.append("")
    if downloads:
        lines.append(f"Downloads made before the link was revoked ({len(downloads)}):")
        for row in downloads:
            when = timezone.localtime(row.at)
            lines.append(f"- {when:%Y-%m-%d %H:%M %Z} from {row.address or 'unknown address'} ({row.client or '-'})")
    else:
        lines.append("No download was made before the link was revoked.")
    return "\n".join(lines)[:9000]


@transaction.atomic
def package_misdelivered(*, actor, request: Request, note: str) -> Incident:
    """Revoke the link, purge the package and open a misdirected-delivery incident whose clocks run from now."""
    request = lock(request)
    permissions.require(actor, CHANGE, request)
    note = bounded_text(note, "note", MAX_REASON, required=True, message="Say what happened.")
    package = current(request, for_update=True)
    if package is None or not package.links.exists():
        raise Conflict("No package of this request was sent.")
    if package.misdelivery_incident is not None:
        raise Conflict(f"This delivery is already incident {package.misdelivery_incident.reference}.")
    now = timezone.now()
    revoked = revoke_live(package, actor=actor, reason=f"Misdelivery: {note}"[:MAX_REASON], now=now)
    downloads = list(Download.objects.filter(link__package=package).order_by("at", "pk"))
    asset_ids = {source["asset_id"] for source in package.manifest.get("sources", [])}
    incident = incidents.incident_report(
        actor=actor,
        title=f"{request.reference}: data-subject package reached the wrong person",
        description=_description(request, package, downloads, note),
        kind=Incident.Kind.MISDIRECTED_DELIVERY,
        severity=Incident.Severity.HIGH,
        detected_at=now,
        aware_at=now,
        assets=list(DataAsset.objects.filter(pk__in=asset_ids)),
    )
    download_rows = [
        {"at": row.at.isoformat(), "address": row.address, "client": row.client, "link": row.link_id}
        for row in downloads
    ]
    incidents.timeline_add(
        incident=incident,
        actor=actor,
        action="dsar.package.misdelivered",
        text=f"Opened from {request.reference}: its package manifest and the {len(downloads)} download(s) made.",
        details={
            "request": request.reference,
            "request_id": request.pk,
            "package": package.pk,
            "manifest": package.manifest,
            "downloads": download_rows,
        },
    )
    package.purged_at, package.purge_reason, package.misdelivery_incident = now, "misdelivery", incident
    package.save(update_fields=["purged_at", "purge_reason", "misdelivery_incident"])
    record(
        request=request,
        actor=actor,
        action="dsar.package.misdelivered",
        details={
            "package": package.pk,
            "incident": incident.reference,
            "links_revoked": revoked,
            "downloads": len(downloads),
            "note": note,
        },
    )
    purge_file(package)
    return incident

"""The plain-language summary in every package: what GDPR Art. 15 asks a controller to tell the subject.

Drawn from the data map of each asset searched (purposes, categories, lawful
basis, recipients, retention, source) and from the collection tasks: every
system searched is listed with what was found there, nothing found included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

# Where the subject may complain (Art. 15(1)(f)), by the request's jurisdiction.
AUTHORITIES = {
    "uk_gdpr": "the Information Commissioner's Office (ico.org.uk)",
    "gdpr": "the data protection supervisory authority of the EU country where you live, work or think "
    "the law was broken",
    "ccpa": "the California Privacy Protection Agency (cppa.ca.gov) or the California Attorney General",
}
LAWS = {"uk_gdpr": "UK GDPR, Article 15", "gdpr": "GDPR, Article 15", "ccpa": "California Consumer Privacy Act"}


@dataclass
class System:
    """One asset searched: its data map and what was found there for this subject."""

    name: str
    purposes: str = ""
    categories: list[str] = field(default_factory=list)
    lawful_basis: str = ""
    recipients: str = ""
    retention: str = ""
    source: str = ""
    searched: str = ""  # how: "automatically" or "by hand"
    status: str = ""
    records: int = 0
    files: int = 0
    sources: list[tuple[str, int, int]] = field(default_factory=list)  # (source, records, files)

    @property
    def found(self) -> int:
        return self.records + self.files


def context(*, request, systems: list[System], files: list[str]) -> dict:
    total = sum(s.found for s in systems)
    return {
        "organisation": settings.ORGANISATION_NAME,
        "reference": request.reference,
        "received": timezone.localtime(request.received_at),
        "prepared": timezone.localtime(),
        "email": request.email,
        "customer_id": request.customer_id,
        "name": request.name,
        "law": LAWS.get(request.jurisdiction, "data protection law"),
        "authority": AUTHORITIES.get(request.jurisdiction, AUTHORITIES["gdpr"]),
        "systems": systems,
        "found_in": [s for s in systems if s.found],
        "empty": [s for s in systems if not s.found],
        "total": total,
        "files": files,
    }


def render(ctx: dict) -> tuple[bytes, bytes]:
    """The summary as plain text and as HTML (autoescaped: every value may come from a data system)."""
    text = render_to_string("dsar/package/summary.txt", ctx)
    html = render_to_string("files/dsar/package_summary.html", ctx)
    return text.encode(), html.encode()

"""Incidents made through the real services (permissions, audit and timeline included)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from incidents import services
from incidents.models import Incident


def make_incident(reporter, *, aware_hours_ago: float = 1, **kw) -> Incident:
    aware_at = timezone.now() - timedelta(hours=aware_hours_ago)
    fields = {"title": "Customer e-mails sent to a third party", "kind": Incident.Kind.UNAUTHORIZED_DISCLOSURE}
    fields.update(kw)
    fields.setdefault("detected_at", aware_at)
    fields.setdefault("aware_at", aware_at)
    return services.incident_report(actor=reporter, **fields)


def assess(officer, incident: Incident, *, risk: str = "high_risk", jurisdictions=("EU",), breach: bool = True):
    return services.incident_assess(
        actor=officer,
        incident=incident,
        is_personal_data_breach=breach,
        risk=risk,
        jurisdictions=list(jurisdictions),
        subject_count=1000,
        data_categories=["contact details"],
    )


def subjects_csv(rows, *, header: str = "email,name,language") -> bytes:
    """A CSV of affected subjects: ``rows`` of ``(email, name, language)``, or raw lines as strings."""
    lines = [header] if header else []
    lines += [r if isinstance(r, str) else ",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def subjects_upload(content: bytes, name: str = "subjects.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def import_subjects(actor, incident: Incident, n: int = 3, *, start: int = 0):
    """``n`` subjects ``person<i>@example.com`` imported through the service."""
    from incidents.subjects.services import subjects_import

    rows = [(f"person{i}@example.com", f"Person {i}", "en") for i in range(start, start + n)]
    return subjects_import(actor=actor, incident=incident, upload=subjects_upload(subjects_csv(rows)))

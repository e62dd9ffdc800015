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

"""Demo incidents (part of ``manage.py seed_demo``; idempotent): the two stories the portal exists for.

* The leak: an insider exported customer contact data and handed it to a third party.
  Linked as involved, access revoked in one step, assessed as a high-risk breach, the ICO
  notified inside 72 hours from an edited draft, referred to the police, tasks and evidence.
* The camera: support staff viewed customers' doorbell video beyond what their tickets needed.
  Unauthorised access on the video asset, the exposure report over it, the viewers involved,
  the regulator clock still running.

And a tabletop exercise, labelled as such everywhere, that creates no obligation.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.utils import timezone

from access.models import Grant
from access.services.grants import grant_issue
from incidents import services
from incidents.models import Incident, Obligation
from incidents.services import draft as drafts
from incidents.subjects.demo import seed_subjects

LEAK = "Customer contact data handed to a marketing partner"
CAMERA = "Support staff watched customers' doorbell video beyond their tickets"
DRILL = "Tabletop: ransomware encrypts the HR file share"


def _grant(user, asset, scope, *, days_ago: int, used_hours_ago: float | None = None) -> Grant:
    grant = grant_issue(actor=None, user=user, asset=asset, scope=scope, days=max(30, days_ago + 30))
    back = timedelta(days=days_ago)
    Grant.objects.filter(pk=grant.pk).update(granted_at=F("granted_at") - back)
    if used_hours_ago is not None:
        Grant.objects.filter(pk=grant.pk).update(last_used_at=timezone.now() - timedelta(hours=used_hours_ago))
    return grant


def _leak(people, assets) -> None:
    if Incident.objects.filter(title=LEAK).exists():
        return
    petra, hana, rita = people["petra"], people["hana"], people["rita"]
    ian = people["ian"]
    contacts = assets["Customer contact database"]
    now = timezone.now()
    aware = now - timedelta(days=4)
    _grant(ian, contacts, "use", days_ago=40, used_hours_ago=100)
    _grant(ian, contacts, "export", days_ago=12, used_hours_ago=99)
    _grant(ian, assets["Order history"], "use", days_ago=20, used_hours_ago=120)
    incident = services.incident_report(
        actor=rita,
        title=LEAK,
        description=(
            "A marketing partner wrote to thank us for 'the customer list Ian sent'. The export log shows "
            "Ian exported 1,000 customers' e-mail addresses and phone numbers the evening before."
        ),
        kind=Incident.Kind.UNAUTHORIZED_DISCLOSURE,
        severity=Incident.Severity.CRITICAL,
        detected_at=aware - timedelta(minutes=20),
        aware_at=aware,
        assets=[contacts],
    )
    services.incident_assign_handler(actor=petra, incident=incident, handler=hana)
    services.involved_user_add(actor=petra, incident=incident, user=ian, note="Ran the export; sent the file.")
    services.involved_user_revoke_access(
        actor=petra, incident=incident, user=ian, reason="Data handed to a third party"
    )
    services.incident_set_status(actor=petra, incident=incident, status=Incident.Status.CONTAINED)
    services.incident_assess(
        actor=petra,
        incident=incident,
        is_personal_data_breach=True,
        risk=Incident.Risk.HIGH_RISK,
        data_categories=["contact details", "customer identifiers"],
        subject_count=1000,
        jurisdictions=["UK"],
    )
    services.evidence_upload(
        actor=hana,
        incident=incident,
        upload=SimpleUploadedFile(
            "export-log.csv",
            b"at,user,asset,scope,rows\n2026-01-05T21:14:03Z,ian,Customer contact database,export,1000\n",
        ),
        description="The contact database's export log for the evening before.",
    )
    referred = timezone.localdate(aware + timedelta(days=1))
    services.referral_record(
        actor=petra,
        incident=incident,
        agency="Metropolitan Police, Fraud and Cyber Crime",
        reference="CAD-4471/26",
        referred_on=referred,
        note="Crime reference issued; the partner has been asked to preserve the file.",
    )
    obligation = incident.obligations.get(recipient=Obligation.Recipient.REGULATOR)
    values = drafts.generate(Incident.objects.get(pk=incident.pk))
    values["subject_categories"] = "Retail customers (UK)"
    services.regulator_draft_save(actor=petra, incident=incident, obligation=obligation, **values)
    services.regulator_notification_record(
        actor=petra,
        incident=incident,
        authority="Information Commissioner's Office",
        submitted_at=aware + timedelta(hours=30),
        reference="IC-318842-K7B2",
        notes=drafts.as_text(values),
        regime="uk-gdpr",
    )
    done = services.task_create(actor=petra, incident=incident, title="Interview Ian with HR", assignee=hana)
    services.task_complete(actor=hana, task=done)
    services.task_create(
        actor=petra,
        incident=incident,
        title="Get written confirmation that the partner deleted the list",
        assignee=hana,
        due_at=now + timedelta(days=3),
    )
    services.task_create(
        actor=petra,
        incident=incident,
        title="Notify the 1,000 affected customers",
        assignee=petra,
        due_at=now + timedelta(days=1),
    )
    # The 1,000 customers whose contact data leaked, imported and notified (the worker sends them).
    seed_subjects(incident=incident, officer=petra)
    services.incident_set_status(actor=petra, incident=incident, status=Incident.Status.NOTIFYING)


def _camera(people, assets) -> None:
    if Incident.objects.filter(title=CAMERA).exists():
        return
    petra = people["petra"]
    video = assets["Doorbell video feeds"]
    cara, colin = people["cara"], people["colin"]
    now = timezone.now()
    _grant(cara, video, "use", days_ago=60, used_hours_ago=30)
    _grant(colin, video, "use", days_ago=25, used_hours_ago=50)
    _grant(people["cody"], video, "use", days_ago=80, used_hours_ago=24 * 20)
    aware = now - timedelta(hours=26)
    incident = services.incident_report(
        actor=petra,
        title=CAMERA,
        description=(
            "The video platform's access log shows support staff opening live feeds and saved clips of "
            "customers with no open ticket. Each was authorised to view video; the viewing went beyond what "
            "their tickets needed."
        ),
        kind=Incident.Kind.UNAUTHORIZED_ACCESS,
        severity=Incident.Severity.HIGH,
        detected_at=aware - timedelta(minutes=30),
        aware_at=aware,
        assets=[video],
    )
    services.incident_set_status(actor=petra, incident=incident, status=Incident.Status.TRIAGE)
    for user in (cara, colin):  # as "Add as involved" on the exposure report does
        services.involved_user_add(
            actor=petra, incident=incident, user=user, note="From the exposure report (Doorbell video feeds)."
        )
    services.incident_assess(
        actor=petra,
        incident=incident,
        is_personal_data_breach=True,
        risk=Incident.Risk.RISK,
        data_categories=["video", "images of people"],
        subject_count=140,
        jurisdictions=["UK"],
    )
    services.task_create(
        actor=petra,
        incident=incident,
        title="Match every clip opened in the last 30 days against a support ticket",
        assignee=petra,
        due_at=now + timedelta(hours=20),
    )


def _drill(people, assets) -> None:
    if Incident.objects.filter(title=DRILL).exists():
        return
    petra = people["petra"]
    aware = timezone.now() - timedelta(hours=5)
    incident = services.incident_report(
        actor=petra,
        title=DRILL,
        description="Quarterly tabletop: rehearse the 72 hours. No real data is affected.",
        kind=Incident.Kind.EXTERNAL_ATTACK,
        severity=Incident.Severity.HIGH,
        detected_at=aware,
        aware_at=aware,
        assets=[assets["HR records"]],
        is_exercise=True,
    )
    services.incident_assess(
        actor=petra,
        incident=incident,
        is_personal_data_breach=True,
        risk=Incident.Risk.HIGH_RISK,
        data_categories=["employment"],
        subject_count=800,
        jurisdictions=["UK"],
    )


def seed(context: dict) -> None:
    people = context["people"]  # the stories' staff (ian, cara, colin, cody) are in portal.demo.PEOPLE
    assets = context["assets"]
    _leak(people, assets)
    _camera(people, assets)
    _drill(people, assets)

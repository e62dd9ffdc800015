"""Every change to an incident, one module per step: lock, authorise, check state, write, audit, timeline.

Rights: anyone active may report; privacy officers hold ``incidents.*`` globally
(a role); a handler holds ``view_incident`` and ``change_incident`` on the one
incident a privacy officer assigned them; the reporter holds ``view_incident``.
"""

from incidents.services.assessment import (
    derive_obligations,
    incident_assess,
    incident_decide_no_notification,
    obligation_exempt,
    regulator_notification_record,
)
from incidents.services.common import ASSIGN, CHANGE, VIEW, timeline_add
from incidents.services.draft import regulator_draft_save
from incidents.services.evidence import evidence_open, evidence_upload, may_investigate
from incidents.services.involved import involved_user_add, involved_user_revoke_access
from incidents.services.referral import referral_record
from incidents.services.report import (
    STATUS_ORDER,
    awareness_gap,
    incident_assign_handler,
    incident_report,
    incident_set_status,
    next_reference,
    timeline_note,
)
from incidents.services.tasks import task_complete, task_create, task_reopen

__all__ = [
    "ASSIGN",
    "CHANGE",
    "STATUS_ORDER",
    "VIEW",
    "awareness_gap",
    "derive_obligations",
    "evidence_open",
    "evidence_upload",
    "incident_assess",
    "incident_assign_handler",
    "incident_decide_no_notification",
    "incident_report",
    "incident_set_status",
    "involved_user_add",
    "involved_user_revoke_access",
    "may_investigate",
    "next_reference",
    "obligation_exempt",
    "referral_record",
    "regulator_draft_save",
    "regulator_notification_record",
    "task_complete",
    "task_create",
    "task_reopen",
    "timeline_add",
    "timeline_note",
]

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
from incidents.services.involved import involved_user_add, involved_user_revoke_access
from incidents.services.report import (
    AWARENESS_GAP,
    STATUS_ORDER,
    handlers,
    incident_assign_handler,
    incident_report,
    incident_set_status,
    next_reference,
    timeline_note,
)

__all__ = [
    "ASSIGN",
    "AWARENESS_GAP",
    "CHANGE",
    "STATUS_ORDER",
    "VIEW",
    "derive_obligations",
    "handlers",
    "incident_assess",
    "incident_assign_handler",
    "incident_decide_no_notification",
    "incident_report",
    "incident_set_status",
    "involved_user_add",
    "involved_user_revoke_access",
    "next_reference",
    "obligation_exempt",
    "regulator_notification_record",
    "timeline_add",
    "timeline_note",
]

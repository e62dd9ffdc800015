"""Every change to a data-subject request, one module per step: lock, authorise, check state, write, audit.

Rights: privacy officers hold ``dsar.*`` globally (a role); a handler holds
``view_request`` and ``change_request`` on the requests assigned to them;
auditors read all. Public intake and the verification link act without a user.
"""

from dsar.services.clock import due_for, refresh_due, request_extend, request_pause, request_resume
from dsar.services.collection import (
    advance,
    collection_resume,
    collection_start,
    store,
    subject_of,
    task_retry,
    task_run,
    task_upload,
)
from dsar.services.common import ADD, ASSIGN, CHANGE, VIEW
from dsar.services.handling import request_assign_handler, request_reject, request_withdraw
from dsar.services.intake import next_reference, request_create, request_intake
from dsar.services.verification import (
    LINK_VALID,
    LinkExpired,
    LinkInvalid,
    address_on_record,
    make_token,
    register_address_lookup,
    request_verify_otherwise,
    verification_confirm,
    verification_send,
)

__all__ = [
    "ADD",
    "ASSIGN",
    "CHANGE",
    "LINK_VALID",
    "VIEW",
    "LinkExpired",
    "LinkInvalid",
    "address_on_record",
    "advance",
    "collection_resume",
    "collection_start",
    "due_for",
    "make_token",
    "next_reference",
    "refresh_due",
    "register_address_lookup",
    "request_assign_handler",
    "request_create",
    "request_extend",
    "request_intake",
    "request_pause",
    "request_reject",
    "request_resume",
    "request_verify_otherwise",
    "request_withdraw",
    "store",
    "subject_of",
    "task_retry",
    "task_run",
    "task_upload",
    "verification_confirm",
    "verification_send",
]

"""The authorisation matrix of dsar/ routes (see ``portal/testing.py``).

``(own, other)``: "own" is a request the persona handles (a privacy officer assigned them), "other" one
they do not handle while they handle another (``testing.case_for``): 404. Privacy officers see and run
all requests; auditors see all and change none (as for incidents), not even a request whose handler's
rights they hold. The public form, the intake API and the verification link take no sign-in.
"""

from dsar import services
from dsar.models import Pause
from dsar.tests.factories import make_collecting, make_request, manual_task, matrix_case
from portal.testing import LOGIN, Row, answers, case_answers, page_answers


def _request(target, **kw):
    return matrix_case(
        target, lambda handler: make_request(by=target.world.user("privacy_officer"), handler=handler, **kw)
    )


def _verified(target):
    return _request(target, verified=True)


def _paused(target):
    request = _request(target)
    Pause.objects.create(request=request, reason="Waiting for proof of address.")
    return request


def _task(target):
    officer = target.world.user("privacy_officer")
    request = matrix_case(target, lambda handler: make_collecting(by=officer, handler=handler, assets=[target.asset]))
    return manual_task(request)


def _link(target):
    request = _request(target)
    request.token = services.make_token(request)
    return request


KINDS = {
    "dsar_request": _request,
    "dsar_verified": _verified,
    "dsar_paused": _paused,
    "dsar_task": _task,
    "dsar_link": _link,
}

# API
SEE = case_answers(200, read=True)
WORK = case_answers(200)
COLLECT = case_answers(202)
ASSIGN = answers(
    anonymous=401,
    employee=(403, 404),
    reviewer=(403, 404),
    other_reviewer=(403, 404),
    access_admin=(403, 404),
    privacy_officer=(200, 200),
    auditor=(403, 403),
    service=404,
)
# Pages: actions answer with a redirect back to the request.
PAGE = page_answers(SEE)
ACT = page_answers(WORK, done=200)
PAGE_ASSIGN = page_answers(ASSIGN, done=200)
OFFICERS_ONLY = answers(default=403, anonymous=LOGIN, privacy_officer=200)

AUDITOR_NOTE = "an auditor holding a handler's rights on the request still changes nothing"
REASON = {"reason": "The subject asked for more than we can gather in a month."}
VERIFY = {"method": "document", "note": "Passport seen."}
INTAKE = {"type": "access", "email": "ann@example.com", "jurisdiction": "gdpr", "name": "Ann"}


def _handler_body(world, obj):
    return {"handler": world.user("outsider").pk}


def _upload(world, obj):
    return {"subject_identifier": "email:ann@example.com"}


ROWS = [
    # API
    Row("api-dsar-intake", "POST", answers(default=202), body=INTAKE, note="no login; the same answer for anyone"),
    Row("api-dsar-list", "GET", answers(default=200, anonymous=401)),
    Row("api-dsar-detail", "GET", SEE, kind="dsar_request"),
    Row("api-dsar-extend", "POST", WORK, kind="dsar_request", body=REASON, note=AUDITOR_NOTE),
    Row("api-dsar-collect", "POST", COLLECT, kind="dsar_verified"),
    Row("api-dsar-assign", "POST", ASSIGN, kind="dsar_request", body=_handler_body),
    Row("api-dsar-verify", "POST", WORK, kind="dsar_request", body=VERIFY),
    Row("api-dsar-pause", "POST", WORK, kind="dsar_request", body=REASON),
    Row("api-dsar-resume", "POST", WORK, kind="dsar_paused"),
    Row("api-dsar-reject", "POST", WORK, kind="dsar_request", body=REASON),
    Row("api-dsar-withdraw", "POST", WORK, kind="dsar_request", body=REASON),
    # Staff pages
    Row("dsar:request-list", "GET", answers(default=200, anonymous=LOGIN)),
    Row("dsar:request-new", "GET", OFFICERS_ONLY),
    Row(
        "dsar:request-new",
        "POST",
        {**OFFICERS_ONLY, "privacy_officer": 302},
        body=INTAKE,
        note="privacy officers enter requests",
    ),
    Row(
        "dsar:dashboard",
        "GET",
        answers(default=404, anonymous=LOGIN, privacy_officer=200, auditor=200),
        note="only for those who see requests (a handler of one sees it too)",
    ),
    Row("dsar:request-detail", "GET", PAGE, kind="dsar_request"),
    Row("dsar:request-assign", "POST", PAGE_ASSIGN, kind="dsar_request", body=_handler_body),
    Row("dsar:request-send-verification", "POST", ACT, kind="dsar_request"),
    Row("dsar:request-verify", "POST", ACT, kind="dsar_request", body=VERIFY),
    Row("dsar:request-pause", "POST", ACT, kind="dsar_request", body=REASON),
    Row("dsar:request-resume", "POST", ACT, kind="dsar_paused"),
    Row("dsar:request-extend", "POST", ACT, kind="dsar_request", body=REASON),
    Row("dsar:request-reject", "POST", ACT, kind="dsar_request", body=REASON),
    Row("dsar:request-withdraw", "POST", ACT, kind="dsar_request", body=REASON),
    Row("dsar:request-collect", "POST", ACT, kind="dsar_verified"),
    Row("dsar:task-upload", "POST", ACT, kind="dsar_task", body=_upload, note="no files: nothing found there"),
    Row(
        "dsar:task-retry",
        "POST",
        ACT,
        kind="dsar_task",
        note="a manual task is not retried: a message on the request page, after the rights are checked",
    ),
    # Public pages
    Row("dsar:intake", "GET", answers(default=200)),
    Row("dsar:intake", "POST", answers(default=200), body=INTAKE),
    Row(
        "dsar:verify",
        "GET",
        answers(default=(200, 200), anonymous=200, service=200),
        kind="dsar_link",
        note="the link is the proof; whoever opens it first verifies the request",
    ),
]

# The package, its delivery and the erasure (dsar/tests/authorisation_package.py).
from dsar.tests import authorisation_package  # noqa: E402

KINDS.update(authorisation_package.KINDS)
# "Own" is a request the persona handles (``matrix_case``), except the links mailed to the subject.
CASE_KINDS = set(KINDS) - {"dsar_link", "dsar_download"}
ROWS += authorisation_package.ROWS

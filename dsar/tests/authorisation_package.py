"""Authorisation rows of the package, delivery and erasure routes (added to ``dsar/tests/authorisation.py``).

"Own" is a request the persona handles; "other" one they do not handle (while they handle another). The package is
built by a privacy officer who is not the persona (``dsar-officer``), so approving it is a second
pair of eyes for everyone. Erasure tasks are on the asset of the persona's sphere: its reviewer
confirms (rita on the first asset, oscar on the other); a handler, a privacy officer (the asset has a
reviewer) or an auditor may see the task but not confirm it (403).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from dsar.delivery import services as delivery
from dsar.erasure import services as erasure
from dsar.models import DeliveryLink, Task
from dsar.package import services as packages
from dsar.tests.factories import make_request, matrix_case, officer
from dsar.tests.package_factories import collect, in_review
from portal.testing import LOGIN, Row, answers, case_answers, page_answers


def _review(target, **kw):
    req = matrix_case(
        target, lambda handler: make_request(by=officer(), handler=handler, verified=True, customer_id="C-1001", **kw)
    )
    collect(
        req,
        target.asset,
        records=[("customer:C-1001", "contacts", {"name": "Ann"})],
        files=[("customer:C-1001", "recordings", "call.mp3", b"ID3 call")],
    )
    return in_review(req)


def _built(target):
    req = _review(target)
    packages.package_build(actor=officer(), request=req)
    return req


def _ready(target):
    req = _built(target)
    # A second officer approves, so the persona (who may be the only handler) has the request ready to send.
    from portal.tests.factories import UserFactory

    packages.package_approve(actor=UserFactory(username="dsar-approver", groups=["privacy-officers"]), request=req)
    return req


def _sent(target):
    req = _ready(target)
    delivery.package_send(actor=officer(), request=req)
    return req


def _ended(target):
    """Sent, and its link has expired: the request is ready to be sent again."""
    req = _sent(target)
    DeliveryLink.objects.filter(package__request=req).update(expires_at=timezone.now() - timedelta(seconds=1))
    return req


def _item(target):
    return _review(target).items.first()


def _download(target):
    req = _ready(target)
    return delivery.package_send(actor=officer(), request=req)  # carries ``token``, the URL's parameter


def _erasure_verified(target):
    return matrix_case(
        target, lambda handler: make_request(by=officer(), handler=handler, verified=True, type="erasure")
    )


def _erasure_task(target):
    req = _erasure_verified(target)
    erasure.erasure_start(actor=officer(), request=req)
    return Task.objects.get(request=req, kind=Task.Kind.ERASE, asset=target.asset)


def _erasure_done(target):
    req = _erasure_verified(target)
    for task in erasure.erasure_start(actor=officer(), request=req):
        erasure.erasure_hold(actor=officer(), task=task, reason="Tax records: kept six years.")
    return req


KINDS = {
    "dsar_review": _review,
    "dsar_built": _built,
    "dsar_ready": _ready,
    "dsar_sent": _sent,
    "dsar_ended": _ended,
    "dsar_item": _item,
    "dsar_download": _download,
    "dsar_erasure_verified": _erasure_verified,
    "dsar_erasure_task": _erasure_task,
    "dsar_erasure_done": _erasure_done,
}


SEE = case_answers(200, read=True)
# Confirming an erasure: the asset's reviewer only (see the module docstring).
CONFIRM = answers(
    anonymous=401,
    employee=(403, 404),
    reviewer=(200, 404),
    other_reviewer=(200, 404),
    access_admin=(403, 404),
    privacy_officer=(403, 403),
    auditor=(403, 403),
    service=404,
)
TASK_PAGE = page_answers(SEE)


def _page(expect):
    """The same rights on pages: the anonymous sign in, a done action redirects back (302)."""
    return page_answers(expect, done=(200, 201, 204))


REASON = {"reason": "The subject asked us to stop this link."}
NOTE = {"note": "It went to another customer of the same name."}
PUBLIC = answers(default=(200, 200), anonymous=200, service=200)
CONFIRM_NOTE = "an asset's reviewer confirms its erasure; the handler and privacy officers see it, 403"

ROWS = [
    # API
    Row("api-dsar-package", "GET", SEE, kind="dsar_built"),
    Row("api-dsar-package", "POST", case_answers(201), kind="dsar_review"),
    Row("api-dsar-package-approve", "POST", case_answers(200), kind="dsar_built", note="built by another officer"),
    Row("api-dsar-package-send", "POST", case_answers(201), kind="dsar_ready"),
    Row("api-dsar-package-resend", "POST", case_answers(201), kind="dsar_ended", note="the last link expired"),
    Row("api-dsar-package-revoke", "POST", case_answers(200), kind="dsar_sent", body=REASON),
    Row("api-dsar-package-misdelivery", "POST", case_answers(201), kind="dsar_sent", body=NOTE),
    Row("api-dsar-item-discard", "POST", case_answers(204), kind="dsar_item", body=REASON),
    Row("api-dsar-erasure", "POST", case_answers(201), kind="dsar_erasure_verified"),
    Row("api-dsar-erasure-complete", "POST", case_answers(200), kind="dsar_erasure_done"),
    Row("api-dsar-erasure-task-list", "GET", answers(default=200, anonymous=401)),
    Row("api-dsar-erasure-task-confirm", "POST", CONFIRM, kind="dsar_erasure_task", note=CONFIRM_NOTE),
    Row(
        "api-dsar-erasure-task-hold",
        "POST",
        case_answers(200),
        kind="dsar_erasure_task",
        body=REASON,
        note="the asset's reviewer or whoever works the request",
    ),
    # Pages
    Row("dsar:package-build", "POST", _page(case_answers(201)), kind="dsar_review"),
    Row("dsar:package-approve", "POST", _page(case_answers(200)), kind="dsar_built"),
    Row("dsar:package-send", "POST", _page(case_answers(201)), kind="dsar_ready"),
    Row("dsar:package-resend", "POST", _page(case_answers(201)), kind="dsar_ended"),
    Row("dsar:package-revoke", "POST", _page(case_answers(200)), kind="dsar_sent", body=REASON),
    Row("dsar:package-misdelivery", "GET", {**SEE, "anonymous": LOGIN}, kind="dsar_sent", note="asks first"),
    Row("dsar:package-misdelivery", "POST", _page(case_answers(201)), kind="dsar_sent", body=NOTE),
    Row("dsar:item-discard", "POST", _page(case_answers(204)), kind="dsar_item", body=REASON),
    Row("dsar:erasure-start", "POST", _page(case_answers(201)), kind="dsar_erasure_verified"),
    Row("dsar:erasure-complete", "POST", _page(case_answers(200)), kind="dsar_erasure_done"),
    Row("dsar:erasure-queue", "GET", answers(default=200, anonymous=LOGIN)),
    Row("dsar:erasure-task", "GET", TASK_PAGE, kind="dsar_erasure_task"),
    Row("dsar:erasure-confirm", "POST", _page(CONFIRM), kind="dsar_erasure_task", note=CONFIRM_NOTE),
    Row("dsar:erasure-hold", "POST", _page(case_answers(200)), kind="dsar_erasure_task", body=REASON),
    # Public: the token is the key.
    Row("dsar:package-download", "GET", PUBLIC, kind="dsar_download", note="the page; counts nothing"),
    Row("dsar:package-download", "POST", PUBLIC, kind="dsar_download", note="the ZIP, streamed; the first of three"),
]

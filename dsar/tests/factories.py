"""Requests made through the real services (permissions, audit, deadlines included)."""

from __future__ import annotations

from dsar import services
from dsar.models import Request, Task
from portal.tests.factories import UserFactory


def officer():
    """A privacy officer to act for the tests (one per test database transaction)."""
    return UserFactory(username="dsar-officer", groups=["privacy-officers"])


def make_request(*, by=None, handler=None, verified: bool = False, **kw) -> Request:
    fields = {"type": Request.Type.ACCESS, "email": "ann@example.com", "jurisdiction": Request.Jurisdiction.GDPR}
    fields.update(kw)
    request = services.request_create(actor=by or officer(), handler=handler, **fields)
    if verified:
        request = services.request_verify_otherwise(
            actor=by or officer(), request=request, method="document", note="Passport seen at the counter."
        )
    return request


def make_collecting(*, by=None, handler=None, assets=(), **kw) -> Request:
    """A verified request whose collection started: a manual task per asset holding personal data."""
    for asset in assets:
        asset.holds_personal_data = True
        asset.save(update_fields=["holds_personal_data"])
    request = make_request(by=by, handler=handler, verified=True, **kw)
    services.collection_start(actor=by or officer(), request=request)
    return Request.objects.get(pk=request.pk)


def manual_task(request: Request) -> Task:
    return request.tasks.filter(method=Task.Method.MANUAL).first()


def matrix_case(target, make):
    """The request of one authorisation-matrix cell (``portal.testing.case_for``): ``make(handler)`` builds it."""
    from portal.testing import case_for

    def another(handler):
        return make_request(email="bob@example.com", handler=handler)

    return case_for(target, make, rights=(services.VIEW, services.CHANGE), another=another)

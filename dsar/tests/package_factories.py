"""Requests with collected items, ready for a package: made through the services where the services exist.

Collection itself is the connectors' and dsarcore's concern; here its result (tasks and
items) is written directly, then the request is moved to review as collection would.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile

from dsar import services
from dsar.models import Item, Request, Task
from portal.tests.factories import DataAssetFactory

EMAIL = "ann@example.com"
CUSTOMER = "C-1001"
OTHER_CUSTOMER = "C-1002"


def verified_request(officer, handler=None, *, type: str = "access", email: str = EMAIL, customer_id: str = CUSTOMER):
    request = services.request_create(
        actor=officer,
        type=type,
        email=email,
        customer_id=customer_id,
        jurisdiction="uk_gdpr",
        name="Ann Example",
        handler=handler,
        send_verification=False,
    )
    return services.request_verify_otherwise(
        actor=officer, request=request, method="document", note="Passport seen at the counter."
    )


def collect(request: Request, asset=None, *, records=(), files=(), method=Task.Method.MANUAL) -> Task:
    """One finished collection task on ``asset`` holding ``records`` [(identifier, source, data)] and
    ``files`` [(identifier, source, name, bytes)]."""
    asset = asset or DataAssetFactory(purposes="Customer service", retention="6 years", recipients="Call-centre BPO")
    task = Task.objects.create(
        request=request, asset=asset, kind=Task.Kind.COLLECT, method=method, status=Task.Status.DONE
    )
    items = [
        Item(request=request, task=task, asset=asset, subject_identifier=ident, source=source, kind="record", data=data)
        for ident, source, data in records
    ]
    for ident, source, name, content in files:
        item = Item(
            request=request,
            task=task,
            asset=asset,
            subject_identifier=ident,
            source=source,
            kind="file",
            name=name,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        )
        item.file.save(name, ContentFile(content), save=False)
        items.append(item)
    Item.objects.bulk_create(items)
    task.found = len(items)
    task.save(update_fields=["found"])
    return task


def in_review(request: Request) -> Request:
    Request.objects.filter(pk=request.pk).update(status=Request.Status.REVIEW)
    request.refresh_from_db()
    return request


def request_in_review(officer, handler, *, foreign: int = 0, records: int = 2, recordings: int = 1, **kw):
    """An access request in review with contacts and recordings of the subject (and ``foreign`` recordings
    tagged with another customer)."""
    request = verified_request(officer, handler, **kw)
    mine = f"customer:{CUSTOMER}"
    collect(
        request,
        records=[(mine, "contacts", {"name": "Ann Example", "phone": f"0700 90000{i}"}) for i in range(records)],
        files=[(mine, "recordings", f"call-{i}.mp3", b"ID3" + bytes([i]) * 1000) for i in range(recordings)]
        + [(f"customer:{OTHER_CUSTOMER}", "recordings", f"other-{i}.mp3", b"ID3-other") for i in range(foreign)],
    )
    return in_review(request)

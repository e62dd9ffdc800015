"""The recordings story in the demo (called from ``dsar.demo`` after the requests and the customer database).

* Ann (``C-1001``) asked for her data. Collection through the SQL connector
  brings four voice recordings, one of them Bob's, mis-tagged with her customer
  id: her request waits in review and the subject-match guard refuses her
  package, naming that recording (what happened to the real customer, stopped).
* Bob (``C-1002``) asked too: his package was built by Hana, approved by Petra
  (four eyes), sent to his verified address and downloaded once.
* Cara (``C-1003``) asked to be erased: a task per system waits for each
  asset's reviewer (Rita sees them on her dashboard).

Idempotent: each request is keyed by its subject's address.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from django.utils import timezone

from dsar import services
from dsar.delivery import services as delivery
from dsar.erasure import services as erasure
from dsar.models import Request, Task
from dsar.package import guard
from dsar.package import services as packages

CUSTOMERS = {
    "ann": ("ann@example.com", "C-1001", "Ann Example"),
    "bob": ("bob@example.com", "C-1002", "Bob Example"),
    "cara": ("cara@example.com", "C-1003", "Cara Example"),
}


def _verified(people, key: str, *, type: str, days_ago: int) -> tuple[Request, bool]:
    email, customer_id, name = CUSTOMERS[key]
    existing = Request.objects.filter(email=email).first()
    if existing:
        return existing, False
    request = services.request_create(
        actor=people["petra"],
        type=type,
        email=email,
        customer_id=customer_id,
        jurisdiction="uk_gdpr",
        name=name,
        details="Please send me everything you hold about me, including my voice recordings.",
        received_at=timezone.now() - timedelta(days=days_ago),
        handler=people["hana"],
        send_verification=False,
    )
    request = services.request_verify_otherwise(
        actor=people["petra"], request=request, method="account", note="Signed in to the customer account."
    )
    return request, True


def _collect(people, request: Request) -> Request:
    """Collection as the worker would run it, here and now, so the demo opens on its result."""
    services.collection_start(actor=people["petra"], request=request)
    for task in Task.objects.filter(request=request, kind=Task.Kind.COLLECT).select_related("asset"):
        if task.method == Task.Method.CONNECTOR:
            services.task_run(task_id=task.pk)
        else:  # systems without a connector: Hana searched them by hand and found nothing
            email = request.email.lower()
            services.task_upload(actor=people["hana"], task=task, files=[], subject_identifier=f"email:{email}")
    return Request.objects.get(pk=request.pk)


def seed(context: dict) -> None:
    people = context["people"]
    stories = context.setdefault("dsar_requests", {})

    ann, new = _verified(people, "ann", type="access", days_ago=9)
    if new:
        ann = _collect(people, ann)
    stories["recordings_guard"] = ann
    if new:
        # The point of the story: the build is refused and the request page shows the recording the guard stopped.
        with contextlib.suppress(guard.SubjectMismatch):
            packages.package_build(actor=people["hana"], request=ann)

    bob, new = _verified(people, "bob", type="access", days_ago=12)
    stories["recordings_delivered"] = bob
    if new:
        bob = _collect(people, bob)
        packages.package_build(actor=people["hana"], request=bob)
        packages.package_approve(actor=people["petra"], request=bob)
        link = delivery.package_send(actor=people["hana"], request=bob)
        _, handle = delivery.download_take(
            token=link.token, address="203.0.113.24", client="Mozilla/5.0 (Bob's laptop)"
        )
        handle.close()

    cara, new = _verified(people, "cara", type="erasure", days_ago=4)
    stories["erasure"] = cara
    if new:
        erasure.erasure_start(actor=people["hana"], request=cara)

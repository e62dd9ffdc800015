"""Demo data-subject requests in several states (part of ``manage.py seed_demo``; idempotent).

Each demo request is keyed by its subject's address, so a second run creates nothing.
The recordings story (two customers, a package the guard stops) builds on
``context["dsar_requests"]`` in the package step's own demo code.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from dsar import services
from dsar.connectors import demo as connectors_demo
from dsar.models import Request

DEMO = "demo.example.net"


def _entered(people, key: str, *, days_ago: int, handler=None, **fields) -> tuple[Request, bool]:
    email = f"{key}@{DEMO}"
    existing = Request.objects.filter(email=email).first()
    if existing:
        return existing, False
    request = services.request_create(
        actor=people["petra"],
        email=email,
        received_at=timezone.now() - timedelta(days=days_ago),
        handler=handler,
        **fields,
    )
    return request, True


def seed(context: dict) -> None:
    # First the customer database the demo assets reach through the SQL connector (the recordings story).
    context["sql_sources"] = connectors_demo.seed(context)
    people = context["people"]
    petra = people["petra"]
    requests: dict[str, Request] = {}

    # Through the public form this morning: the link is out, waiting for the subject.
    email = f"nora.public@{DEMO}"
    requests["public"] = Request.objects.filter(email=email).first() or services.request_intake(
        type="access", email=email, jurisdiction="gdpr", name="Nora Public", details="Please send me my data."
    )

    # Hana handles a verified access request: collection is the next step.
    requests["verified"], new = _entered(
        people,
        "hugo.verified",
        days_ago=3,
        handler=people["hana"],
        type="access",
        jurisdiction="gdpr",
        name="Hugo Verified",
        customer_id="C-2001",
    )
    if new:
        services.request_verify_otherwise(
            actor=petra, request=requests["verified"], method="document", note="Passport seen at the Leeds store."
        )

    # Collecting: a task per asset holding personal data; the manual ones wait for uploads.
    requests["collecting"], new = _entered(
        people, "cora.collecting", days_ago=8, type="access", jurisdiction="gdpr", name="Cora Collecting"
    )
    if new:
        services.request_verify_otherwise(
            actor=petra, request=requests["collecting"], method="account", note="Signed in to her customer account."
        )
        services.collection_start(actor=petra, request=requests["collecting"])

    # UK GDPR, paused: the clock stops while we wait for proof of address.
    requests["paused"], new = _entered(
        people,
        "ursula.uk",
        days_ago=6,
        type="erasure",
        jurisdiction="uk_gdpr",
        name="Ursula UK",
        send_verification=False,
    )
    if new:
        services.request_pause(actor=petra, request=requests["paused"], reason="Asked for a proof of address.")

    # Overdue: received 35 days ago and never verified.
    requests["overdue"], _ = _entered(
        people, "otto.overdue", days_ago=35, type="rectification", jurisdiction="gdpr", name="Otto Overdue"
    )

    # Due within the week, then extended once with a reason the subject was told.
    requests["extended"], new = _entered(
        people, "erin.extended", days_ago=25, type="access", jurisdiction="gdpr", name="Erin Extended"
    )
    if new:
        services.request_extend(
            actor=petra,
            request=requests["extended"],
            reason="Your records sit in six systems, two of them archived; we need two more months.",
        )

    # Due in a few days: shows on the dashboard's "near their deadline".
    requests["due_soon"], _ = _entered(
        people, "sam.soon", days_ago=26, type="portability", jurisdiction="gdpr", name="Sam Soon"
    )

    # California: 45 days.
    requests["ccpa"], _ = _entered(
        people, "carla.ccpa", days_ago=10, type="access", jurisdiction="ccpa", name="Carla CCPA"
    )

    # Rejected, with the reason the subject was told.
    requests["rejected"], new = _entered(
        people, "rex.rejected", days_ago=12, type="objection", jurisdiction="gdpr", name="Rex Rejected"
    )
    if new:
        services.request_reject(actor=petra, request=requests["rejected"], reason="We hold no data about this address.")

    context["dsar_requests"] = requests

    # The recordings story: the guard stops Ann's package, Bob's is delivered, Cara's erasure waits
    # for the reviewers (dsar/package/demo.py).
    from dsar.package import demo as package_demo

    package_demo.seed(context)

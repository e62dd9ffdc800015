"""A customer id proves nothing by itself: the link is sent only when the id's address on record is the
address the request gave. Otherwise anyone could type another customer's number on the public form,
confirm from their own mailbox, and be sent that customer's orders and recordings."""

from __future__ import annotations

import pytest
from django.core import mail

from dsar import services
from dsar.connectors.models import SqlTable
from dsar.models import Request
from portal.errors import Conflict
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db

BODY = {"type": "access", "jurisdiction": "gdpr", "name": "Someone"}


def _intake(client, capture, **body):
    with capture(execute=True):
        response = client.post("/api/dsar/intake", {**BODY, **body}, format="json")
    assert response.status_code == 202
    return Request.objects.latest("pk"), response


def _links() -> list[list[str]]:
    return [m.to for m in mail.outbox if "Confirm your request" in m.subject]


def _why_not(request) -> str:
    event = AuditEvent.objects.get(action="dsar.request.verification_needs_staff", target_id=str(request.pk))
    return event.details["reason"]


def test_another_customers_number_gets_no_link_and_the_same_answer(
    client_of, customer_register, django_capture_on_commit_callbacks
):
    client = client_of()
    own, own_response = _intake(
        client, django_capture_on_commit_callbacks, email="ann@example.com", customer_id="C-1001"
    )
    eve, eve_response = _intake(
        client, django_capture_on_commit_callbacks, email="eve@evil.example", customer_id="C-1002"
    )

    assert own_response.content == eve_response.content  # nothing tells Eve the number is someone else's
    assert _links() == [["ann@example.com"]]  # the case of the register's address does not matter
    assert own.status == Request.Status.VERIFYING
    assert eve.status == Request.Status.RECEIVED
    assert _why_not(eve) == "The customer id given is not on record with this address."


def test_an_unknown_customer_number_gets_no_link(client_of, customer_register, django_capture_on_commit_callbacks):
    request, _ = _intake(client_of(), django_capture_on_commit_callbacks, email="ann@example.com", customer_id="C-9")

    assert _links() == []
    assert request.status == Request.Status.RECEIVED


def test_without_a_register_a_customer_number_waits_for_staff(
    client_of, privacy_officer, django_capture_on_commit_callbacks
):
    request, _ = _intake(client_of(), django_capture_on_commit_callbacks, email="ann@example.com", customer_id="C-1")

    assert _links() == []
    assert _why_not(request) == "No customer register is configured to confirm a customer id."
    with pytest.raises(Conflict, match="No customer register"):
        services.verification_send(actor=privacy_officer, request=request)


def test_an_address_alone_is_proved_by_the_link_as_before(client_of, django_capture_on_commit_callbacks):
    request, _ = _intake(client_of(), django_capture_on_commit_callbacks, email="nora@example.com")

    assert _links() == [["nora@example.com"]]
    assert request.status == Request.Status.VERIFYING


def test_an_unreadable_register_sends_no_link_and_does_not_fail_the_intake(
    client_of, customer_register, django_capture_on_commit_callbacks
):
    customer_register.url = "sqlite:////nonexistent/dir/register.sqlite3"
    customer_register.save(update_fields=["url"])

    request, _ = _intake(client_of(), django_capture_on_commit_callbacks, email="ann@example.com", customer_id="C-1001")

    assert _links() == []
    assert _why_not(request) == "The customer register could not be read to confirm the customer id."


def test_staff_can_still_verify_another_way_after_checking_the_identity(
    client_of, customer_register, privacy_officer, django_capture_on_commit_callbacks
):
    eve, _ = _intake(client_of(), django_capture_on_commit_callbacks, email="bob.new@example.com", customer_id="C-1002")

    services.request_verify_otherwise(
        actor=privacy_officer, request=eve, method="document", note="Bob's passport seen; he moved address."
    )

    eve.refresh_from_db()
    assert eve.status == Request.Status.VERIFIED


def test_only_a_table_looked_up_by_address_can_be_the_register(customer_register):
    table = SqlTable(
        source=customer_register,
        table="orders",
        identifier_column="customer_id",
        identifier_kind=SqlTable.IdentifierKind.CUSTOMER_ID,
        customer_id_column="customer_id",
    )

    with pytest.raises(Exception, match="Only a table looked up by e-mail address") as exc:
        table.full_clean()
    assert "customer_id_column" in exc.value.message_dict

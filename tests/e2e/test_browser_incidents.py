"""Incidents in a real browser: Petra imports the affected subjects of a breach and notifies them once.

Each page on the way is checked with axe-core (``conftest.accessibility``). The demo's camera incident
(a breach with no subjects imported yet) is the one worked here. Celery runs eagerly in tests, so the
mail goes out in the live server's thread, into the locmem outbox this process shares with it.
"""

from __future__ import annotations

import pytest
from django.core import mail

from incidents.demo import CAMERA
from incidents.models import Incident
from incidents.subjects.models import AffectedSubject

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PEOPLE = [
    ("dana.nowak@customers.example.com", "Dana Nowak"),
    ("eric.okafor@customers.example.com", "Eric Okafor"),
    ("fay.rossi@customers.example.com", "Fay Rossi"),
]


def csv_file(lines: list[str]) -> dict:
    return {"name": "affected.csv", "mimeType": "text/csv", "buffer": ("\r\n".join(lines) + "\r\n").encode()}


def test_a_privacy_officer_imports_the_affected_subjects_and_notifies_each_once(browser_as):
    incident = Incident.objects.get(title=CAMERA)
    petra = browser_as("petra")
    mail.outbox.clear()  # the demo's own notification (the leak's 1,000 customers) went out while seeding

    petra.goto(f"/incidents/{incident.pk}/")
    assert "No affected subjects imported yet." in petra.text()
    petra.follow("Affected subjects and notification →")

    # All or nothing: one bad address and one duplicate refuse the whole file, naming their lines.
    rows = [f"{email},{name}" for email, name in PEOPLE]
    petra.page.get_by_label("CSV file").set_input_files(
        csv_file(["email,name", rows[0], "not-an-address,Nobody", rows[1], rows[0]])
    )
    petra.submit("Import")
    assert "2 rows are not valid" in petra.text()
    bad_lines = petra.page.locator("#bad-rows tbody tr td:first-child").all_inner_texts()
    assert bad_lines == ["3", "5"]
    assert not AffectedSubject.objects.filter(incident=incident).exists()

    good = ["email,name,language", *[f"{row},en-GB" for row in rows]]
    petra.page.get_by_label("CSV file").set_input_files(csv_file(good))
    petra.submit("Import")
    assert "3 subjects imported from affected.csv." in petra.text()

    petra.submit("Preview")
    preview = petra.page.locator("#preview").inner_text()
    assert f"to {PEOPLE[0][0]}" in preview
    assert f"Dear {PEOPLE[0][1]}," in preview
    assert incident.reference in preview
    assert not mail.outbox, "a preview sends nothing"

    petra.submit("Send to 3 subjects")
    assert "Notification queued for 3 subjects" in petra.text()
    listed = petra.page.locator("section[aria-labelledby=list-h] tbody tr").all_inner_texts()
    assert len(listed) == len(PEOPLE)
    for email, _ in PEOPLE:
        assert sum(email in row for row in listed) == 1
    assert all("Sent" in row for row in listed), listed

    assert sorted(address for m in mail.outbox for address in m.to) == sorted(email for email, _ in PEOPLE)
    assert all(len(m.to) == 1 for m in mail.outbox)
    assert {m.subject for m in mail.outbox} == {
        f"Important: a data breach affecting your personal data ({incident.reference})"
    }

    # Everyone has been told: a second "Send" is refused and mails nobody.
    petra.submit("Send to 0 subjects")
    assert "Every imported subject has already been notified" in petra.text()
    assert len(mail.outbox) == len(PEOPLE)

    petra.goto(f"/incidents/{incident.pk}/")
    summary = petra.page.locator("section[aria-labelledby=subjects-h]").inner_text()
    assert "Imported\n3" in summary or "Imported\t3" in summary, summary
    assert "Sent\n3" in summary or "Sent\t3" in summary, summary
    assert set(AffectedSubject.objects.filter(incident=incident).values_list("status", "attempts")) == {("sent", 1)}

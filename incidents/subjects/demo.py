"""Demo data for subject notification: the leak story's affected customers, imported and notified.

Called by the incidents demo (``seed_demo``) with the leak incident and a privacy
officer. Idempotent: an incident that already has subjects is left as it is.
"""

from __future__ import annotations

from django.core.files.base import ContentFile

from incidents.subjects.models import AffectedSubject
from incidents.subjects.services import subjects_import, subjects_notify

FIRST = ("Alex", "Sam", "Jo", "Robin", "Kim", "Charlie", "Maria", "Yusuf", "Aiko", "Lena")
LAST = ("Smith", "Jones", "Patel", "Nowak", "Müller", "García", "Okafor", "Tanaka", "Rossi", "Dubois")
LANGUAGES = ("en-GB", "en-GB", "en-GB", "de", "fr", "es", "it", "pl", "en", "nl")


def demo_csv(n: int) -> bytes:
    lines = ["email,name,language"]
    for i in range(n):
        first, last = FIRST[i % 10], LAST[(i // 10) % 10]
        lines.append(f"{first.lower()}.{i:04d}@customers.example.com,{first} {last},{LANGUAGES[i % 10]}")
    return ("\r\n".join(lines) + "\r\n").encode()


def seed_subjects(*, incident, officer, n: int = 1000, notify: bool = True) -> int:
    """Import ``n`` demo customers into ``incident`` and queue their notification. Returns how many were imported."""
    if AffectedSubject.objects.filter(incident=incident).exists():
        return 0
    source = subjects_import(
        actor=officer, incident=incident, upload=ContentFile(demo_csv(n), name="affected-customers.csv")
    )
    if notify:
        subjects_notify(
            actor=officer,
            incident=incident,
            subject="Important: your contact details were disclosed ({reference})",
            body=(
                "Dear {name},\n\nAn employee of {organisation} disclosed customer contact details, yours among "
                "them, to a third party (our reference {reference}). We have cut the employee's access, told the "
                "regulator and referred the case to the police.\n\nBe wary of unexpected calls or e-mails that "
                "mention your orders.\n\n{organisation}"
            ),
        )
    return source.count

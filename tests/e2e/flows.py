"""Browser flows still to be written, one documented function each, for features landing after this
module (issue 12 asks for them; the incidents subject import and the DSAR package were in progress).

They are not tests: nothing here is collected, so nothing is skipped. To turn one on, write its steps
with :class:`tests.e2e.browser.Visit` (``goto``, ``follow``, ``submit``, ``check`` runs axe-core) and add
a test in ``tests/e2e/test_browser_<app>.py`` that calls it with the ``browser_as`` fixture, marked
``browser`` and ``django_db(transaction=True, serialized_rollback=True)`` as in ``test_browser_access.py``.
Keep each flow to what a user notices; CI time is counted in minutes.
"""

from __future__ import annotations


def privacy_officer_imports_subjects_and_notifies(browser_as) -> None:
    """Petra opens the demo breach incident, uploads a CSV of affected subjects (the import page shows
    the count and any refused rows, all or nothing), previews the notification, sends it, and the
    incident page shows every subject notified once. Then: the outbox (``mail.outbox`` on the live
    server's process) holds one mail per subject; a second "Send" sends nothing more.
    Pages to check with axe: incident detail, import form, import result, preview, sent summary.
    """
    raise NotImplementedError("write it when the subject import and notification pages are on main")


def dsar_from_public_form_to_download(browser_as) -> None:
    """A data subject files a request on the public form (not signed in), confirms by the e-mailed
    link (verification), Petra collects from the connectors, builds the package, a second privacy
    officer approves it (four eyes: Petra cannot approve her own), and the subject downloads it from
    the delivery link exactly once within its limits. Then: the ZIP holds only the verified subject's
    records (never another customer's recordings), and each step is in the request's timeline.
    Pages to check with axe: public form, confirmation, request detail at each step, download page.
    """
    raise NotImplementedError("write it when DSAR intake, package and delivery are on main")

"""A data-subject request in a real browser, from the public form to the subject's download.

Ann (``ann@example.com``, customer ``C-1001`` in the demo's customer database) asks for her data
without signing in and confirms by the e-mailed link. Petra collects: the SQL connector reads the
customer database (eagerly, in the live server's thread), and the systems without a connector are
searched by hand. One of the recordings tagged with Ann's customer id is Bob's: the guard stops the
package until Petra takes it out. Petra builds the package; she cannot approve her own, so a second
privacy officer does and sends the link; Ann downloads the ZIP. Each page is checked with axe-core.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail

from dsar.connectors.demo import MISTAGGED
from dsar.models import Item, Request
from portal.models import PRIVACY_OFFICERS
from tests.e2e.browser import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ANN = {"email": "ann@example.com", "customer": "C-1001", "name": "Ann Example"}
ANNS_IDENTIFIERS = {f"email:{ANN['email']}", f"customer:{ANN['customer']}"}
# What her package must hold from the demo customer database, and nothing of Bob's or Cara's.
ANNS_RECORDINGS = ["recordings-1.wav", "recordings-3.wav", "recordings-5.wav"]
ANNS_TRANSCRIPTS = {"Ann sets a timer", "Ann asks for the news", "Ann calls Bob"}
OTHERS = ("bob@example.com", "C-1002", "cara@example.com", "C-1003", "Bob asks for the weather")


def mailed_path(to: str, pattern: str) -> str:
    """The path of the one link mailed to ``to`` matching ``pattern`` (mail links name PORTAL_BASE_URL)."""
    bodies = [m.body for m in mail.outbox if m.to == [to]]
    found = {p for body in bodies for p in re.findall(pattern, body)}
    assert len(found) == 1, f"expected one link to {to} matching {pattern}, found {found}"
    return found.pop()


def second_privacy_officer():
    user = get_user_model().objects.create_user(
        "pia", email="pia@example.com", password=DEMO_PASSWORD, first_name="Pia", last_name="Privacy", is_staff=True
    )
    user.groups.add(Group.objects.get(name=PRIVACY_OFFICERS))
    return user


def test_a_subject_asks_confirms_and_downloads_only_their_own_data_after_four_eyes(browser_as):
    mail.outbox.clear()  # the demo's own mail went out while seeding
    second_privacy_officer()

    ann = browser_as(None)
    ann.goto("/dsar/request/")
    ann.page.get_by_label("What do you ask for?").select_option("access")
    ann.page.get_by_label("Your e-mail address").fill(ANN["email"])
    ann.page.get_by_label("Your name").fill(ANN["name"])
    ann.page.get_by_label("Customer number (if you have one)").fill(ANN["customer"])
    ann.page.get_by_label("Where you live (the law that applies)").select_option("gdpr")
    ann.submit("Send my request")
    request = Request.objects.filter(email=ANN["email"], created_by=None).get()
    assert request.status == Request.Status.VERIFYING
    assert request.reference not in ann.text(), "the answer is the same for everyone: it names no request"

    ann.goto(mailed_path(ANN["email"], r"/dsar/verify/[^/\s]+/"))
    assert f"your request {request.reference} is confirmed" in ann.text()

    petra = browser_as("petra")
    petra.goto("/dsar/")
    petra.follow(request.reference)
    assert "verified" in petra.text()
    petra.submit("Start collection")
    assert "Collection started" in petra.text()
    # The connectors ran on commit; Petra searched the other systems by hand and found nothing.
    manual = petra.page.locator("details", has_text="Upload what was found in")
    searched_by_hand = manual.count()
    assert searched_by_hand > 0
    for _ in range(searched_by_hand):
        form = manual.first
        form.locator("summary").click()
        with petra.page.expect_navigation():
            form.get_by_role("button", name="Upload and mark done").click()
        petra.check()
        assert "Files stored; the task is done." in petra.text()
    assert not manual.count()

    # Collected: Bob's recording, mis-tagged with Ann's customer id, is held back by the guard.
    request.refresh_from_db()
    assert request.status == Request.Status.REVIEW
    package = petra.page.locator("#package")
    assert "The subject-match guard stops this package." in package.inner_text()
    assert MISTAGGED["identifier"] in package.inner_text()
    petra.submit("Take out")
    assert "Item taken out of the request." in petra.text()
    assert not Item.objects.filter(request=request).exclude(subject_identifier__in=ANNS_IDENTIFIERS).exists()

    petra.submit("Build the package")
    assert "Package built: 6 items." in petra.text()
    assert "You built this package, so someone else approves it." in petra.text()
    assert not petra.page.get_by_role("button", name="Approve (second pair of eyes)").count()

    pia = browser_as("pia")
    pia.goto(f"/dsar/{request.pk}/")
    pia.submit("Approve (second pair of eyes)")
    assert "Package approved." in pia.text()
    pia.submit(f"Send the link to {ANN['email']}")
    assert f"Download link mailed to {ANN['email']}" in pia.text()

    download_path = mailed_path(ANN["email"], r"/dsar/download/[^/\s]+/")
    ann.goto(download_path)
    assert "3 more times" in ann.text()
    with ann.page.expect_download() as started:
        ann.page.get_by_role("button", name="Download the ZIP").click()
    download = started.value
    assert download.suggested_filename == f"{request.reference}.zip"
    with open(download.path(), "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    ann.goto(download_path)
    assert "2 more times" in ann.text()

    # The ZIP: Ann's contact row, her two orders and her three recordings; nothing of anyone else's.
    manifest = json.loads(archive.read("manifest.json"))
    assert {item["subject_identifier"] for item in manifest["items"]} <= ANNS_IDENTIFIERS
    assert len(manifest["items"]) == 6
    # files/<asset>/<source>/<item id>-<name>
    files = [n.rsplit("/", 1)[1].split("-", 1)[1] for n in archive.namelist() if n.startswith("files/")]
    assert sorted(files) == ANNS_RECORDINGS, archive.namelist()
    data = {n: archive.read(n).decode() for n in archive.namelist() if n.startswith("data/")}
    records = [row["data"] for name, text in data.items() if name.endswith(".json") for row in json.loads(text)]
    assert {r["transcript"] for r in records if "transcript" in r} == ANNS_TRANSCRIPTS
    everything = "\n".join(data.values()) + archive.read("manifest.json").decode()
    for other in OTHERS:
        assert other not in everything, f"{other} is in Ann's package"

    # Each step is in the request's history, in order.
    petra.goto(f"/dsar/{request.pk}/")
    steps = petra.page.locator("section[aria-labelledby=history-h] li").all_inner_texts()
    expected = [
        "dsar.request.received",
        "dsar.request.verification_sent",
        "dsar.request.verified",
        "dsar.request.collection_started",
        "dsar.task.done",
        "dsar.task.uploaded",
        "dsar.request.collected",
        "dsar.item.discarded",
        "dsar.package.built",
        "dsar.package.approved",
        "dsar.package.sent",
        "dsar.package.downloaded",
    ]
    shown = [next(a for a in expected if a in step) for step in steps if any(a in step for a in expected)]
    assert list(dict.fromkeys(shown)) == expected, steps
    assert "the subject downloaded the package" in steps[-1]
    assert "Delivered" in petra.text()

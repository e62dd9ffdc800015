"""Every e-mail of access/, sent by the real flow that sends it: text and HTML parts, clean subjects.

Names and reasons carry apostrophes, ampersands and angle brackets: the HTML
part must escape them, the plain-text part must not.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from access import services
from access.campaigns import jobs as campaign_jobs
from access.campaigns import services as campaign_services
from access.models import BREAK_GLASS_REVIEW_HOURS, LAPSE_AFTER_DAYS
from access.tests.factories import make_campaign, make_grant
from access.tests.test_services_audit import audit_chain_verifies  # noqa: F401
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audit_chain_verifies")]

TEMPLATE_DIR = Path(django_settings.BASE_DIR) / "templates" / "email" / "access"
ASSET = "Bob's <Orders> & returns"
GRANTEE = "Siobhán O'Neill"
REASON = "Didn't return the laptop & left on 3 <Nov>"
WHY = "Customer's parcels went missing & the <ticket> says so, see CS-1042."
INVALID = "!!MISSING %s!!"
ENTITIES = ("&#x27;", "&#39;", "&lt;", "&gt;", "&amp;", "&quot;")


class World:
    def __init__(self, clock, reviewer, privacy_officer, access_admin):
        self.clock, self.reviewer, self.officer, self.admin = clock, reviewer, privacy_officer, access_admin
        self.user = UserFactory(username="siobhan", first_name="Siobhán", last_name="O'Neill")
        self.asset = DataAssetFactory(name=ASSET, sensitivity="confidential", reviewers=[reviewer])

    def ask(self):
        return services.request_create(
            actor=self.user, asset=self.asset, scope="use", justification=WHY, duration_days=30
        )

    def break_glass(self):
        return services.break_glass_open(actor=self.user, asset=self.asset, scope="use", justification=WHY)


# template -> (prepare, then the step that mails it); and what its plain text must say verbatim.
def request_waiting(w: World):
    return w.ask, [GRANTEE, ASSET, WHY]


def request_approved(w: World):
    request = w.ask()
    return lambda: services.request_approve(actor=w.reviewer, request=request), [ASSET]


def request_denied(w: World):
    request = w.ask()
    return lambda: services.request_deny(actor=w.reviewer, request=request, comment=REASON), [ASSET, REASON]


def request_lapsed(w: World):
    w.ask()
    w.clock.shift(timedelta(days=LAPSE_AFTER_DAYS))
    return services.requests_lapse, [ASSET]


def grant_expiring(w: World):
    make_grant(w.user, w.asset, days=5)
    return services.grants_warn_expiring, [ASSET]


def grant_revoked(w: World):
    grant = make_grant(w.user, w.asset)
    return lambda: services.grant_revoke(actor=w.reviewer, grant=grant, reason=REASON), [ASSET, REASON]


def revoked_all(w: World):
    make_grant(w.user, w.asset)
    return lambda: services.user_revoke_all(actor=w.admin, user=w.user, reason=REASON), [REASON]


def break_glass_opened(w: World):
    return w.break_glass, [GRANTEE, ASSET, WHY]


def break_glass_overdue(w: World):
    w.break_glass()
    w.clock.shift(timedelta(hours=BREAK_GLASS_REVIEW_HOURS))
    return services.break_glass_escalate, [GRANTEE, ASSET]


CAMPAIGN = "Q4 'review' of <all> access & more"


def _campaign(w: World, days: int = 10, launch: bool = True):
    make_grant(w.user, w.asset)
    return make_campaign(w.admin, name=CAMPAIGN, days=days, launch=launch)


def campaign_launched(w: World):
    campaign = _campaign(w, launch=False)
    return lambda: campaign_services.campaign_launch(actor=w.admin, campaign=campaign), [CAMPAIGN]


def campaign_reminder(w: World):
    _campaign(w, days=10)
    w.clock.shift(timedelta(days=4))
    return campaign_jobs.campaigns_remind, [CAMPAIGN]


def campaign_escalated(w: World):
    _campaign(w, days=3)
    w.clock.shift(timedelta(days=3, minutes=1))
    return campaign_jobs.campaigns_escalate, [CAMPAIGN]


def campaign_item_assigned(w: World):
    item = _campaign(w).items.get()
    return lambda: campaign_services.review_item_reassign(actor=w.admin, item=item, to=w.officer), [CAMPAIGN]


FLOWS = [
    campaign_launched,
    campaign_reminder,
    campaign_escalated,
    campaign_item_assigned,
    request_waiting,
    request_approved,
    request_denied,
    request_lapsed,
    grant_expiring,
    grant_revoked,
    revoked_all,
    break_glass_opened,
    break_glass_overdue,
]


@pytest.fixture
def strict_templates(settings):
    """A variable missing from a mail's context shows up instead of rendering as nothing."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["string_if_invalid"] = INVALID
    settings.TEMPLATES = templates


@pytest.fixture
def world(time_machine, reviewer, privacy_officer, access_admin, strict_templates):
    time_machine.move_to(timezone.now(), tick=False)
    return World(time_machine, reviewer, privacy_officer, access_admin)


def test_every_access_template_is_covered_here_and_has_all_three_parts():
    names = {p.name.removesuffix("_subject.txt") for p in TEMPLATE_DIR.glob("*_subject.txt")}
    assert names == {flow.__name__ for flow in FLOWS}
    for name in names:
        assert (TEMPLATE_DIR / f"{name}.txt").exists()
        assert (TEMPLATE_DIR / f"{name}.html").exists()


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.__name__)
def test_each_mail_has_a_clean_subject_an_unescaped_text_part_and_an_escaped_html_part(
    world, flow, mailoutbox, django_capture_on_commit_callbacks
):
    send, verbatim = flow(world)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        send()

    assert mailoutbox, f"{flow.__name__} sent nothing"
    for message in mailoutbox:
        assert message.subject.strip()
        assert "\n" not in message.subject
        assert "\r" not in message.subject
        assert not any(entity in message.subject for entity in ENTITIES), message.subject
        for text in verbatim:
            assert text in message.body, f"{text!r} not verbatim in:\n{message.body}"
        assert not any(entity in message.body for entity in ENTITIES), message.body
        assert "!!MISSING" not in message.subject + message.body
        [(html, mimetype)] = message.alternatives
        assert mimetype == "text/html"
        assert html.lstrip().startswith("<!doctype html>")
        assert "!!MISSING" not in html
        assert "Bob&#x27;s &lt;Orders&gt; &amp; returns" in html or ASSET not in verbatim
        assert "<Orders>" not in html
        assert "<Nov>" not in html
        assert "<ticket>" not in html


def test_the_subject_names_the_asset_verbatim(world, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        world.break_glass()

    assert {m.subject for m in mailoutbox} == {f"Break-glass access: {GRANTEE} → {ASSET}"}


def test_the_links_in_a_mail_point_at_the_portal(world, settings, mailoutbox, django_capture_on_commit_callbacks):
    settings.PORTAL_BASE_URL = "https://privacy.example.org"
    grant = make_grant(world.user, world.asset)

    with django_capture_on_commit_callbacks(execute=True):
        services.grant_revoke(actor=world.reviewer, grant=grant, reason=REASON)

    [message] = mailoutbox
    url = f"https://privacy.example.org{grant.get_absolute_url()}"
    assert url in message.body
    assert f'href="{url}"' in message.alternatives[0][0]

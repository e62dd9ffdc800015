"""The periodic jobs of access/: expiry, expiry warnings, lapsing requests, break-glass escalation.

The clock is the only thing stood in for (time_machine); the jobs run for real,
twice where they must be idempotent.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from access import mail, services, tasks
from access.models import (
    BREAK_GLASS_REVIEW_HOURS,
    EXPIRY_WARNING_DAYS,
    LAPSE_AFTER_DAYS,
    AccessRequest,
    Grant,
)
from access.tests.factories import make_break_glass, make_grant
from access.tests.test_services_audit import audit_chain_verifies  # noqa: F401
from portal import audit, jobs, notifications, permissions
from portal.models import AuditEvent
from portal.tests.factories import DataAssetFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audit_chain_verifies")]

WHY = "Investigating undelivered parcels for the support escalation queue."


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


@pytest.fixture
def run_job(django_capture_on_commit_callbacks):
    """Run a job as the worker does: its mails go out once it has committed."""

    def run(job):
        with django_capture_on_commit_callbacks(execute=True):
            return job()

    return run


def holds(user, asset, perm="portal.use_dataasset") -> bool:
    return permissions.has(get_user_model().objects.get(pk=user.pk), perm, asset)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


# --- Expiry -----------------------------------------------------------------------------


def test_a_grant_past_its_time_is_refused_before_the_sweep_and_expired_by_it(employee, asset, clock):
    grant = make_grant(employee, asset, days=30)
    clock.move_to(grant.expires_at + timedelta(seconds=1))

    # Before the sweep: the decision point already says no, though the row and the permission are still there.
    assert not services.check_access(user=employee.pk, asset=asset.pk, scope="use").allowed
    assert Grant.objects.get().status == Grant.Status.ACTIVE

    assert services.grants_expire() == 1

    grant.refresh_from_db()
    assert (grant.status, grant.ended_at) == (Grant.Status.EXPIRED, timezone.now())
    assert not holds(employee, asset)
    [event] = events("access.grants.expired")
    assert event.details["grants"] == [grant.pk]
    assert event.details["count"] == 1
    assert event.details["permissions_removed"] == 1


def test_each_expired_grant_shows_its_expiry_in_its_own_history(employee, asset, clock, web_of):
    first = make_grant(employee, asset, days=1)
    second = make_grant(employee, asset, scope="export", days=1)
    clock.shift(timedelta(days=1))

    assert services.grants_expire() == 2

    for grant in (first, second):
        [latest, *_] = audit.history(grant)
        assert (latest.action, latest.actor_repr, latest.target_repr) == (
            "access.grant.expired",
            "system",
            f"Grant #{grant.pk}",
        )
    html = web_of(employee).get(f"/access/grants/{first.pk}/").content.decode()
    assert "access.grant.expired" in html


def test_the_sweep_run_again_does_nothing(employee, asset, clock):
    make_grant(employee, asset, days=1)
    clock.shift(timedelta(days=2))
    services.grants_expire()
    before = AuditEvent.objects.count()

    assert services.grants_expire() == 0

    assert AuditEvent.objects.count() == before
    assert len(events("access.grants.expired")) == 1


def test_the_sweep_leaves_grants_still_running_and_ended_ones_alone(employee, outsider, asset, reviewer, clock):
    due = make_grant(employee, asset, days=1)
    running = make_grant(outsider, asset, days=30)
    revoked = make_grant(employee, asset, scope="export", days=1)
    services.grant_revoke(actor=reviewer, grant=revoked, reason="Not needed.")
    clock.shift(timedelta(days=1))

    assert services.grants_expire() == 1

    statuses = dict(Grant.objects.values_list("pk", "status"))
    assert statuses == {due.pk: "expired", running.pk: "active", revoked.pk: "revoked"}
    assert holds(outsider, asset)
    assert Grant.objects.get(pk=revoked.pk).revoke_reason == "Not needed."


def test_the_sweep_works_in_batches_and_names_every_grant_once(employee, clock):
    assets = DataAssetFactory.create_batch(5)
    scopes = ["use", "export", "admin"]
    grants = [make_grant(employee, a, scope=s, days=1) for a in assets for s in scopes]
    clock.shift(timedelta(days=1))

    assert services.grants_expire(batch_size=4) == 15

    named = [pk for event in events("access.grants.expired") for pk in event.details["grants"]]
    assert sorted(named) == sorted(g.pk for g in grants)
    assert len(events("access.grants.expired")) == 4
    assert not any(holds(employee, a, f"portal.{s}_dataasset") for a in assets for s in scopes)


def test_the_sweep_removes_only_the_permissions_of_the_grants_it_ends(employee, outsider, clock):
    a, b = DataAssetFactory.create_batch(2)
    make_grant(employee, a, days=1)
    make_grant(employee, b, days=30)
    make_grant(outsider, a, days=30)
    make_grant(outsider, b, days=1)
    clock.shift(timedelta(days=1))

    services.grants_expire()

    assert (holds(employee, a), holds(employee, b), holds(outsider, a), holds(outsider, b)) == (
        False,
        True,
        True,
        False,
    )
    assert services.reconcile_permissions().clean


# --- Expiry warning -----------------------------------------------------------------------


def test_a_grant_six_days_from_expiry_is_warned_once_however_often_the_job_runs(
    employee, asset, clock, run_job, mailoutbox
):
    grant = make_grant(employee, asset, days=30)
    clock.move_to(grant.expires_at - timedelta(days=6))

    assert run_job(services.grants_warn_expiring) == 1
    assert run_job(services.grants_warn_expiring) == 0

    [message] = mailoutbox
    assert message.to == ["emma@example.com"]
    assert message.subject.startswith("Your access to Customer contact database ends on ")
    grant.refresh_from_db()
    assert grant.expiry_warned_at == timezone.now()
    [event] = events("access.grants.expiry_warned")
    assert event.details["grants"] == [grant.pk]


@pytest.mark.parametrize(
    ("before_expiry", "warned"),
    [
        (timedelta(days=EXPIRY_WARNING_DAYS, seconds=1), False),
        (timedelta(days=EXPIRY_WARNING_DAYS), True),
        (timedelta(seconds=1), True),
    ],
    ids=["just-over-a-week", "a-week", "a-second"],
)
def test_the_warning_goes_out_a_week_before(employee, asset, clock, run_job, mailoutbox, before_expiry, warned):
    grant = make_grant(employee, asset, days=30)
    clock.move_to(grant.expires_at - before_expiry)

    assert run_job(services.grants_warn_expiring) == int(warned)
    assert len(mailoutbox) == int(warned)


def test_an_extension_resets_the_warning(employee, asset, reviewer, clock, run_job, mailoutbox):
    request = services.request_create(actor=employee, asset=asset, scope="use", justification=WHY, duration_days=30)
    grant = services.request_approve(actor=reviewer, request=request).grant
    clock.move_to(grant.expires_at - timedelta(days=6))
    run_job(services.grants_warn_expiring)

    again = services.request_create(actor=employee, asset=asset, scope="use", justification=WHY, duration_days=30)
    services.request_approve(actor=reviewer, request=again)
    grant.refresh_from_db()
    assert grant.expiry_warned_at is None
    assert run_job(services.grants_warn_expiring) == 0, "the new expiry is a month away"

    clock.move_to(grant.expires_at - timedelta(days=6))
    assert run_job(services.grants_warn_expiring) == 1
    assert run_job(services.grants_warn_expiring) == 0

    warnings = [m for m in mailoutbox if m.subject.startswith("Your access to")]
    assert len(warnings) == 2
    assert len({m.subject for m in warnings}) == 2, "each names its own expiry date"


def test_break_glass_and_ended_grants_are_not_warned(employee, asset, reviewer, clock, run_job, mailoutbox):
    make_break_glass(employee, asset)
    revoked = make_grant(employee, asset, scope="export", days=3)
    services.grant_revoke(actor=reviewer, grant=revoked, reason="Not needed.")

    assert run_job(services.grants_warn_expiring) == 0
    assert [m for m in mailoutbox if "ends on" in m.subject] == []


# --- Lapse -------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "lapses"), [(LAPSE_AFTER_DAYS - 1, False), (LAPSE_AFTER_DAYS, True)])
def test_a_request_nobody_decided_for_fourteen_days_lapses(employee, asset, clock, run_job, mailoutbox, days, lapses):
    request = services.request_create(actor=employee, asset=asset, scope="use", justification=WHY, duration_days=30)
    clock.shift(timedelta(days=days))

    assert run_job(services.requests_lapse) == int(lapses)

    request.refresh_from_db()
    lapsed = [m for m in mailoutbox if m.to == ["emma@example.com"]]
    if lapses:
        assert (request.status, request.decided_at) == (AccessRequest.Status.LAPSED, timezone.now())
        [event] = events("access.request.lapsed")
        assert (event.target_id, event.actor_id, event.details) == (str(request.pk), None, {"after_days": 14})
        assert [m.subject for m in lapsed] == ["Access request lapsed: Customer contact database (use)"]
    else:
        assert request.status == AccessRequest.Status.PENDING
        assert events("access.request.lapsed") == []
        assert lapsed == []


def test_lapsing_is_idempotent_and_leaves_decided_requests_alone(employee, asset, reviewer, clock, run_job, mailoutbox):
    pending = services.request_create(actor=employee, asset=asset, scope="use", justification=WHY, duration_days=30)
    decided = services.request_create(actor=employee, asset=asset, scope="export", justification=WHY, duration_days=30)
    services.request_deny(actor=reviewer, request=decided, comment="Use the monthly report.")
    clock.shift(timedelta(days=30))

    assert run_job(services.requests_lapse) == 1
    assert run_job(services.requests_lapse) == 0

    statuses = dict(AccessRequest.objects.values_list("pk", "status"))
    assert statuses == {pending.pk: "lapsed", decided.pk: "denied"}
    assert len(events("access.request.lapsed")) == 1
    assert len([m for m in mailoutbox if m.subject.startswith("Access request lapsed")]) == 1


def test_a_lapsed_request_can_be_asked_again(employee, asset, clock):
    services.request_create(actor=employee, asset=asset, scope="use", justification=WHY, duration_days=30)
    clock.shift(timedelta(days=LAPSE_AFTER_DAYS))
    services.requests_lapse()

    again = services.request_create(actor=employee, asset=asset, scope="use", justification=WHY, duration_days=30)

    assert again.status == AccessRequest.Status.PENDING


# --- Break-glass escalation -------------------------------------------------------------------


def test_an_unreviewed_break_glass_is_escalated_to_the_privacy_officers_once(
    employee, asset, reviewer, privacy_officer, clock, run_job, mailoutbox
):
    UserFactory(username="piet", groups=["privacy-officers"])
    UserFactory(username="polly", groups=["privacy-officers"], is_active=False)
    grant = make_break_glass(employee, asset)
    mailoutbox.clear()

    clock.shift(timedelta(hours=BREAK_GLASS_REVIEW_HOURS) - timedelta(seconds=1))
    assert run_job(services.break_glass_escalate) == 0
    clock.shift(timedelta(seconds=1))
    assert run_job(services.break_glass_escalate) == 1
    assert run_job(services.break_glass_escalate) == 0
    clock.shift(timedelta(days=1))
    assert run_job(services.break_glass_escalate) == 0

    assert sorted(m.to[0] for m in mailoutbox) == ["petra@example.com", "piet@example.com"]
    assert {m.subject for m in mailoutbox} == {"Overdue break-glass review: Emma → Customer contact database"}
    grant.refresh_from_db()
    assert grant.review_escalated_at == timezone.now() - timedelta(days=1)
    [event] = events("access.break_glass.escalated")
    assert event.details["grants"] == [grant.pk]


def test_a_reviewed_break_glass_is_not_escalated(employee, asset, reviewer, privacy_officer, clock, run_job):
    grant = make_break_glass(employee, asset)
    services.break_glass_review(actor=reviewer, grant=grant, justified=True)
    clock.shift(timedelta(hours=BREAK_GLASS_REVIEW_HOURS + 1))

    assert run_job(services.break_glass_escalate) == 0


# --- Celery and the schedule ---------------------------------------------------------------------


def test_the_celery_tasks_run_the_jobs(employee, asset, clock):
    make_grant(employee, asset, days=1)
    services.request_create(actor=employee, asset=asset, scope="export", justification=WHY, duration_days=30)
    clock.shift(timedelta(days=LAPSE_AFTER_DAYS))

    # CELERY_TASK_ALWAYS_EAGER in tests: .delay() runs the task here and returns its result.
    assert tasks.expire_grants_task.delay().get() == 1
    assert tasks.lapse_requests_task.delay().get() == 1
    assert tasks.warn_expiring_grants_task.delay().get() == 0
    assert tasks.escalate_break_glass_task.delay().get() == 0


def test_every_job_is_on_the_beat_schedule():
    scheduled = set(PeriodicTask.objects.filter(enabled=True).values_list("task", flat=True))

    assert {
        "access.tasks.expire_grants_task",
        "access.tasks.warn_expiring_grants_task",
        "access.tasks.lapse_requests_task",
        "access.tasks.escalate_break_glass_task",
    } <= scheduled


# --- The job helper (portal.jobs): every periodic job's loop ------------------------------


def _due_for_warning():
    return Grant.objects.filter(status=Grant.Status.ACTIVE, expiry_warned_at__isnull=True).select_related(
        "user", "asset"
    )


def _warn(crash_in_batch: int | None = None):
    """An effect as a job writes one: an audit event and a mail per row; optionally failing in one batch."""
    batches: list[list[int]] = []

    def effect(batch):
        batches.append([g.pk for g in batch])
        audit.record(actor=None, action="test.grants.warned", details={"grants": batches[-1]})
        for grant in batch:
            notifications.notify(
                key=f"test-warned:{grant.pk}",
                to=[grant.user],
                template="access/grant_expiring",
                context=mail.grant_context(grant),
            )
        if len(batches) == crash_in_batch:
            raise RuntimeError("the worker died half-way")

    return effect, batches


def _run_warning(run_job, effect):
    """The helper as a job calls it, in batches of two, run as the worker runs it."""
    stamp = {"expiry_warned_at": timezone.now()}
    return run_job(lambda: jobs.run_batches(due=_due_for_warning(), stamp=stamp, effect=effect, batch_size=2))


def _five_grants(asset):
    users = UserFactory.create_batch(5)
    return [make_grant(user, asset, days=30) for user in users]


def test_the_job_helper_run_twice_sends_each_mail_once(asset, clock, run_job, mailoutbox):
    grants = _five_grants(asset)
    effect, batches = _warn()

    assert _run_warning(run_job, effect) == 5
    assert _run_warning(run_job, effect) == 0

    assert batches == [[g.pk for g in grants[:2]], [g.pk for g in grants[2:4]], [grants[4].pk]]
    assert sorted(m.to[0] for m in mailoutbox) == sorted(g.user.email for g in grants)
    assert len(events("test.grants.warned")) == 3
    assert not Grant.objects.filter(expiry_warned_at__isnull=True).exists()


def test_the_job_helper_resumes_after_a_crash_mid_run(asset, clock, run_job, mailoutbox):
    grants = _five_grants(asset)
    crashing, _ = _warn(crash_in_batch=2)

    with pytest.raises(RuntimeError, match="half-way"):
        _run_warning(run_job, crashing)

    # Batch 1 is done: stamped, audited, mailed. Batch 2 rolled back whole: no stamp, no event, no mail.
    stamped = set(Grant.objects.filter(expiry_warned_at__isnull=False).values_list("pk", flat=True))
    assert stamped == {g.pk for g in grants[:2]}
    assert sorted(m.to[0] for m in mailoutbox) == sorted(g.user.email for g in grants[:2])
    assert [e.details["grants"] for e in events("test.grants.warned")] == [[g.pk for g in grants[:2]]]

    effect, batches = _warn()
    clock.shift(timedelta(minutes=5))
    assert _run_warning(run_job, effect) == 3

    assert batches == [[g.pk for g in grants[2:4]], [grants[4].pk]]
    assert sorted(m.to[0] for m in mailoutbox) == sorted(g.user.email for g in grants), "nobody mailed twice"
    assert not Grant.objects.filter(expiry_warned_at__isnull=True).exists()


def test_the_expiry_warning_works_in_batches(asset, clock, run_job, mailoutbox):
    grants = _five_grants(asset)
    clock.move_to(grants[0].expires_at - timedelta(days=6))

    assert run_job(lambda: services.grants_warn_expiring(batch_size=2)) == 5
    assert run_job(lambda: services.grants_warn_expiring(batch_size=2)) == 0

    named = [pk for event in events("access.grants.expiry_warned") for pk in event.details["grants"]]
    assert sorted(named) == sorted(g.pk for g in grants)
    assert len(events("access.grants.expiry_warned")) == 3
    assert len(mailoutbox) == 5

"""Periodic jobs of campaigns: reminders 7, 3 and 1 days before due, escalation on the due date,
and the quarterly launch.

Each runs through ``portal.jobs.run_batches``: claim the due campaigns with SKIP
LOCKED, stamp them (the stamp is what makes a second run a no-op), audit, and
mail on commit with a key per campaign, step and reviewer, so a retried task
never mails anyone twice.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from access.campaigns import services
from access.campaigns.models import REMINDER_DAYS, Campaign
from portal import audit, jobs, notifications, permissions
from portal.models import PRIVACY_OFFICERS

# The quarterly campaign's reviewers get this long.
QUARTERLY_DAYS = 30


def _running():
    # A closing campaign takes no decision any more: nobody is reminded of it.
    return Campaign.objects.filter(
        status=Campaign.Status.RUNNING, ready_at__isnull=False, closing_started_at__isnull=True
    )


def campaigns_remind(*, now=None) -> int:
    """Remind reviewers with undecided items 7, 3 and 1 days before due; each step once per campaign.

    The nearest step first: a campaign two days from due gets the 3-day reminder
    and never, later, a stale 7-day one. Returns how many campaigns were reminded.
    """
    now = now or timezone.now()
    done = 0
    for step in sorted(REMINDER_DAYS):
        due = (
            _running()
            .filter(due_at__gt=now, due_at__lte=now + timedelta(days=step))
            .filter(Q(reminded_days__isnull=True) | Q(reminded_days__gt=step))
        )
        done += jobs.run_batches(due=due, stamp={"reminded_days": step}, effect=partial(_remind, step=step))
    return done


def _remind(campaigns: list[Campaign], *, step: int) -> None:
    for campaign in campaigns:
        sent = services.tell_each_reviewer(
            campaign, key=f"campaign-reminder:{campaign.pk}:{step}", template="access/campaign_reminder", days=step
        )
        audit.record(
            actor=None, action="access.campaign.reminded", target=campaign, details={"days": step, "reviewers": sent}
        )


def campaigns_escalate(*, now=None) -> int:
    """On the due date, tell the privacy officers which reviewers still have undecided items (once)."""
    now = now or timezone.now()
    due = _running().filter(due_at__lte=now, escalated_at__isnull=True)
    return jobs.run_batches(due=due, stamp={"escalated_at": now}, effect=_escalate)


def _escalate(campaigns: list[Campaign]) -> None:
    for campaign in campaigns:
        rows = services.undecided_by_reviewer(campaign)
        undecided = sum(r["n"] for r in rows)
        audit.record(
            actor=None,
            action="access.campaign.escalated",
            target=campaign,
            details={"undecided": undecided, "reviewers": {r["reviewer_id"]: r["n"] for r in rows}},
        )
        if undecided:
            notifications.notify(
                key=f"campaign-escalated:{campaign.pk}",
                to=permissions.role_members(PRIVACY_OFFICERS),
                template="access/campaign_escalated",
                context=services.mail_context(campaign, count=undecided, reviewers=len(rows)),
            )


def quarter_name(now) -> str:
    local = timezone.localtime(now)
    return f"Q{(local.month - 1) // 3 + 1} {local.year} access recertification"


def campaign_launch_quarterly(*, now=None) -> Campaign | None:
    """The scheduled campaign of this quarter over every asset; ``None`` if it exists already."""
    now = now or timezone.now()
    name = quarter_name(now)
    with transaction.atomic():
        # The name is the quarter's key: a retried or doubled task launches one campaign.
        if Campaign.objects.select_for_update().filter(name=name, created_by__isnull=True).exists():
            return None
        campaign = services.campaign_create(actor=None, name=name, due_at=now + timedelta(days=QUARTERLY_DAYS))
        return services.campaign_launch(actor=None, campaign=campaign)

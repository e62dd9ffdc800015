"""Periodic jobs of campaigns: reminders 7, 3 and 1 days before due, escalation on the due date,
and the quarterly launch.

Each claims its campaigns with SKIP LOCKED, stamps them (the stamp is what makes
a second run a no-op), audits, and mails on commit with a key per campaign,
step and reviewer, so a retried task never mails anyone twice.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from access.campaigns import services
from access.campaigns.models import REMINDER_DAYS, Campaign
from portal import audit, notifications, permissions
from portal.models import PRIVACY_OFFICERS

# The quarterly campaign's reviewers get this long.
QUARTERLY_DAYS = 30


def _due_step(campaign: Campaign, now) -> int | None:
    """The nearest reminder step the campaign has reached (7, 3 or 1 days before due), if any."""
    left = campaign.due_at - now
    reached = [d for d in REMINDER_DAYS if left <= timedelta(days=d)]
    return min(reached) if reached else None


def campaigns_remind(*, now=None) -> int:
    """Remind reviewers with undecided items; each step once per campaign. Returns mails queued."""
    now = now or timezone.now()
    queued = 0
    with transaction.atomic():
        due = Campaign.objects.select_for_update(skip_locked=True).filter(
            status=Campaign.Status.RUNNING,
            ready_at__isnull=False,
            due_at__gt=now,
            due_at__lte=now + timedelta(days=max(REMINDER_DAYS)),
        )
        for campaign in due:
            step = _due_step(campaign, now)
            if step is None or (campaign.reminded_days is not None and campaign.reminded_days <= step):
                continue
            campaign.reminded_days = step
            campaign.save(update_fields=["reminded_days"])
            sent = services.tell_each_reviewer(
                campaign, key=f"campaign-reminder:{campaign.pk}:{step}", template="access/campaign_reminder", days=step
            )
            audit.record(
                actor=None,
                action="access.campaign.reminded",
                target=campaign,
                details={"days": step, "reviewers": sent},
            )
            queued += sent
    return queued


def campaigns_escalate(*, now=None) -> int:
    """On the due date, tell the privacy officers which reviewers still have undecided items (once)."""
    now = now or timezone.now()
    escalated = 0
    with transaction.atomic():
        due = Campaign.objects.select_for_update(skip_locked=True).filter(
            status=Campaign.Status.RUNNING, ready_at__isnull=False, due_at__lte=now, escalated_at__isnull=True
        )
        for campaign in due:
            campaign.escalated_at = now
            campaign.save(update_fields=["escalated_at"])
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
            escalated += 1
    return escalated


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

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from access import mail, policy
from access.models import (
    DENY_REASON_MESSAGE,
    LAPSE_AFTER_DAYS,
    MAX_COMMENT,
    MAX_JUSTIFICATION,
    MIN_JUSTIFICATION,
    AccessRequest,
    Decision,
    Scope,
)
from access.services.grants import grant_issue
from portal import audit, jobs, notifications, offboarding
from portal.errors import Conflict, Forbidden, ValidationError, conflict_on_constraint
from portal.limits import length_errors, too_long
from portal.models import DataAsset, User


def _validate(*, asset: DataAsset, scope: str, justification: str, duration_days: int) -> dict[str, str]:
    errors = {}
    if scope not in Scope.values:
        errors["scope"] = f"Choose one of: {', '.join(Scope.values)}."
    if len(justification.strip()) < MIN_JUSTIFICATION:
        errors["justification"] = f"Explain why you need this access in at least {MIN_JUSTIFICATION} characters."
    elif message := too_long(justification, MAX_JUSTIFICATION):
        errors["justification"] = message
    if duration_days is None or duration_days < 1:
        errors["duration_days"] = "Ask for at least one day."
    elif duration_days > asset.max_grant_days:
        errors["duration_days"] = f"{asset} grants last at most {asset.max_grant_days} days."
    return errors


@transaction.atomic
def request_create(
    *, actor: User, asset: DataAsset, scope: str, justification: str, duration_days: int, ticket: str = ""
) -> AccessRequest:
    """Ask for access. Reviewers of the asset (or the access admins) are told on commit."""
    offboarding.require_may_hold_access(offboarding.lock_user(actor.pk))
    errors = _validate(asset=asset, scope=scope, justification=justification, duration_days=duration_days)
    errors.update(length_errors(AccessRequest, {"ticket": ticket}))
    if errors:
        raise ValidationError(fields=errors)
    duplicate = AccessRequest.objects.filter(
        requester=actor, asset=asset, scope=scope, status=AccessRequest.Status.PENDING
    ).exists()
    if duplicate:
        raise Conflict(f"You already have a pending request for {scope} access to {asset}.")
    # The same request sent twice at once passes the check above twice; one_pending_request_per_scope keeps one.
    with conflict_on_constraint(f"You already have a pending request for {scope} access to {asset}."):
        request = AccessRequest.objects.create(
            requester=actor,
            asset=asset,
            scope=scope,
            justification=justification.strip(),
            ticket=ticket.strip(),
            duration_days=duration_days,
            required_approvals=policy.required_approvals(asset),
            created_at=timezone.now(),
        )
    audit.record(
        actor=actor,
        action="access.request.created",
        target=request,
        details={"asset": asset.pk, "scope": scope, "duration_days": duration_days, "ticket": request.ticket},
    )
    # Its eligible reviewers; the access admins too when they are too few (escalated from the start).
    notifications.notify(
        key=f"access-request-waiting:{request.pk}",
        to=policy.awaiting(request),
        template="access/request_waiting",
        context={**mail.request_context(request), "escalated": policy.escalated(request)},
    )
    return request


def _tell_requester(request: AccessRequest, event: str, **extra) -> None:
    """Mail the requester that their request was approved, denied or lapsed (once per request and event)."""
    notifications.notify(
        key=f"access-request-{event}:{request.pk}",
        to=[request.requester],
        template=f"access/request_{event}",
        context={**mail.request_context(request), **extra},
    )


def _lock(request: AccessRequest) -> AccessRequest:
    # Two reviewers deciding at once: the second waits here, then sees the first one's outcome.
    offboarding.lock_user(request.requester_id)  # the requester first: offboarding's lock order
    return AccessRequest.objects.select_for_update(of=("self",)).select_related("asset", "requester").get(pk=request.pk)


def _require_decider(actor: User, request: AccessRequest) -> None:
    refusal = policy.decide_refusal(actor, request)
    if refusal:
        raise Forbidden(refusal)
    if not request.is_pending:
        raise Conflict(f"This request is already {request.get_status_display().lower()}.")


def _add_decision(*, actor: User, request: AccessRequest, outcome: str, comment: str) -> Decision:
    if message := too_long(comment, MAX_COMMENT):
        raise ValidationError(fields={"comment": message})
    try:
        with transaction.atomic():
            return Decision.objects.create(
                request=request, reviewer=actor, outcome=outcome, comment=comment.strip(), created_at=timezone.now()
            )
    except IntegrityError as exc:
        raise Conflict("You have already decided this request.") from exc


@transaction.atomic
def request_approve(*, actor: User, request: AccessRequest, comment: str = "") -> AccessRequest:
    """Record an approval; the last approval the policy needs issues (or extends) the grant."""
    request = _lock(request)
    _require_decider(actor, request)
    offboarding.require_may_hold_access(request.requester)
    _add_decision(actor=actor, request=request, outcome=Decision.Outcome.APPROVE, comment=comment)
    approvals = request.decisions.filter(outcome=Decision.Outcome.APPROVE).count()
    if approvals < request.required_approvals:
        audit.record(
            actor=actor,
            action="access.request.approval_recorded",
            target=request,
            details={"approvals": approvals, "required": request.required_approvals, "comment": comment},
        )
        return request
    request.status, request.decided_at = AccessRequest.Status.APPROVED, timezone.now()
    request.grant = grant_issue(
        actor=actor,
        user=request.requester,
        asset=request.asset,
        scope=request.scope,
        days=request.duration_days,
        request=request,
    )
    request.save(update_fields=["status", "decided_at", "grant"])
    audit.record(
        actor=actor,
        action="access.request.approved",
        target=request,
        details={"approvals": approvals, "grant": request.grant_id, "comment": comment},
    )
    _tell_requester(request, "approved")
    return request


@transaction.atomic
def request_deny(*, actor: User, request: AccessRequest, comment: str = "") -> AccessRequest:
    """Any one denial by someone who may decide ends the request; the reason is required and told."""
    request = _lock(request)
    _require_decider(actor, request)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(fields={"comment": DENY_REASON_MESSAGE})
    _add_decision(actor=actor, request=request, outcome=Decision.Outcome.DENY, comment=comment)
    request.status, request.decided_at = AccessRequest.Status.DENIED, timezone.now()
    request.save(update_fields=["status", "decided_at"])
    audit.record(actor=actor, action="access.request.denied", target=request, details={"comment": comment})
    _tell_requester(request, "denied", reason=comment, reviewer=str(actor))
    return request


@transaction.atomic
def request_cancel(*, actor: User, request: AccessRequest) -> AccessRequest:
    request = _lock(request)
    if actor.pk != request.requester_id:
        raise Forbidden("Only the requester may cancel a request.")
    if not request.is_pending:
        raise Conflict(f"This request is already {request.get_status_display().lower()}.")
    request.status, request.decided_at = AccessRequest.Status.CANCELLED, timezone.now()
    request.save(update_fields=["status", "decided_at"])
    audit.record(actor=actor, action="access.request.cancelled", target=request)
    return request


def requests_lapse(*, now=None, batch_size: int = jobs.BATCH_SIZE) -> int:
    """Close requests nobody decided within 14 days (periodic job; idempotent, set-based)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=LAPSE_AFTER_DAYS)
    due = AccessRequest.objects.filter(status=AccessRequest.Status.PENDING, created_at__lte=cutoff).select_related(
        "requester", "asset"
    )

    def lapse(batch: list[AccessRequest]) -> None:
        audit.record_many(
            actor=None,
            entries=[audit.Entry("access.request.lapsed", r, {"after_days": LAPSE_AFTER_DAYS}) for r in batch],
        )
        for r in batch:
            _tell_requester(r, "lapsed")

    stamp = {"status": AccessRequest.Status.LAPSED, "decided_at": now}
    return jobs.run_batches(due=due, stamp=stamp, effect=lapse, batch_size=batch_size)

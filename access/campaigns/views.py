"""Campaign pages: list, detail with progress, the reviewer's queue with bulk actions, item detail, summary.

Reads go through ``access.campaigns.selectors`` (404 for what the user may not
see); every POST calls exactly one service (403, 409 and field errors come from
there and are shown as messages on the page the user came from).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import TemplateView

from access.campaigns import evidence, insight, selectors, services
from access.campaigns.forms import BulkDecisionForm, CampaignForm, ItemDecisionForm, MoveForm
from access.campaigns.models import Campaign, Outcome, Reason, ReviewItem
from access.views import _history
from access.views.common import ConfirmView
from portal import permissions
from portal.errors import Conflict, Forbidden, ValidationError
from portal.lists import FilteredListView
from portal.models import PRIVACY_OFFICERS
from portal.web import PortalViewMixin, back

# What the item's own events read as on its page.
ITEM_LABELS = {
    "access.review_item.decided": "decided",
    "access.review_items.decided": "decided in bulk",
    "access.review_item.delegated": "delegated the item",
    "access.review_item.reassigned": "reassigned the item",
}


def item_history(item: ReviewItem) -> list:
    """The item's events, bulk decisions that named it included, newest first, each with a label and a note."""
    events = list(selectors.item_history(item))
    names = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=_moved_to(events))}
    for event in events:
        details = event.details or {}
        label = ITEM_LABELS.get(event.action, event.action)
        if "decision" in details:
            label = f"{label}: {Outcome(details['decision']).label.lower()}"
        if event.action == "access.review_items.decided":
            count = details.get("count", 0)
            label += f" ({count} item{'s' if count != 1 else ''} at once)"
        if "to" in details:
            label += f" to {names.get(details['to'], 'user #' + str(details['to']))}"
        event.label, event.note = label, details.get("comment") or ""
    return events


def _moved_to(events) -> set:
    return {e.details["to"] for e in events if isinstance(e.details, dict) and "to" in e.details}


def _form_error(form) -> ValidationError:
    return ValidationError(fields={k: [str(m) for m in v] for k, v in form.errors.items()})


def _fail(request, exc: ValidationError):
    for field, msgs in exc.fields.items():
        for msg in msgs:
            messages.error(request, f"{field.replace('_', ' ').capitalize()}: {msg}")
    if not exc.fields:
        messages.error(request, exc.message)
    return back(request)


class CampaignListView(FilteredListView):
    template_name = "access/campaigns/campaign_list.html"
    context_object_name = "campaigns"

    def select(self, filters):
        return selectors.with_progress(selectors.campaign_list(user=self.request.user))

    def get_context_data(self, **kwargs):
        return super().get_context_data(may_manage=permissions.has(self.request.user, services.MANAGE), **kwargs)


class CampaignCreateView(PortalViewMixin, TemplateView):
    template_name = "access/campaigns/campaign_form.html"

    def get(self, request, *args, **kwargs):
        permissions.require(request.user, services.MANAGE)
        return self.render_to_response({"form": CampaignForm()})

    def post(self, request, *args, **kwargs):
        form = CampaignForm(request.POST)
        if form.is_valid():
            try:
                campaign = services.campaign_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                from portal.web import apply_to_form

                apply_to_form(form, exc)
            else:
                messages.success(request, f"Campaign “{campaign}” created as a draft. Launch it when ready.")
                return redirect(campaign)
        return self.render_to_response({"form": form})


def campaign_page_context(user, campaign: Campaign) -> dict:
    counts = selectors.counts(campaign)
    if campaign.status == Campaign.Status.CLOSED:
        counts["already_ended"] = max(0, counts["total_revoked"] - campaign.revoked_count)
    sees_all = selectors.sees_all(user)
    reviewers = selectors.by_reviewer(campaign) if sees_all else []
    flags = insight.reviewer_flags(campaign) if sees_all else {}
    for row in reviewers:
        row["percent"] = row["decided"] * 100 // row["total"] if row["total"] else 0
        row["flags"] = flags.get(row["reviewer_id"], [])
    mine = services.open_items(user).filter(campaign=campaign).count() if campaign.is_open else 0
    return {
        "campaign": campaign,
        "counts": counts,
        "reviewers": reviewers,
        "flags": flags,
        "mine": mine,
        "sees_all": sees_all,
        "may_manage": permissions.has(user, services.MANAGE),
        "may_export": permissions.has(user, "access.view_campaign"),
        "assets": list(campaign.assets.order_by("name")),
    }


class CampaignDetailView(PortalViewMixin, TemplateView):
    template_name = "access/campaigns/campaign_detail.html"

    def get_context_data(self, **kwargs):
        campaign = selectors.campaign_get(user=self.request.user, pk=self.kwargs["pk"])
        return {**super().get_context_data(**kwargs), **campaign_page_context(self.request.user, campaign)}

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        campaign = context["campaign"]
        if campaign.is_running and (not campaign.is_ready or campaign.is_closing):
            # The progress bar fills without JavaScript: the browser reloads the page until launched (or closed).
            response["Refresh"] = "3"
        return response


# The asset chart's segments: (count, css class, legend). After close nothing is undecided any more:
# what was left to the default shows as revoked (or certified) by default.
ASSET_PARTS = [
    ("certified", "bar-done", "certified"),
    ("revoked", "bar-revoke", "to revoke (decided)"),
    ("undecided", "bar-open", "undecided"),
]
ASSET_PARTS_CLOSED = [
    ("certified", "bar-done", "certified"),
    ("certified_by_default", "bar-default-keep", "certified by default"),
    ("revoked", "bar-revoke", "revoked by decision"),
    ("revoked_by_default", "bar-default", "revoked by default (undecided at close)"),
]


def _asset_parts(campaign: Campaign) -> list:
    # Only the default this campaign applied gets a legend entry.
    other = "certified_by_default" if campaign.default_decision == Outcome.REVOKE else "revoked_by_default"
    return [part for part in ASSET_PARTS_CLOSED if part[0] != other]


class CampaignSummaryView(PortalViewMixin, TemplateView):
    """What an auditor files: counts, percentage complete, revoked, flags and two charts; prints as a PDF."""

    template_name = "access/campaigns/campaign_summary.html"

    def get_context_data(self, **kwargs):
        campaign = selectors.campaign_get(user=self.request.user, pk=self.kwargs["pk"])
        context = campaign_page_context(self.request.user, campaign)
        closed = campaign.status == Campaign.Status.CLOSED
        for row in context["reviewers"]:
            row["undecided"] = row["total"] - row["decided"]
        context["reviewer_chart"] = evidence.bar_chart(
            context["reviewers"],
            label="name",
            parts=[
                ("decided", "bar-done", "decided"),
                ("undecided", "bar-open", "left undecided (the default applied)" if closed else "undecided"),
            ],
        )
        context["asset_chart"] = evidence.bar_chart(
            selectors.by_asset(campaign), label="asset__name", parts=_asset_parts(campaign) if closed else ASSET_PARTS
        )
        context["asset_chart_title"] = (
            "Certified and revoked items per asset, by decision and by default"
            if closed
            else "Certified, to-revoke and undecided items per asset"
        )
        context["generated_at"] = timezone.now()
        return {**super().get_context_data(**kwargs), **context}


class CampaignActionView(PortalViewMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        campaign = selectors.campaign_get(user=request.user, pk=pk)
        messages.success(request, self.perform(campaign))
        return redirect(campaign)


class CampaignLaunchView(CampaignActionView):
    def perform(self, campaign):
        campaign = services.campaign_launch(actor=self.request.user, campaign=campaign)
        if campaign.is_ready:
            return f"Launched: {campaign.item_count} grants to review. Reviewers have been told."
        return f"Launching: {campaign.items_expected} grants are being snapshotted; this page shows the progress."


class CampaignCloseView(ConfirmView):
    """Closing revokes grants in bulk and cannot be undone: a second page says what will go first."""

    def get_object(self):
        return selectors.campaign_get(user=self.request.user, pk=self.kwargs["pk"])

    def refusal(self, campaign):
        if not permissions.has(self.request.user, services.MANAGE):
            return Forbidden("Only access admins close campaigns.")
        if campaign.is_closing:
            return Conflict("This campaign is closing already.")
        if not campaign.is_running:
            return Conflict(f"This campaign is {campaign.get_status_display().lower()}.")
        return None

    def describe(self, campaign):
        items = ReviewItem.objects.filter(campaign=campaign)
        revoked = Q(decision=Outcome.REVOKE)
        if campaign.default_decision == Outcome.REVOKE:
            revoked |= Q(decision="")
        undecided = items.filter(decision="").count()
        return {
            "facts": [
                ("Campaign", campaign.name),
                ("Items", campaign.item_count),
                ("Undecided", f"{undecided} (they count as “{campaign.get_default_decision_display().lower()}”)"),
                ("Grants that will be revoked", items.filter(revoked).count()),
            ],
            "title": f"Close {campaign.name}?",
            "consequence": (
                "Every grant decided “revoke”, and every undecided one when the default is revoke, ends now and its "
                "permission is removed. The campaign is then frozen: nobody can decide or change an item again."
            ),
            "button": "Close and apply",
            "back_url": campaign.get_absolute_url(),
            "back_label": campaign.name,
        }

    def perform(self, campaign, form):
        campaign = services.campaign_close(actor=self.request.user, campaign=campaign)
        if campaign.is_closing:
            return f"Closing: {campaign.item_count} items are being applied; this page shows the progress."
        return f"Closed: {campaign.revoked_count} grants revoked. The campaign is frozen."


class CampaignQueueView(FilteredListView):
    """The reviewer's queue: filters, checkboxes and bulk actions; admins and auditors see every item."""

    template_name = "access/campaigns/queue.html"
    context_object_name = "items"
    paginate_by = 100
    filterset_class = selectors.ItemFilter
    shown_filters = ("asset", "recommendation", "decided")

    @cached_property
    def campaign(self) -> Campaign:
        return selectors.campaign_get(user=self.request.user, pk=self.kwargs["pk"])

    def default_filters(self) -> dict:
        return {"decided": "false"}  # the queue opens on what is left to decide; "All" sends decided=""

    def select(self, filters):
        return selectors.item_list(user=self.request.user, campaign=self.campaign, filters=filters)

    def adjust_form(self, form):
        if "asset" in form.fields:
            assets = selectors.my_assets(user=self.request.user, campaign=self.campaign)
            form.fields["asset"].widget = forms.Select(choices=[("", "Any"), *assets])
        form.fields["decided"].widget = forms.Select(choices=[("false", "Undecided"), ("true", "Decided"), ("", "All")])

    def get_context_data(self, **kwargs):
        user = self.request.user
        # A reviewer sees the campaign only through their items; those who see every item
        # (admins, officers, auditors) get the bulk bar only if some of the items are theirs.
        may_decide = self.campaign.is_open and (
            not selectors.sees_all(user) or ReviewItem.objects.filter(campaign=self.campaign, reviewer=user).exists()
        )
        return super().get_context_data(
            campaign=self.campaign,
            decided=self.filters.get("decided"),
            may_decide=may_decide,
            query=self.request.GET.urlencode(),
            **kwargs,
        )


class CampaignDecideView(PortalViewMixin, View):
    """Bulk decision: the ticked items, or every undecided item matching the queue's filter."""

    http_method_names = ["post"]

    def post(self, request, pk):
        campaign = selectors.campaign_get(user=request.user, pk=pk)
        form = BulkDecisionForm(request.POST)
        if not form.is_valid():
            return _fail(request, _form_error(form))
        data = form.cleaned_data
        kwargs = {"actor": request.user, "campaign": campaign, "decision": data["decision"], "comment": data["comment"]}
        if data["apply_to"] == "matching":
            match = {"asset": data["asset"], "recommendation": data["recommendation"]}
            kwargs["match"] = {k: v for k, v in match.items() if v}
        else:
            kwargs["items"] = data["items"]
        try:
            count = services.review_items_decide(**kwargs)
        except ValidationError as exc:
            return _fail(request, exc)
        if count == 0:
            # A filter matching nothing, or items that already carry this decision: say so, not "0 items certified".
            messages.info(request, "Nothing changed: none of your undecided items matched, or they already had it.")
            return back(request, reverse("access:campaign-queue", args=[campaign.pk]))
        label = "certified" if data["decision"] == Outcome.CERTIFY else "marked for revocation"
        messages.success(request, f"{count} item{'s' if count != 1 else ''} {label}.")
        return back(request, reverse("access:campaign-queue", args=[campaign.pk]))


def _candidates(item: ReviewItem, *, officers_too: bool):
    reviewers = permissions.holders("portal.review_dataasset", item.asset).values("pk")
    who = Q(pk__in=reviewers)
    if officers_too:
        who |= Q(pk__in=permissions.role_members(PRIVACY_OFFICERS).values("pk"))
    return (
        get_user_model()
        .objects.filter(who, is_active=True)
        .exclude(pk__in=[item.grantee_id, item.reviewer_id or 0])
        .order_by("username")
    )


class ItemDetailView(PortalViewMixin, TemplateView):
    template_name = "access/campaigns/item_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        item = selectors.item_get(user=user, pk=self.kwargs["pk"])
        running = item.campaign.is_open
        mine = item.reviewer_id == user.pk
        may_reassign = running and not item.is_decided and permissions.has(user, services.MANAGE)
        return {
            **super().get_context_data(**kwargs),
            **selectors.item_context(item),
            "item": item,
            "grant": item.grant,
            "held_for": timezone.now() - item.granted_at,
            "history": _history(item.grant),
            "item_history": item_history(item),
            "may_decide": running and mine,
            "may_delegate": running and mine and not item.is_decided,
            "may_reassign": may_reassign,
            "decision_form": ItemDecisionForm(initial={"decision": item.decision or item.recommendation}),
            "delegate_form": MoveForm(candidates=_candidates(item, officers_too=False)) if mine else None,
            "reassign_form": MoveForm(candidates=_candidates(item, officers_too=True)) if may_reassign else None,
            "Reason": Reason,
        }


class ItemActionView(PortalViewMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        item = selectors.item_get(user=request.user, pk=pk)
        try:
            message = self.perform(item)
        except ValidationError as exc:
            return _fail(request, exc)
        messages.success(request, message)
        return self.done(request, item)

    def done(self, request, item):
        return back(request, reverse("access:campaign-queue", args=[item.campaign_id]))


class ItemDecideView(ItemActionView):
    def perform(self, item):
        form = ItemDecisionForm(self.request.POST)
        if not form.is_valid():
            raise _form_error(form)
        item = services.review_item_decide(actor=self.request.user, item=item, **form.cleaned_data)
        return f"Item #{item.pk}: {item.get_decision_display().lower()}."


class ItemDelegateView(ItemActionView):
    officers_too = False

    def perform(self, item):
        services.require_may_move(actor=self.request.user, item=item, reassign=self.officers_too)
        form = MoveForm(self.request.POST, candidates=_candidates(item, officers_too=self.officers_too))
        if not form.is_valid():
            raise _form_error(form)
        item = self.move(item, form.cleaned_data["to"])
        return f"Item #{item.pk} is now {item.reviewer}'s to decide."

    def move(self, item, to):
        return services.review_item_delegate(actor=self.request.user, item=item, to=to)

    def done(self, request, item):
        # The item is no longer the delegating reviewer's: its page (the form's ``next``) would be a 404,
        # and so would the campaign's queue if it was their last item there.
        if selectors.campaign_list(user=request.user).filter(pk=item.campaign_id).exists():
            return redirect("access:campaign-queue", item.campaign_id)
        return redirect("access:campaign-list")


class ItemReassignView(ItemDelegateView):
    officers_too = True

    def move(self, item, to):
        return services.review_item_reassign(actor=self.request.user, item=item, to=to)

    def done(self, request, item):
        return ItemActionView.done(self, request, item)

"""The campaigns API (SPEC.md, "access/ — recertification campaigns"): its paths and fields are a contract.

Each view validates input with a serializer, calls one service or selector and
answers with an output serializer; objects are looked up through the selectors
(404 for what the user may not see), the services answer 403 and 409.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api.serializers import AssetRefSerializer
from access.api.views import DECISION_ERRORS, ERRORS, _choices, _valid
from access.campaigns import evidence, selectors, services
from access.campaigns.models import MAX_COMMENT, Campaign, Outcome, ReviewItem
from portal import audit, permissions
from portal.api.fields import BoundedDateTimeField, IdField, StrictCharField, StrictPrimaryKeyRelatedField
from portal.api.lists import FilteredListViewSet
from portal.api.serializers import InputSerializer, UserRefSerializer
from portal.errors import Forbidden
from portal.models import DataAsset, Sensitivity

# --- Shapes -----------------------------------------------------------------


class CampaignSerializer(serializers.ModelSerializer):
    assets = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    launch_percent = serializers.IntegerField(read_only=True)
    ready = serializers.BooleanField(source="is_ready", read_only=True)
    closing = serializers.BooleanField(
        source="is_closing", read_only=True, help_text="A task is applying the close; `status` is `running` until done."
    )
    close_percent = serializers.IntegerField(read_only=True)
    # "" (every asset, or chosen ones) is a value the schema must admit: read-only fields lose allow_blank.
    min_sensitivity = serializers.ChoiceField(choices=Sensitivity.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "status",
            "min_sensitivity",
            "assets",
            "due_at",
            "default_decision",
            "created_at",
            "launched_at",
            "items_expected",
            "item_count",
            "ready",
            "launch_percent",
            "closing",
            "closing_started_at",
            "applied_count",
            "close_percent",
            "closed_at",
            "revoked_count",
        ]
        read_only_fields = fields


class CampaignInputSerializer(InputSerializer):
    name = StrictCharField(max_length=200)
    due_at = BoundedDateTimeField()
    min_sensitivity = serializers.ChoiceField(choices=Sensitivity.choices, required=False, allow_blank=True)
    assets = StrictPrimaryKeyRelatedField(queryset=DataAsset.objects.all(), many=True, required=False)
    default_decision = serializers.ChoiceField(choices=Outcome.choices, default=Outcome.REVOKE)


class ReviewItemSerializer(serializers.ModelSerializer):
    grantee = UserRefSerializer(read_only=True)
    asset = AssetRefSerializer(read_only=True)
    reviewer = UserRefSerializer(read_only=True, allow_null=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)
    origin = serializers.CharField(source="grant.origin", read_only=True)
    justification = serializers.CharField(source="grant.justification", read_only=True)
    request = serializers.IntegerField(source="grant.request_id", read_only=True, allow_null=True)
    # "" until decided (decision) or applied (outcome): the schema admits it.
    decision = serializers.ChoiceField(choices=Outcome.choices, allow_blank=True, read_only=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_blank=True, read_only=True)

    class Meta:
        model = ReviewItem
        fields = [
            "id",
            "campaign",
            "grant",
            "grantee",
            "asset",
            "scope",
            "sensitivity",
            "origin",
            "request",
            "justification",
            "granted_at",
            "last_used_at",
            "reviewer",
            "recommendation",
            "reason",
            "decision",
            "comment",
            "decided_by",
            "decided_at",
            "outcome",
            "applied_at",
        ]
        read_only_fields = fields


class DecideInputSerializer(InputSerializer):
    decision = serializers.ChoiceField(choices=Outcome.choices)
    comment = StrictCharField(required=False, allow_blank=True, default="", max_length=MAX_COMMENT)


class MatchSerializer(InputSerializer):
    asset = IdField(required=False)
    recommendation = serializers.ChoiceField(choices=Outcome.choices, required=False)


class BulkDecideInputSerializer(DecideInputSerializer):
    items = serializers.ListField(child=IdField(), required=False, max_length=10_000)
    # More than 10,000 at once: use ``match``, which the database applies without an id list.
    match = MatchSerializer(required=False, help_text="Instead of items: every undecided item of yours matching this.")

    def validate(self, attrs):
        if ("items" in attrs) == ("match" in attrs):
            raise serializers.ValidationError({"items": "Send either `items` (ids) or `match` (a filter)."})
        return attrs


class DecidedCountSerializer(serializers.Serializer):
    decided = serializers.IntegerField()


class MoveInputSerializer(InputSerializer):
    to = IdField(help_text="User id of the new reviewer.")


# --- Views ------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Campaigns you may see", responses={200: CampaignSerializer(many=True)}),
    retrieve=extend_schema(summary="One campaign", responses={200: CampaignSerializer, 404: ERRORS[404]}),
)
class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Recertification campaigns: draft → running → closed."""

    serializer_class = CampaignSerializer
    filter_backends: list = []
    queryset = Campaign.objects.none()  # for the schema; get_queryset is what runs

    def get_queryset(self):
        return selectors.campaign_list(user=self.request.user).prefetch_related("assets")

    def get_object(self):
        return selectors.campaign_get(user=self.request.user, pk=self.kwargs["pk"])

    def _out(self, campaign: Campaign, code=status.HTTP_200_OK) -> Response:
        campaign = self.get_queryset().get(pk=campaign.pk)
        return Response(CampaignSerializer(campaign).data, status=code)

    @extend_schema(
        summary="Create a draft campaign (access admins)",
        request=CampaignInputSerializer,
        responses={201: CampaignSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def create(self, request):
        campaign = services.campaign_create(actor=request.user, **_valid(request.data, CampaignInputSerializer))
        return self._out(campaign, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Launch: 200 when the items are ready, 202 while a task snapshots a large estate",
        request=None,
        responses={200: CampaignSerializer, 202: CampaignSerializer, **DECISION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def launch(self, request, pk=None):
        campaign = services.campaign_launch(actor=request.user, campaign=self.get_object())
        return self._out(campaign, status.HTTP_200_OK if campaign.is_ready else status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Close: apply every revoke (decided or by default) and freeze; a second close changes nothing",
        description="200 with `status: closed` when the close was applied in the request; 202 with "
        "`status: running` and `closing: true` while a task applies a large campaign (`applied_count` of "
        "`item_count`). Once closing, items can no longer be decided (409).",
        request=None,
        responses={200: CampaignSerializer, 202: CampaignSerializer, **DECISION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        campaign = services.campaign_close(actor=request.user, campaign=self.get_object())
        return self._out(campaign, status.HTTP_202_ACCEPTED if campaign.is_closing else status.HTTP_200_OK)

    @extend_schema(
        summary="Decide many of your items at once: the `items` listed, or all undecided ones that `match`",
        request=BulkDecideInputSerializer,
        responses={200: DecidedCountSerializer, **DECISION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        data = _valid(request.data, BulkDecideInputSerializer)
        count = services.review_items_decide(actor=request.user, campaign=self.get_object(), **data)
        return Response({"decided": count})


ITEM_PARAMETERS = [
    OpenApiParameter("id", int, OpenApiParameter.PATH, description="Campaign id."),
    OpenApiParameter("reviewer", str, description="A user id, or `me`."),
    OpenApiParameter("decided", bool, description="`0` for undecided, `1` for decided."),
    OpenApiParameter("asset", int, description="Data asset id."),
    OpenApiParameter("recommendation", str, enum=_choices(Outcome.choices)),
    OpenApiParameter("decision", str, enum=_choices(Outcome.choices)),
]


@extend_schema_view(
    list=extend_schema(
        summary="Items of the campaign you may see",
        parameters=ITEM_PARAMETERS,
        responses={200: ReviewItemSerializer(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    )
)
class CampaignItemViewSet(FilteredListViewSet):
    """The items of one campaign that you may see, filtered; a bad filter is a 400 naming it."""

    serializer_class = ReviewItemSerializer
    filterset_class = selectors.ItemFilter
    queryset = ReviewItem.objects.none()  # for the schema; get_queryset is what runs

    def select(self, filters):
        # The route's ``pk`` is the campaign's: an invisible campaign is a 404 before any item is read.
        campaign = selectors.campaign_get(user=self.request.user, pk=self.kwargs["pk"])
        return selectors.item_list(user=self.request.user, campaign=campaign, filters=filters)


@extend_schema_view(
    retrieve=extend_schema(summary="One review item", responses={200: ReviewItemSerializer, 404: ERRORS[404]}),
)
class ReviewItemViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One grant to re-certify; only its accountable reviewer decides it."""

    serializer_class = ReviewItemSerializer
    filter_backends: list = []
    queryset = ReviewItem.objects.none()

    def get_object(self):
        return selectors.item_get(user=self.request.user, pk=self.kwargs["pk"])

    def _out(self, item: ReviewItem) -> Response:
        return Response(ReviewItemSerializer(selectors.item_get(user=self.request.user, pk=item.pk)).data)

    def _handed_over(self, item: ReviewItem) -> Response:
        # The delegating reviewer may no longer see the item: answer with what the service returned.
        item = ReviewItem.objects.select_related("grantee", "asset", "reviewer", "decided_by", "grant").get(pk=item.pk)
        return Response(ReviewItemSerializer(item).data)

    @extend_schema(
        summary="Certify or revoke (a comment is required to certify against a `revoke` recommendation "
        "or a restricted grant)",
        request=DecideInputSerializer,
        responses={200: ReviewItemSerializer, **DECISION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        data = _valid(request.data, DecideInputSerializer)
        return self._out(services.review_item_decide(actor=request.user, item=self.get_object(), **data))

    def _user(self, request):
        to = _valid(request.data, MoveInputSerializer)["to"]
        user = get_user_model().objects.filter(pk=to).first()
        if user is None:
            from portal.errors import ValidationError

            raise ValidationError(fields={"to": "No such user."})
        return user

    @extend_schema(
        summary="Hand your undecided item to another reviewer of the asset",
        request=MoveInputSerializer,
        responses={200: ReviewItemSerializer, **DECISION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def delegate(self, request, pk=None):
        item = self.get_object()
        return self._handed_over(services.review_item_delegate(actor=request.user, item=item, to=self._user(request)))

    @extend_schema(
        summary="Give an item to a reviewer of the asset or a privacy officer (access admins)",
        request=MoveInputSerializer,
        responses={200: ReviewItemSerializer, **DECISION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        item = self.get_object()
        return self._out(services.review_item_reassign(actor=request.user, item=item, to=self._user(request)))


class EvidenceCsvView(APIView):
    """Every item of a campaign as CSV, streamed; for auditors, access admins and privacy officers."""

    @extend_schema(
        summary="Evidence: every item as CSV (streamed)",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="Campaign id.")],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per item."),
            403: ERRORS[403],
            404: ERRORS[404],
        },
    )
    def get(self, request, pk):
        campaign = selectors.campaign_get(user=request.user, pk=pk)
        if not permissions.has(request.user, "access.view_campaign"):
            raise Forbidden("Only auditors, access admins and privacy officers export evidence.")
        # Downloading evidence is a sensitive read: it is audited like a change.
        audit.record(actor=request.user, action="access.campaign.evidence_downloaded", target=campaign)
        response = StreamingHttpResponse(evidence.rows(campaign), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.pk}-evidence.csv"'
        return response

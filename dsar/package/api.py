"""The package, delivery and erasure API (SPEC "dsar/"): each view validates, calls one service, answers.

A request the user may not see is 404 (looked up through ``view_request``);
what they may not do is 403 (the services decide); a wrong state is 409, and a
package the subject-match guard stops is a 409 whose ``errors.items`` names
every foreign item.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from dsar.api.serializers import DsarReasonInputSerializer
from dsar.delivery import services as delivery
from dsar.delivery.misdelivery import package_misdelivered
from dsar.erasure import services as erasure
from dsar.erasure.selectors import erasure_queue
from dsar.models import MAX_REASON, DeliveryLink, ErasureRecord, Item, Package, Request, Task
from dsar.package import services
from dsar.package.selectors import shown_package, visible_request
from dsar.services.common import VIEW
from portal import permissions
from portal.api.fields import StrictCharField
from portal.api.lists import FilteredListViewSet
from portal.api.permissions import IsActiveUser
from portal.api.serializers import ErrorSerializer, InputSerializer
from portal.errors import NotFound

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input: `errors` names each field."),
    403: OpenApiResponse(ErrorSerializer, description="You may see this request but not do this."),
    404: OpenApiResponse(ErrorSerializer, description="No such request, or not one you may see."),
    409: OpenApiResponse(ErrorSerializer, description="Not in a state that allows this."),
}
GUARD = OpenApiResponse(
    ErrorSerializer,
    description="Refused: the subject-match guard names each item found under another identifier "
    "(`code` subject_mismatch, `errors.items`), or the request is not in review.",
)


def valid_input(data, serializer_class) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class MisdeliveryNoteSerializer(InputSerializer):
    note = StrictCharField(max_length=MAX_REASON)


class LinkSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField()

    class Meta:
        model = DeliveryLink
        fields = ["id", "sent_to", "created_at", "expires_at", "max_downloads", "downloads", "revoked_at", "state"]

    def get_state(self, link) -> str:
        return link.state()


class PackageSerializer(serializers.ModelSerializer):
    built_by = serializers.CharField(source="built_by.username", read_only=True)
    approved_by = serializers.CharField(source="approved_by.username", default=None, read_only=True, allow_null=True)
    sources = serializers.ListField(child=serializers.DictField(), read_only=True)
    links = LinkSerializer(many=True, read_only=True)

    class Meta:
        model = Package
        fields = [
            "id",
            "state",
            "built_by",
            "requested_at",
            "items_expected",
            "items_done",
            "build_error",
            "built_at",
            "size",
            "sha256",
            "item_count",
            "sources",
            "approved_by",
            "approved_at",
            "purged_at",
            "purge_reason",
            "links",
        ]


class LinksRevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField()


class IncidentRefSerializer(serializers.Serializer):
    incident = serializers.IntegerField(source="pk")
    reference = serializers.CharField()


class ErasureTaskSerializer(serializers.ModelSerializer):
    request = serializers.CharField(source="request.reference", read_only=True)
    request_id = serializers.IntegerField(read_only=True)
    asset = serializers.CharField(source="asset.name", read_only=True)
    asset_id = serializers.IntegerField(read_only=True)
    confirmed_by = serializers.CharField(source="confirmed_by.username", default=None, read_only=True, allow_null=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "request",
            "request_id",
            "asset",
            "asset_id",
            "method",
            "status",
            "found",
            "error",
            "hold_reason",
            "confirmed_by",
            "confirmed_at",
            "finished_at",
        ]


class ErasureRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = ErasureRecord
        fields = ["completed_at", "sent_to", "systems"]


def _package_out(package: Package, code=status.HTTP_200_OK) -> Response:
    fresh = Package.objects.without_manifest().select_related("built_by", "approved_by").prefetch_related("links")
    return Response(PackageSerializer(fresh.get(pk=package.pk)).data, status=code)


class PackageView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(summary="The request's current package", responses={200: PackageSerializer, 404: ERRORS[404]})
    def get(self, request, pk):
        package = shown_package(visible_request(request.user, pk))
        if package is None:
            raise NotFound("No package has been built for this request yet.")
        return Response(PackageSerializer(package).data)

    @extend_schema(
        summary="Build the package (subject-match guard first)",
        description="201 with the package: `state` is `built` for a small package, written at once, and "
        "`building` for a large one, which a background task writes (poll `GET` for `state`, "
        "`items_done` of `items_expected`). A second build while one runs is a 409.",
        request=None,
        responses={201: PackageSerializer, 403: ERRORS[403], 404: ERRORS[404], 409: GUARD},
    )
    def post(self, request, pk):
        # 201 even while building (the SPEC's contract): the package resource exists from the start.
        package = services.package_build(actor=request.user, request=visible_request(request.user, pk))
        return _package_out(package, status.HTTP_201_CREATED)


class PackageApproveView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(
        summary="Approve the package: a second person, not its builder (403)",
        request=None,
        responses={200: PackageSerializer, 403: ERRORS[403], 404: ERRORS[404], 409: GUARD},
    )
    def post(self, request, pk):
        package = services.package_approve(actor=request.user, request=visible_request(request.user, pk))
        return _package_out(package)


class PackageSendView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(
        summary="Mail the download link to the verified address (7 days, 3 downloads)",
        request=None,
        responses={201: LinkSerializer, **ERRORS},
    )
    def post(self, request, pk):
        link = delivery.package_send(actor=request.user, request=visible_request(request.user, pk))
        return Response(LinkSerializer(link).data, status=status.HTTP_201_CREATED)


class PackageResendView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(
        summary="Mail a new link for the same package once the last link ended (expired, used up or revoked)",
        description="409 while a link is live, after a misdelivery, or once the package's files were purged.",
        request=None,
        responses={201: LinkSerializer, **ERRORS},
    )
    def post(self, request, pk):
        link = delivery.package_resend(actor=request.user, request=visible_request(request.user, pk))
        return Response(LinkSerializer(link).data, status=status.HTTP_201_CREATED)


class PackageRevokeView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(
        summary="Revoke the live download link",
        request=DsarReasonInputSerializer,
        responses={200: LinksRevokedSerializer, **ERRORS},
    )
    def post(self, request, pk):
        req = visible_request(request.user, pk)
        done = delivery.link_revoke(
            actor=request.user, request=req, **valid_input(request.data, DsarReasonInputSerializer)
        )
        return Response({"revoked": done})


class PackageMisdeliveryView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(
        summary="It reached the wrong person: revoke, purge, open a misdirected-delivery incident",
        request=MisdeliveryNoteSerializer,
        responses={201: IncidentRefSerializer, **ERRORS},
    )
    def post(self, request, pk):
        req = visible_request(request.user, pk)
        incident = package_misdelivered(
            actor=request.user, request=req, **valid_input(request.data, MisdeliveryNoteSerializer)
        )
        return Response(IncidentRefSerializer(incident).data, status=status.HTTP_201_CREATED)


class ItemDiscardView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(
        summary="Take an item out of a request in review (e.g. one the guard named)",
        request=DsarReasonInputSerializer,
        responses={204: None, **ERRORS},
    )
    def post(self, request, pk):
        visible = permissions.visible(request.user, VIEW, Request.objects.all())
        item = permissions.get_visible(Item.objects.filter(request__in=visible).select_related("request"), pk)
        services.item_discard(actor=request.user, item=item, **valid_input(request.data, DsarReasonInputSerializer))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ErasureStartView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(
        summary="Start the erasure: one task per asset, each to be confirmed by its reviewer",
        request=None,
        responses={201: ErasureTaskSerializer(many=True), **ERRORS},
    )
    def post(self, request, pk):
        erasure.erasure_start(actor=request.user, request=visible_request(request.user, pk))
        tasks = erasure.erasure_tasks(user=request.user).filter(request_id=pk).order_by("asset__name", "pk")
        return Response(ErasureTaskSerializer(tasks, many=True).data, status=status.HTTP_201_CREATED)


class ErasureCompleteView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(
        summary="Complete the erasure and mail the record to the subject",
        request=None,
        responses={200: ErasureRecordSerializer, **ERRORS},
    )
    def post(self, request, pk):
        done = erasure.erasure_complete(actor=request.user, request=visible_request(request.user, pk))
        return Response(ErasureRecordSerializer(done).data)


@extend_schema_view(
    list=extend_schema(
        summary="Open erasure tasks you may see (assets you review, requests you work)",
        responses={200: ErasureTaskSerializer(many=True)},
    ),
)
class ErasureTaskViewSet(FilteredListViewSet):
    serializer_class = ErasureTaskSerializer
    queryset = Task.objects.none()  # for the schema; get_queryset is what runs

    def select(self, filters):
        return erasure_queue(user=self.request.user)


class ErasureConfirmView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(
        summary="Confirm the erasure on this asset (its reviewer): a connector then erases",
        request=None,
        responses={200: ErasureTaskSerializer, **ERRORS},
    )
    def post(self, request, pk):
        task = erasure.erasure_confirm(actor=request.user, task=erasure.erasure_task_get(user=request.user, pk=pk))
        return Response(ErasureTaskSerializer(erasure.erasure_task_get(user=request.user, pk=task.pk)).data)


class ErasureHoldView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(
        summary="Record a legal hold: this asset's data stays, for a reason",
        request=DsarReasonInputSerializer,
        responses={200: ErasureTaskSerializer, **ERRORS},
    )
    def post(self, request, pk):
        task = erasure.erasure_task_get(user=request.user, pk=pk)
        done = erasure.erasure_hold(
            actor=request.user, task=task, **valid_input(request.data, DsarReasonInputSerializer)
        )
        return Response(ErasureTaskSerializer(erasure.erasure_task_get(user=request.user, pk=done.pk)).data)

"""Disputes (open with evidence, the thread, attachments, the resolution read-only), reviews,
notifications and the organisation's standing: the same services and selectors as the pages.

Every dispute, attachment and review is looked up through the caller's organisation; another
organisation's is a 404. The side a step is taken for is the API key's organisation."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from escrow.models import PayoutAccount
from notifications.models import Notification
from notifications.selectors import notification_list
from notifications.services import notifications_mark_read
from trust import services as trust_services
from trust.models import Dispute, DisputeAttachment, DisputeMessage, Review
from trust.selectors import attachment_visible_to, blacklist_entry_in_force, dispute_visible_to, verification_latest
from trust.views import file_response

from ..idempotency import idempotent
from ..schema import READ, WRITE, download_responses, errors
from ..serializers.leasing import LeaseDetailSerializer
from ..serializers.notifications import NotificationSerializer
from ..serializers.trust import (
    DisputeDetailSerializer,
    DisputeMessageCreateSerializer,
    DisputeMessageSerializer,
    DisputeMessageUploadSerializer,
    DisputeOpenSerializer,
    DisputeOpenUploadSerializer,
    DisputeSerializer,
    ReviewCreateSerializer,
    ReviewSerializer,
    StandingSerializer,
)
from .base import UPLOADS, ApiView
from .leasing import OBJECT_READ, LeaseViewBase
from .warehouses import IDEMPOTENCY


class LeaseDisputeView(LeaseViewBase):
    parser_classes = UPLOADS

    @extend_schema(
        summary="Open a dispute (exporter: the check-in; either side: damage or loss)",
        description="The exporter disputes the check-in within the confirmation window; on an active lease either "
        "side reports damage or loss. The lease becomes `disputed` and what escrow holds stays there while "
        "Wareshare reviews. The side is your API key's organisation. Send `multipart/form-data` to attach "
        "evidence files.",
        request={"application/json": DisputeOpenSerializer, "multipart/form-data": DisputeOpenUploadSerializer},
        parameters=[IDEMPOTENCY],
        responses={200: LeaseDetailSerializer, **errors(*WRITE)},
        tags=["leases"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        lease = self._lease(pk)
        data = self.valid(DisputeOpenUploadSerializer if self.uploading() else DisputeOpenSerializer)
        trust_services.dispute_open(
            lease=lease,
            by=request.user,
            reason=data["reason"],
            kind=data.get("kind") or trust_services.dispute_kind_default(lease),
            claimed_amount=data.get("claimed_amount"),
            evidence=data.get("evidence", []),
            organisation=self.organisation,
        )
        return self._show_lease(pk)


class DisputeViewBase(ApiView):
    queryset: QuerySet[Any] = Dispute.objects.none()

    def disputes(self) -> QuerySet[Dispute]:
        return dispute_visible_to(organisation=self.organisation)

    def _dispute(self, pk: int) -> Dispute:
        return get_object_or_404(self.disputes(), pk=pk)


class DisputeListView(DisputeViewBase):
    @extend_schema(
        summary="Your disputes",
        description="Disputes on leases your organisation takes part in, newest first, with the staff's "
        "resolution once there is one.",
        responses={200: DisputeSerializer(many=True), **errors(400, *READ)},
        tags=["disputes"],
    )
    def get(self, request: Request) -> Response:
        return self.page(self.disputes(), DisputeSerializer)


class DisputeDetailView(DisputeViewBase):
    @extend_schema(
        summary="A dispute, its thread and evidence",
        responses={200: DisputeDetailSerializer, **errors(*OBJECT_READ)},
        tags=["disputes"],
    )
    def get(self, request: Request, pk: int) -> Response:
        thread = DisputeMessage.objects.select_related("author").prefetch_related(
            Prefetch("attachments", queryset=DisputeAttachment.objects.order_by("pk"))
        )
        dispute = get_object_or_404(self.disputes().prefetch_related(Prefetch("messages", queryset=thread)), pk=pk)
        return self.show(DisputeDetailSerializer, dispute)


class DisputeMessageView(DisputeViewBase):
    parser_classes = UPLOADS

    @extend_schema(
        summary="Write in a dispute's thread, with evidence",
        description="A message, files, or both, while the dispute is open; the other side is emailed. Send "
        "`multipart/form-data` to attach files.",
        request={
            "application/json": DisputeMessageCreateSerializer,
            "multipart/form-data": DisputeMessageUploadSerializer,
        },
        parameters=[IDEMPOTENCY],
        responses={201: DisputeMessageSerializer, **errors(*WRITE)},
        tags=["disputes"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        data = self.valid(DisputeMessageUploadSerializer if self.uploading() else DisputeMessageCreateSerializer)
        message = trust_services.dispute_message_post(
            dispute=self._dispute(pk),
            by=request.user,
            body=data["body"],
            files=data.get("files", []),
            organisation=self.organisation,
        )
        return self.show(DisputeMessageSerializer, message, status=201)


class DisputeAttachmentView(ApiView):
    queryset = DisputeAttachment.objects.none()

    @extend_schema(
        summary="Download a piece of evidence",
        responses={
            **download_responses("The file."),
            **errors(*OBJECT_READ),
        },
        tags=["disputes"],
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return file_response(get_object_or_404(attachment_visible_to(organisation=self.organisation), pk=pk))


class LeaseReviewView(LeaseViewBase):
    pagination_class = None  # at most one review per side

    @extend_schema(
        summary="A lease's reviews",
        description="What each side wrote about the other after the lease completed.",
        responses={200: ReviewSerializer(many=True), **errors(*OBJECT_READ)},
        tags=["leases"],
    )
    def get(self, request: Request, pk: int) -> Response:
        reviews = Review.objects.filter(lease=self._lease(pk)).select_related(
            "author_organisation", "subject_organisation"
        )
        return Response(ReviewSerializer(reviews.order_by("pk"), many=True).data)

    @extend_schema(
        summary="Review the other side of a completed lease",
        description="Once per side, after the lease is complete: 1 to 5 stars and a few words. It feeds the other "
        "side's credit rating.",
        request=ReviewCreateSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: ReviewSerializer, **errors(*WRITE)},
        tags=["leases"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        data = self.valid(ReviewCreateSerializer)
        review = trust_services.review_create(
            lease=self._lease(pk),
            by=request.user,
            rating_value=data["rating"],
            text=data["text"],
            organisation=self.organisation,
        )
        return self.show(ReviewSerializer, review, status=201)


class NotificationListView(ApiView):
    queryset = Notification.objects.none()

    @extend_schema(
        summary="Your notifications",
        description="What Wareshare told the API key's creator (every email is also kept here), newest first.",
        responses={200: NotificationSerializer(many=True), **errors(400, *READ)},
        tags=["notifications"],
    )
    def get(self, request: Request) -> Response:
        return self.page(notification_list(user=request.user), NotificationSerializer)


class NotificationReadView(ApiView):
    queryset = Notification.objects.none()

    @extend_schema(
        summary="Mark a notification read",
        operation_id="notification_read",
        request=None,
        responses={200: NotificationSerializer, **errors(*OBJECT_READ)},
        tags=["notifications"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        notification = get_object_or_404(notification_list(user=request.user), pk=pk)
        notifications_mark_read(user=request.user, pk=notification.pk)
        notification.refresh_from_db()
        return self.show(NotificationSerializer, notification)


class NotificationReadAllView(ApiView):
    queryset = Notification.objects.none()

    @extend_schema(
        summary="Mark every notification read",
        operation_id="notifications_read_all",
        request=None,
        responses={204: None, **errors(*READ)},
        tags=["notifications"],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        notifications_mark_read(user=request.user)
        return Response(status=204)


class StandingView(ApiView):
    queryset = Dispute.objects.none()

    @extend_schema(
        summary="Your organisation's standing",
        description="Verification (money moves only for verified organisations), the payout account (owners), "
        "whether a blacklist entry is in force, and the published credit rating.",
        responses={200: StandingSerializer, **errors(*READ)},
        tags=["me"],
    )
    def get(self, request: Request) -> Response:
        organisation = self.organisation
        latest = verification_latest(organisation=organisation)
        account = PayoutAccount.objects.filter(organisation=organisation).first()
        rating = getattr(organisation, "credit_rating", None)
        return Response(
            StandingSerializer(
                {
                    "verification": {
                        "status": organisation.verification_status,
                        "submitted_at": latest.created_at if latest else None,
                        "decided_at": latest.decided_at if latest else None,
                        "rejection_reason": latest.rejection_reason if latest else "",
                    },
                    "payout_account": account,
                    "blacklisted": blacklist_entry_in_force(organisation=organisation) is not None,
                    "rating_grade": rating.grade if rating else None,
                }
            ).data
        )

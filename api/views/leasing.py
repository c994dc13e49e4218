"""Leases, their steps, shipments, check-ins and the escrow of each lease.

Every lookup goes through the caller's organisation (``lease_visible_to``): another
organisation's lease is a 404. Which side may take a step is the service's decision
(``NotAllowed`` → 403 ``not_allowed``), never re-decided here."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from leasing import rules, services
from leasing.models import CheckInPhoto, InboundShipment, Lease, LeaseEvent, ShipmentEvent
from trust.models import PrivateFile
from trust.views import file_response

from ..filters import LeaseFilter, ShipmentFilter
from ..idempotency import idempotent
from ..pagination import Ordering, cursor_by
from ..schema import WRITE, download_responses, errors
from ..selectors import checkin_photo_visible, escrow_summary, lease_api_queryset, shipment_visible
from ..serializers.escrow import EscrowSerializer
from ..serializers.leasing import (
    CancellationSerializer,
    CancelSerializer,
    CheckInRecordFormSerializer,
    CheckInRecordSerializer,
    CheckInRecordUploadSerializer,
    CheckInSerializer,
    ExtendSerializer,
    LeaseDetailSerializer,
    LeaseEventSerializer,
    LeaseRequestSerializer,
    LeaseSerializer,
    PayResultSerializer,
    PaySerializer,
    ReasonSerializer,
    ShipmentAnnounceSerializer,
    ShipmentEventSerializer,
    ShipmentMarkSerializer,
    ShipmentSerializer,
    photo_content_type,
)
from .base import UPLOADS, ApiView
from .warehouses import IDEMPOTENCY

OBJECT_READ = (401, 403, 404, 429)


class LeaseViewBase(ApiView):
    queryset: QuerySet[Any] = Lease.objects.none()

    def _lease(self, pk: int) -> Lease:
        return get_object_or_404(lease_api_queryset(organisation=self.organisation), pk=pk)

    def _show_lease(self, pk: int, *, status: int = 200) -> Response:
        return self.show(LeaseDetailSerializer, self._lease(pk), status=status)


class LeaseListView(LeaseViewBase):
    filterset_class = LeaseFilter
    filter_backends = [*ApiView.filter_backends, Ordering]
    ordering_fields = ["created_at", "start"]
    ordering = ("-created_at", "-pk")

    @extend_schema(
        summary="Your leases",
        description="Leases your organisation takes part in, as exporter or as owner; newest first.",
        responses={200: LeaseSerializer(many=True), **errors(400, 401, 403, 429)},
        tags=["leases"],
    )
    def get(self, request: Request) -> Response:
        return self.page(lease_api_queryset(organisation=self.organisation), LeaseSerializer)

    @extend_schema(
        summary="Request a lease (exporter)",
        description="Holds the units and freezes the price. Instant-book listings answer `accepted` at once.",
        request=LeaseRequestSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: LeaseDetailSerializer, **errors(*WRITE)},
        tags=["leases"],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.valid(LeaseRequestSerializer)
        lease = services.lease_request(exporter=self.organisation, by=request.user, **data)
        return self._show_lease(lease.pk, status=201)


class LeaseDetailView(LeaseViewBase):
    @extend_schema(
        summary="A lease",
        description="With `actions`: the steps your side may take now.",
        responses={200: LeaseDetailSerializer, **errors(*OBJECT_READ)},
        tags=["leases"],
    )
    def get(self, request: Request, pk: int) -> Response:
        return self._show_lease(pk)


def _lease_step(
    summary: str, description: str, step: Callable[[Lease, Any, dict[str, Any]], object], request_serializer: Any = None
) -> type[LeaseViewBase]:
    """A POST endpoint that runs one lease service and answers with the lease."""

    class Step(LeaseViewBase):
        @extend_schema(
            summary=summary,
            description=description,
            request=request_serializer,
            parameters=[IDEMPOTENCY],
            responses={200: LeaseDetailSerializer, **errors(*WRITE)},
            tags=["leases"],
        )
        @idempotent
        def post(self, request: Request, pk: int) -> Response:
            lease = self._lease(pk)
            data = self.valid(request_serializer) if request_serializer else {}
            step(lease, request.user, data)
            return self._show_lease(pk)

    return Step


LeaseAcceptView = _lease_step(
    "Accept a lease request (owner)",
    "The exporter then has a deadline to pay into escrow.",
    lambda lease, by, data: services.lease_accept(lease=lease, by=by),
)
LeaseDeclineView = _lease_step(
    "Decline a lease request (owner)",
    "The held units are freed; the reason is shown to the exporter.",
    lambda lease, by, data: services.lease_decline(lease=lease, by=by, reason=data["reason"]),
    ReasonSerializer,
)
LeaseWithdrawView = _lease_step(
    "Withdraw a request or an unpaid lease (exporter)",
    "Only before payment; nothing is charged.",
    lambda lease, by, data: services.lease_withdraw(lease=lease, by=by),
)
LeaseConfirmView = _lease_step(
    "Confirm the check-in (exporter)",
    "The lease becomes active and the escrow is released to the owner.",
    lambda lease, by, data: services.lease_confirm(lease=lease, by=by),
)


class LeaseExtendView(LeaseViewBase):
    @extend_schema(
        summary="Extend a lease (exporter)",
        description="Requests the extra days after the lease's end at the listing's price, without handling fees: "
        "a new lease (the extension, `parent` this one) with its units held, to be accepted and paid like any "
        "request. Once paid it is active at once: the goods stay where they are.",
        request=ExtendSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: LeaseDetailSerializer, **errors(*WRITE)},
        tags=["leases"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        data = self.valid(ExtendSerializer)
        extension = services.lease_extend(lease=self._lease(pk), by=request.user, **data)
        return self._show_lease(extension.pk, status=201)


class LeaseCancellationView(LeaseViewBase):
    @extend_schema(
        summary="What cancelling now would refund",
        description="The quote for your side, under the listing's cancellation policy, and whether you may cancel "
        "now (with the reason if not). Send its `refund` as `expected_refund` when you cancel.",
        responses={200: CancellationSerializer, **errors(*OBJECT_READ)},
        tags=["leases"],
    )
    def get(self, request: Request, pk: int) -> Response:
        lease = self._lease(pk)
        side = rules.side_of(lease, self.organisation.pk)
        verdict = rules.cancel(lease, side)
        quote = services.lease_cancel_quote(lease=lease, side=side)
        body = {
            "side": side,
            "allowed": verdict.allowed,
            "reason": str(verdict.reason),
            "code": verdict.error_code if not verdict else "",
            "currency": quote.currency,
            "refund": quote.refund,
            "owner_part": quote.owner,
            "platform_fee": quote.fee,
            "keep_until": quote.keep_until,
        }
        return self.show(CancellationSerializer, body)


class LeaseCancelView(LeaseViewBase):
    @extend_schema(
        summary="Cancel a lease (either side, by the policy)",
        description="The exporter: a paid lease before check-in, or the months not yet released. The owner: before "
        "the start (at the warehouse), refunding everything. The money moves as `GET …/cancellation/` says; "
        "the side is your API key's organisation.",
        request=CancelSerializer,
        parameters=[IDEMPOTENCY],
        responses={200: LeaseDetailSerializer, **errors(*WRITE)},
        tags=["leases"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        lease = self._lease(pk)
        data = self.valid(CancelSerializer)
        services.lease_cancel(
            lease=lease,
            by=request.user,
            side=rules.side_of(lease, self.organisation.pk),
            expected_refund=data.get("expected_refund"),
        )
        return self._show_lease(pk)


class LeasePayView(LeaseViewBase):
    @extend_schema(
        summary="Pay the lease total into escrow (exporter)",
        description="Charges the payment method; the lease becomes `funded`. A payment that needs the payer's "
        "authentication answers with `payment.status` `requires_action` and its `client_secret`. "
        "Safe to retry with the same Idempotency-Key, and the payment attempt itself is idempotent.",
        request=PaySerializer,
        parameters=[IDEMPOTENCY],
        responses={200: PayResultSerializer, **errors(*WRITE, 402, 503)},
        tags=["leases"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        lease = self._lease(pk)
        payment = services.lease_pay(
            lease=lease, by=request.user, payment_method=self.valid(PaySerializer)["payment_method"]
        )
        return self.show(PayResultSerializer, {"lease": self._lease(pk), "payment": payment})


class LeaseInstalmentPayView(LeaseViewBase):
    @extend_schema(
        summary="Pay the next month of a lease billed monthly (exporter)",
        description="Charges the payment method for the first month not paid yet (after an automatic charge "
        "failed, or early) and saves it for the months after. Allowed until that month starts at the warehouse; "
        "then the lease has ended the day before (409 `too_late`). 3-D Secure as for `pay`.",
        request=PaySerializer,
        parameters=[IDEMPOTENCY],
        responses={200: PayResultSerializer, **errors(*WRITE, 402, 503)},
        tags=["leases"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        lease = self._lease(pk)
        payment = services.instalment_pay(
            lease=lease, by=request.user, payment_method=self.valid(PaySerializer)["payment_method"]
        )
        return self.show(PayResultSerializer, {"lease": self._lease(pk), "payment": payment})


class LeaseEventListView(LeaseViewBase):
    pagination_class = cursor_by("created_at", "pk")
    queryset = LeaseEvent.objects.none()

    @extend_schema(
        summary="A lease's history",
        description="Every state change and notable step, oldest first.",
        responses={200: LeaseEventSerializer(many=True), **errors(400, *OBJECT_READ)},
        tags=["leases"],
    )
    def get(self, request: Request, pk: int) -> Response:
        lease = self._lease(pk)
        return self.page(LeaseEvent.objects.filter(lease=lease).select_related("actor"), LeaseEventSerializer)


class LeaseEscrowView(LeaseViewBase):
    @extend_schema(
        summary="A lease's escrow and ledger",
        description="What the escrow holds now, its payments, payouts and refunds, and its ledger postings.",
        responses={200: EscrowSerializer, **errors(*OBJECT_READ)},
        tags=["leases"],
    )
    def get(self, request: Request, pk: int) -> Response:
        summary = escrow_summary(lease=self._lease(pk))
        if summary is None:
            raise NotFound(_("This lease has no escrow."))
        return self.show(EscrowSerializer, summary)


class LeaseShipmentListView(LeaseViewBase):
    pagination_class = cursor_by("created_at", "pk")
    queryset: QuerySet[Any] = InboundShipment.objects.none()

    @extend_schema(
        summary="A lease's inbound shipments",
        responses={200: ShipmentSerializer(many=True), **errors(400, *OBJECT_READ)},
        tags=["shipments"],
    )
    def get(self, request: Request, pk: int) -> Response:
        lease = self._lease(pk)
        return self.page(shipment_visible(organisation=self.organisation).filter(lease=lease), ShipmentSerializer)

    @extend_schema(
        summary="Announce an inbound shipment (exporter)",
        description="Once the lease is paid and before check-in. Bonded warehouses need `customs_reference`.",
        request=ShipmentAnnounceSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: ShipmentSerializer, **errors(*WRITE)},
        tags=["shipments"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        lease = self._lease(pk)
        data = self.valid(ShipmentAnnounceSerializer)
        data["lines"] = [services.DeclaredLine(**line) for line in data["lines"]]
        shipment = services.shipment_announce(lease=lease, by=request.user, **data)
        return self.show(
            ShipmentSerializer, shipment_visible(organisation=self.organisation).get(pk=shipment.pk), status=201
        )


class ShipmentViewBase(ApiView):
    queryset: QuerySet[Any] = InboundShipment.objects.none()

    def _shipment(self, pk: int) -> InboundShipment:
        return get_object_or_404(shipment_visible(organisation=self.organisation).select_related("lease"), pk=pk)


class ShipmentListView(ShipmentViewBase):
    filterset_class = ShipmentFilter
    pagination_class = cursor_by("-created_at", "-pk")

    @extend_schema(
        summary="Inbound shipments",
        description="Shipments of the leases your organisation takes part in; newest first.",
        responses={200: ShipmentSerializer(many=True), **errors(400, 401, 403, 429)},
        tags=["shipments"],
    )
    def get(self, request: Request) -> Response:
        return self.page(shipment_visible(organisation=self.organisation), ShipmentSerializer)


class ShipmentDetailView(ShipmentViewBase):
    @extend_schema(
        summary="A shipment", responses={200: ShipmentSerializer, **errors(*OBJECT_READ)}, tags=["shipments"]
    )
    def get(self, request: Request, pk: int) -> Response:
        return self.show(ShipmentSerializer, self._shipment(pk))


class ShipmentStatusView(ShipmentViewBase):
    @extend_schema(
        summary="Mark a shipment in transit or arrived (owner)",
        description="Forward only: announced → in transit → arrived.",
        request=ShipmentMarkSerializer,
        parameters=[IDEMPOTENCY],
        responses={200: ShipmentSerializer, **errors(*WRITE)},
        tags=["shipments"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        shipment = self._shipment(pk)
        services.shipment_mark(shipment=shipment, by=request.user, **self.valid(ShipmentMarkSerializer))
        return self.show(ShipmentSerializer, self._shipment(pk))


class ShipmentEventListView(ShipmentViewBase):
    pagination_class = cursor_by("created_at", "pk")
    queryset = ShipmentEvent.objects.none()

    @extend_schema(
        summary="A shipment's tracking timeline",
        responses={200: ShipmentEventSerializer(many=True), **errors(400, *OBJECT_READ)},
        tags=["shipments"],
    )
    def get(self, request: Request, pk: int) -> Response:
        shipment = self._shipment(pk)
        return self.page(
            ShipmentEvent.objects.filter(shipment=shipment).select_related("actor"), ShipmentEventSerializer
        )


class ShipmentCheckInView(ShipmentViewBase):
    parser_classes = UPLOADS

    @extend_schema(
        summary="A shipment's check-in",
        responses={200: CheckInSerializer, **errors(*OBJECT_READ)},
        tags=["shipments"],
    )
    def get(self, request: Request, pk: int) -> Response:
        checkin = getattr(self._shipment(pk), "checkin", None)
        if checkin is None:
            raise NotFound(_("This shipment is not checked in yet."))
        return self.show(CheckInSerializer, checkin)

    @extend_schema(
        summary="Check a shipment in (owner)",
        description="Count every declared line. The lease becomes `checked_in` and the exporter's confirmation "
        "window starts. Send `multipart/form-data` to add photos, as on the check-in page; there `received` is "
        "one field holding the list as JSON text. A photo that is not a JPEG, PNG or WebP image, too large, "
        "or one too many is refused with 400 and nothing is recorded.",
        request={"application/json": CheckInRecordSerializer, "multipart/form-data": CheckInRecordFormSerializer},
        parameters=[IDEMPOTENCY],
        responses={201: CheckInSerializer, **errors(*WRITE)},
        tags=["shipments"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        shipment = self._shipment(pk)
        serializer = CheckInRecordUploadSerializer if self.uploading() else CheckInRecordSerializer
        checkin = services.checkin_record(shipment=shipment, by=request.user, **self.valid(serializer))
        return self.show(CheckInSerializer, checkin, status=201)


@dataclass(frozen=True)
class PhotoFile:
    """A check-in photo in the shape ``trust.views.file_response`` serves (a ``PrivateFile``'s)."""

    file: FieldFile
    content_type: str
    original_name: str
    is_image: bool = True


class CheckInPhotoView(ApiView):
    queryset = CheckInPhoto.objects.none()

    @extend_schema(
        summary="Download a check-in photo",
        description="For the owner and the exporter of the shipment's lease; 404 for anyone else.",
        responses={
            **download_responses("The photo."),
            **errors(*OBJECT_READ),
        },
        tags=["shipments"],
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        photo = get_object_or_404(checkin_photo_visible(organisation=self.organisation), pk=pk)
        served = PhotoFile(
            file=photo.image, content_type=photo_content_type(photo), original_name=Path(photo.image.name or "").name
        )
        try:
            return file_response(cast(PrivateFile, served))
        except FileNotFoundError:
            raise NotFound from None

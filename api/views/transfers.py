"""Lease transfers: offer the rest of a lease to another exporter, take it, consent, withdraw.

The same services (``leasing.transfers``), rules and selectors as the transfer pages
(``leasing/views/transfers.py``). A transfer is found through the caller's organisation
(``transfer_visible_to``: the offering exporter, the owner, the named or actual receiver, and an
exporter holding an open offer's key), so anyone else gets a 404. Which side may take a step is
the service's decision (403 ``not_allowed``), never re-decided here.
"""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Organisation
from leasing import rules, schedule, transfers
from leasing.exceptions import InvalidTransfer
from leasing.models import Lease, LeaseTransfer
from leasing.selectors import lease_units_on, transfer_receivers, transfer_visible_to, with_transfer_parties

from ..filters import TransferFilter
from ..idempotency import idempotent
from ..pagination import cursor_by
from ..schema import WRITE, errors
from ..serializers.transfers import (
    KEY_LENGTH,
    TransferAcceptSerializer,
    TransferConsentSerializer,
    TransferDetailSerializer,
    TransferKeySerializer,
    TransferOfferSerializer,
    TransferQuoteQuerySerializer,
    TransferQuoteSerializer,
    TransferSerializer,
    transfer_value_data,
)
from .base import ApiView
from .leasing import OBJECT_READ, LeaseViewBase
from .warehouses import IDEMPOTENCY

KEY = OpenApiParameter(
    "key",
    {"type": "string", "maxLength": KEY_LENGTH},
    OpenApiParameter.QUERY,
    required=False,
    description="An open offer's key: lets an exporter that is not named read the offer.",
)


def _receiver(lease: Lease, organisation_id: int | None) -> Organisation | None:
    """The exporter named in an offer, among those the page offers (``transfer_receivers``)."""
    if organisation_id is None:
        return None
    receiver = transfer_receivers(lease=lease).filter(pk=organisation_id).first()
    if receiver is None:
        message = forms.ModelChoiceField.default_error_messages["invalid_choice"]
        raise serializers.ValidationError({"to_organisation": [str(message)]})
    return receiver


class LeaseTransferListView(LeaseViewBase):
    pagination_class = cursor_by("-created_at", "-pk")
    queryset: QuerySet[Any] = LeaseTransfer.objects.none()

    @extend_schema(
        summary="A lease's transfer offers",
        description="Every transfer offered of this lease, newest first (for its exporter and its owner).",
        responses={200: TransferSerializer(many=True), **errors(400, *OBJECT_READ)},
        tags=["transfers"],
    )
    def get(self, request: Request, pk: int) -> Response:
        lease = self._lease(pk)
        return self.page(with_transfer_parties(LeaseTransfer.objects.filter(lease=lease)), TransferSerializer)

    @extend_schema(
        summary="Offer a transfer of the lease (exporter)",
        description="Offers `quantity` units from `start` to the lease's end, at `price`, to one verified exporter "
        "(`to_organisation`) or, without one, to anyone you give the offer's `key`. One open offer per lease; "
        "a paid (funded or active) lease, from the first day still in escrow (`GET …/transfer-quote/`).",
        request=TransferOfferSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: TransferDetailSerializer, **errors(*WRITE)},
        tags=["transfers"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        lease = self._lease(pk)
        data = self.valid(TransferOfferSerializer)
        data["to_organisation"] = _receiver(lease, data.get("to_organisation"))
        transfer = transfers.transfer_offer(lease=lease, by=request.user, **data)
        return self.show(TransferDetailSerializer, self._visible().get(pk=transfer.pk), status=201)

    def _visible(self) -> QuerySet[LeaseTransfer]:
        return transfer_visible_to(organisation=self.organisation)


class LeaseTransferQuoteView(LeaseViewBase):
    @extend_schema(
        summary="What a transfer of the lease would hand back",
        description="What the offer page shows: whether your side may offer a transfer now (with the reason if "
        "not), the days and units it may cover, what comes back for `quantity` from `start` at `price` (escrow's "
        "share for days it still holds, the receiver's price for days already paid out; less the transfer fee), "
        "and the exporters it may be offered to.",
        parameters=[TransferQuoteQuerySerializer],
        responses={200: TransferQuoteSerializer, **errors(400, *OBJECT_READ)},
        tags=["transfers"],
    )
    def get(self, request: Request, pk: int) -> Response:
        lease = self._lease(pk)
        query = TransferQuoteQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        verdict = rules.transfer(lease, rules.side_of(lease, self.organisation.pk))
        earliest = rules.transfer_earliest(lease)
        held = lease_units_on(lease, earliest)
        quantity = query.validated_data.get("quantity") or held or 1
        start = query.validated_data.get("start") or earliest
        value, problem = None, ""
        try:
            value = transfers.transfer_value(
                lease, quantity=quantity, start=start, price=query.validated_data.get("price")
            )
        except InvalidTransfer as error:
            problem = error.detail
        body = {
            "allowed": verdict.allowed,
            "code": verdict.error_code if not verdict else "",
            "reason": str(verdict.reason),
            "earliest": earliest,
            "end": lease.end,
            "held": held,
            "quantity": quantity,
            "start": start,
            "fee_percent": schedule.transfer_fee_percent(),
            "value": None if value is None else transfer_value_data(value),
            "problem": str(problem),
            "receivers": list(transfer_receivers(lease=lease)) if verdict else [],
        }
        return self.show(TransferQuoteSerializer, body)


class TransferViewBase(ApiView):
    queryset: QuerySet[Any] = LeaseTransfer.objects.none()

    def _transfer(self, pk: int, key: str = "") -> LeaseTransfer:
        return get_object_or_404(transfer_visible_to(organisation=self.organisation, key=key), pk=pk)

    def _show(self, pk: int, key: str = "") -> Response:
        return self.show(TransferDetailSerializer, self._transfer(pk, key))


class TransferListView(TransferViewBase):
    filterset_class = TransferFilter
    pagination_class = cursor_by("-created_at", "-pk")

    @extend_schema(
        summary="Transfers",
        description="Transfers your organisation takes part in: as the offering exporter, the owner, or the exporter "
        "an offer is made to (or that took it); newest first. Offers made to you: `?role=receiver&state=offered`.",
        responses={200: TransferSerializer(many=True), **errors(400, 401, 403, 429)},
        tags=["transfers"],
    )
    def get(self, request: Request) -> Response:
        return self.page(transfer_visible_to(organisation=self.organisation), TransferSerializer)


class TransferDetailView(TransferViewBase):
    @extend_schema(
        summary="A transfer",
        description="With `actions`: the steps your side may take now. An open offer not made to you is read "
        "with its `key`.",
        parameters=[KEY],
        responses={200: TransferDetailSerializer, **errors(400, *OBJECT_READ)},
        tags=["transfers"],
    )
    def get(self, request: Request, pk: int) -> Response:
        query = TransferKeySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return self._show(pk, query.validated_data["key"])


def _transfer_step(
    summary: str,
    description: str,
    step: Any,
    request_serializer: Any = None,
) -> type[TransferViewBase]:
    """A POST endpoint that runs one transfer service and answers with the transfer."""

    class Step(TransferViewBase):
        @extend_schema(
            summary=summary,
            description=description,
            request=request_serializer,
            parameters=[IDEMPOTENCY],
            responses={200: TransferDetailSerializer, **errors(*WRITE)},
            tags=["transfers"],
        )
        @idempotent
        def post(self, request: Request, pk: int) -> Response:
            data = self.valid(request_serializer) if request_serializer else {}
            key = data.get("key", "")
            step(self._transfer(pk, key), request.user, self.organisation, data)
            return self._show(pk, key)

    return Step


TransferAcceptView = _transfer_step(
    "Take a transfer offer (another exporter)",
    "Takes an offer made to your organisation, or an open one with its `key`. The owner is asked to consent; if "
    "the listing needs none, the answer is `approved` at once with `new_lease`: pay that lease "
    "(`POST /leases/{new_lease}/pay/`) to complete the transfer.",
    lambda transfer, by, organisation, data: transfers.transfer_accept(
        transfer=transfer, by=by, organisation=organisation
    ),
    TransferAcceptSerializer,
)
TransferConsentView = _transfer_step(
    "Approve or refuse a taken transfer (owner)",
    "`approve`: the receiver's own lease (`new_lease`) is created, awaiting its payment. `refuse` with a `reason`: "
    "both exporters are told; the lease continues as it was.",
    lambda transfer, by, organisation, data: transfers.transfer_consent(
        transfer=transfer, by=by, approve=data["decision"] == "approve", reason=data["reason"]
    ),
    TransferConsentSerializer,
)
TransferWithdrawView = _transfer_step(
    "Withdraw a transfer offer (offering exporter)",
    "While it is open (not yet paid for by the receiver); a receiver's lease awaiting payment is cancelled.",
    lambda transfer, by, organisation, data: transfers.transfer_withdraw(transfer=transfer, by=by),
)

"""The owner's payout account (country, rail, service agreement) and its payouts: read-only, the
same selectors as the payout-account page. Only owner organisations are paid; anyone else gets a 403."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from escrow.models import Payout, PayoutAccount
from escrow.selectors import payouts_of

from ..schema import READ, errors
from ..serializers.escrow import OwnerPayoutSerializer, PayoutAccountSerializer
from .base import ApiView


class OwnerView(ApiView):
    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        super().initial(request, *args, **kwargs)
        if not self.organisation.is_owner:
            raise PermissionDenied(_("Only warehouse owners are paid out."), code="not_an_owner")


class PayoutAccountView(OwnerView):
    queryset = PayoutAccount.objects.none()

    @extend_schema(
        summary="Your payout account",
        description="Where your organisation is paid: its `country`, the `rail` (`processor`: Stripe transfers, "
        "under the `full` or the cross-border `recipient` service agreement; `bank_transfer`: Wareshare's staff "
        "pay by bank transfer where Stripe cannot) and what the processor still needs. 404 until one is set up.",
        responses={200: PayoutAccountSerializer, **errors(404, *READ)},
        tags=["payouts"],
    )
    def get(self, request: Request) -> Response:
        account = PayoutAccount.objects.filter(organisation=self.organisation).first()
        if account is None:
            raise NotFound(_("Connect a payout account to be paid."), code="payout_account_missing")
        return self.show(PayoutAccountSerializer, account)


class PayoutListView(OwnerView):
    queryset = Payout.objects.none()

    @extend_schema(
        summary="Your payouts",
        description="Escrow released to your organisation, newest first, with the rail it is paid by and its "
        "status (`queued`: waiting for Wareshare's staff to send the bank transfer).",
        responses={200: OwnerPayoutSerializer(many=True), **errors(400, *READ)},
        tags=["payouts"],
    )
    def get(self, request: Request) -> Response:
        return self.page(payouts_of(organisation=self.organisation), OwnerPayoutSerializer)

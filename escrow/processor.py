"""The processor's half of money the ledger has already moved: transfers to owners and refunds to
cards. ``escrow_release`` and ``escrow_refund`` post to the ledger inside the business transaction
and schedule these (``escrow.tasks``) after commit; the sweeps retry what failed.

Each call carries its row's idempotency key, holds no lock while the processor answers, then
re-locks and re-checks the row before recording the result, so running twice pays once. Every
status it records is sent as ``hooks.payout_changed`` / ``hooks.refund_changed`` (the API's webhooks).
"""

import logging

from django.db import transaction
from django.utils import timezone

from common.drill import drill_pause
from common.money import Money

from . import ledger
from .bank_payouts import payout_bank_queue
from .choices import PaymentStatus, PayoutRail, PayoutStatus, RefundStatus
from .exceptions import GatewayUnavailable
from .gateways import get_gateway
from .hooks import payout_changed, refund_changed
from .models import Payout, PayoutAccount, Refund

logger = logging.getLogger(__name__)


def payout_execute(*, payout: Payout) -> Payout:
    """Transfer a payout to the owner's connected account; safe to call again (same key).

    Without a payout account ready for payouts it waits (status ``waiting``); a processor
    failure leaves it ``failed`` for the sweep to retry. An owner on the bank-transfer rail is not
    sent to the processor: the payout is queued for staff (``bank_payouts.payout_bank_queue``)."""
    payout = Payout.objects.select_related("escrow", "organisation").get(pk=payout.pk)
    if payout.status == PayoutStatus.PAID:
        return payout
    account = PayoutAccount.objects.filter(organisation=payout.organisation, payouts_enabled=True).first()
    if account is None:
        return _payout_record(payout, status=PayoutStatus.WAITING, failure_message="No payout account yet")
    if payout.status == PayoutStatus.QUEUED:
        return payout  # already with staff for a bank transfer
    if account.rail == PayoutRail.BANK_TRANSFER:
        return payout_bank_queue(payout=payout)
    # The charge that paid this release's instalment (a lease billed monthly has one per month).
    payment = (
        payout.escrow.payments.filter(status=PaymentStatus.SUCCEEDED, instalment__lte=payout.sequence)
        .order_by("-instalment")
        .first()
    )
    try:
        result = get_gateway().transfer(
            amount=Money(payout.amount, payout.currency),
            destination=account.account_id,
            source_transaction=payment.charge_id if payment else "",
            transfer_group=payout.escrow.transfer_group,
            idempotency_key=payout.idempotency_key,
        )
    except GatewayUnavailable as error:
        logger.warning("payout %s failed: %s", payout.idempotency_key, error.detail)
        return _payout_record(payout, status=PayoutStatus.FAILED, failure_message=error.detail)
    drill_pause("payout_transferred", payout=payout.pk)  # paid at the processor, not yet recorded
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        if payout.status != PayoutStatus.PAID:
            from_status = payout.status
            payout.status = PayoutStatus.PAID
            payout.processor_id = result.id
            payout.paid_at = timezone.now()
            payout.failure_message = ""
            payout.save()
            ledger.ledger_post(
                key=f"{payout.idempotency_key}:paid",
                description=f"Lease {payout.escrow.lease_id}: transferred to owner",
                currency=payout.currency,
                lines=[
                    (ledger.payable_owner(payout.organisation_id), payout.amount),
                    (ledger.GATEWAY, -payout.amount),
                ],
                escrow=payout.escrow,
            )
            payout_changed.send(sender=Payout, payout=payout, from_status=from_status, to_status=payout.status)
    return payout


@transaction.atomic
def _payout_record(payout: Payout, **fields: str) -> Payout:
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if payout.status in (PayoutStatus.PAID, PayoutStatus.QUEUED):
        return payout
    from_status = payout.status
    for name, value in fields.items():
        setattr(payout, name, value)
    payout.save()
    if payout.status != from_status:
        payout_changed.send(sender=Payout, payout=payout, from_status=from_status, to_status=payout.status)
    return payout


def payouts_retry() -> int:
    """Sweep: execute payouts that are waiting or failed. Idempotent (each has its key)."""
    paid = 0
    for payout in Payout.objects.filter(
        status__in=[PayoutStatus.PENDING, PayoutStatus.WAITING, PayoutStatus.FAILED]
    ).iterator():
        if payout_execute(payout=payout).status == PayoutStatus.PAID:
            paid += 1
    return paid


def refund_execute(*, refund: Refund) -> Refund:
    refund = Refund.objects.select_related("escrow", "payment").get(pk=refund.pk)
    if refund.status == RefundStatus.SUCCEEDED:
        return refund
    payment = refund.payment or refund.escrow.payments.get(status=PaymentStatus.SUCCEEDED, instalment=1)
    try:
        result = get_gateway().refund(
            charge_id=payment.charge_id,
            amount=Money(refund.amount, refund.currency),
            idempotency_key=refund.idempotency_key,
        )
    except GatewayUnavailable:
        _refund_failed(refund)
        return refund
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status != RefundStatus.SUCCEEDED:
            from_status = refund.status
            refund.status = RefundStatus.SUCCEEDED
            refund.processor_id = result.id
            refund.save()
            ledger.ledger_post(
                key=f"{refund.idempotency_key}:paid",
                description=f"Lease {refund.escrow.lease_id}: refunded to card",
                currency=refund.currency,
                lines=[
                    (ledger.refund_exporter(refund.organisation_id), refund.amount),
                    (ledger.GATEWAY, -refund.amount),
                ],
                escrow=refund.escrow,
            )
            refund_changed.send(sender=Refund, refund=refund, from_status=from_status, to_status=refund.status)
    return refund


@transaction.atomic
def _refund_failed(refund: Refund) -> None:
    """The processor did not answer: the refund is failed (for ``refunds_retry``) unless it succeeded meanwhile."""
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status in (RefundStatus.SUCCEEDED, RefundStatus.FAILED):
        return
    from_status = refund.status
    refund.status = RefundStatus.FAILED
    refund.save(update_fields=["status"])
    refund_changed.send(sender=Refund, refund=refund, from_status=from_status, to_status=refund.status)


def refunds_retry() -> int:
    done = 0
    for refund in Refund.objects.exclude(status=RefundStatus.SUCCEEDED).iterator():
        if refund_execute(refund=refund).status == RefundStatus.SUCCEEDED:
            done += 1
    return done

"""Processor webhooks: verified, stored before processing, processed once, forward only.

A replayed event id is a no-op. An event that fails to process answers 500 so the processor
retries it; the stored row keeps the error for staff.

Every handler is also safe on its own when the same change arrives again under another event id,
or out of order: states only move forward (a payment never leaves ``succeeded``, a dispute never
leaves ``won``/``lost``), ledger postings are keyed by the business action, money the processor
moved at our request is recorded by re-running that request with its idempotency key (the
processor replays its first answer), and ``account.updated`` re-reads the account instead of
trusting a snapshot that may be older than one already applied.
"""

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import chargebacks, hooks, processor, services
from .choices import CHARGED, PaymentStatus, RefundStatus, ReversalStatus
from .exceptions import WebhookInvalid
from .gateways import gateway_for
from .models import Payment, PayoutAccount, Refund, TransferReversal, WebhookEvent

logger = logging.getLogger(__name__)


def _payment_for(intent: dict[str, Any], *, open_attempt: bool = True) -> Payment | None:
    """The payment an intent belongs to: by processor id, or (if the webhook overtook our own
    record of the answer, ``open_attempt``) the escrow's open attempt that never learned its
    intent id (a timeout). An attempt that knows another intent id is never taken for this one."""
    payment = Payment.objects.filter(processor_id=intent["id"]).first()
    if payment or not open_attempt:
        return payment
    escrow_id = (intent.get("metadata") or {}).get("escrow")
    if not escrow_id:
        return None
    return (
        Payment.objects.filter(escrow_id=escrow_id, processor_id="")
        .exclude(status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.FAILED])
        .order_by("-attempt")
        .first()
    )


def _payment_succeeded(intent: dict[str, Any]) -> None:
    payment = _payment_for(intent)
    if payment is None:
        logger.warning("payment_intent.succeeded for unknown intent %s", intent["id"])
        return
    payment = services.payment_record(
        payment,
        status=PaymentStatus.SUCCEEDED,
        processor_id=intent["id"],
        charge_id=intent.get("latest_charge") or payment.charge_id,
    )
    if payment.status == PaymentStatus.SUCCEEDED:  # a duplicate is refunded, never funds the lease
        hooks.payment_succeeded.send(sender=Payment, payment=payment)


def _payment_failed(intent: dict[str, Any]) -> None:
    """Only a payment known by this intent id: a late failure of an earlier attempt must not mark a
    later, open attempt failed (its retry with its own key gets the real answer)."""
    payment = _payment_for(intent, open_attempt=False)
    if payment is None:
        return
    error = intent.get("last_payment_error") or {}
    message = (error.get("message") or "Payment failed")[:300]
    services.payment_record(payment, status=PaymentStatus.FAILED, failure_message=message)


def _account_updated(account: dict[str, Any]) -> None:
    """Re-read the account (a snapshot may be older than one applied already); once payouts are
    enabled, the owner's waiting payouts are sent."""
    payout_account = PayoutAccount.objects.filter(account_id=account["id"]).first()
    if payout_account is None:
        logger.info("account.updated for an account Wareshare does not know: %s", account["id"])
        return
    if payout_account.gateway == "stripe":
        payout_account = services.payout_account_refresh(account=payout_account)
    if payout_account.payouts_enabled:
        services.payouts_waiting_dispatch(organisation=payout_account.organisation)


def _charge_refunded(charge: dict[str, Any]) -> None:
    """A refund went through: record any of ours whose answer was lost (same key, replayed answer)."""
    payment = Payment.objects.filter(charge_id=charge["id"], status__in=CHARGED).first()
    if payment is None:
        logger.warning("charge.refunded for a charge Wareshare does not know: %s", charge["id"])
        return
    for refund in Refund.objects.filter(escrow_id=payment.escrow_id).exclude(status=RefundStatus.SUCCEEDED):
        processor.refund_execute(refund=refund)


def _transfer_reversed(transfer: dict[str, Any]) -> None:
    """A transfer was reversed: record any of our reversals whose answer was lost. A reversal made
    outside Wareshare (the dashboard) is not guessed at: ``escrow_reconcile`` reports it."""
    for reversal in TransferReversal.objects.filter(payout__processor_id=transfer["id"]).exclude(
        status=ReversalStatus.SUCCEEDED
    ):
        chargebacks.reversal_execute(reversal=reversal)


def _dispute(dispute: dict[str, Any]) -> None:
    chargebacks.chargeback_record(dispute=dispute)


HANDLERS = {
    "payment_intent.succeeded": _payment_succeeded,
    "payment_intent.payment_failed": _payment_failed,
    "account.updated": _account_updated,
    "charge.refunded": _charge_refunded,
    "transfer.reversed": _transfer_reversed,
    "charge.dispute.created": _dispute,
    "charge.dispute.closed": _dispute,
    "charge.dispute.funds_withdrawn": _dispute,
    "charge.dispute.funds_reinstated": _dispute,
}


def webhook_process(*, event: dict[str, Any]) -> bool:
    """Store then process one verified event. False if it was already processed (a replay)."""
    try:
        with transaction.atomic():
            stored, _ = WebhookEvent.objects.get_or_create(
                event_id=event["id"], defaults={"type": event["type"], "payload": event}
            )
    except IntegrityError:
        stored = WebhookEvent.objects.get(event_id=event["id"])
    if stored.processed_at:
        return False
    handler = HANDLERS.get(event["type"])
    try:
        # Claim the event: the row lock makes concurrent copies wait, and they then see it processed.
        # The handler runs in the claim's transaction, so a copy that fails or dies leaves it unclaimed.
        with transaction.atomic():
            claimed = WebhookEvent.objects.select_for_update().filter(pk=stored.pk, processed_at=None).first()
            if claimed is None:
                return False
            if handler:
                handler(event["data"]["object"])
            WebhookEvent.objects.filter(pk=stored.pk).update(processed_at=timezone.now(), error="")
    except Exception as error:  # recorded for staff, then re-raised so the processor retries
        WebhookEvent.objects.filter(pk=stored.pk).update(error=repr(error)[:2000])
        raise
    return True


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        event = gateway_for("stripe").webhook_event(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except WebhookInvalid as error:
        return JsonResponse(error.as_json(), status=400)
    # A processing error propagates: the 500 makes the processor retry the event later.
    processed = webhook_process(event=event)
    return JsonResponse({"received": True, "replay": not processed})

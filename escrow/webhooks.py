"""Processor webhooks: verified, stored before processing, processed once, forward only.

A replayed event id is a no-op. An event that fails to process answers 500 so the processor
retries it; the stored row keeps the error for staff.
"""

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .choices import PaymentStatus
from .exceptions import WebhookInvalid
from .gateways import _gateway
from .models import Payment, PayoutAccount, WebhookEvent

logger = logging.getLogger(__name__)


def _payment_for(intent: dict[str, Any]) -> Payment | None:
    """The payment an intent belongs to: by processor id, or (if the webhook overtook our own
    record of the answer) by the escrow in its metadata and the open attempt."""
    payment = Payment.objects.filter(processor_id=intent["id"]).first()
    if payment:
        return payment
    escrow_id = (intent.get("metadata") or {}).get("escrow")
    if not escrow_id:
        return None
    return (
        Payment.objects.filter(escrow_id=escrow_id)
        .exclude(status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.FAILED])
        .order_by("-attempt")
        .first()
    )


def _payment_succeeded(intent: dict[str, Any]) -> None:
    from leasing.services import lease_payment_succeeded

    payment = _payment_for(intent)
    if payment is None:
        logger.warning("payment_intent.succeeded for unknown intent %s", intent["id"])
        return
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != PaymentStatus.SUCCEEDED:
            locked.status = PaymentStatus.SUCCEEDED
            locked.processor_id = intent["id"]
            locked.charge_id = intent.get("latest_charge") or locked.charge_id
            locked.save()
    lease_payment_succeeded(payment=payment, by=None)


def _payment_failed(intent: dict[str, Any]) -> None:
    payment = _payment_for(intent)
    if payment is None:
        return
    error = intent.get("last_payment_error") or {}
    Payment.objects.filter(pk=payment.pk).exclude(status=PaymentStatus.SUCCEEDED).update(
        status=PaymentStatus.FAILED, failure_message=(error.get("message") or "Payment failed")[:300]
    )


def _account_updated(account: dict[str, Any]) -> None:
    requirements = (account.get("requirements") or {}).get("currently_due") or []
    PayoutAccount.objects.filter(account_id=account["id"]).update(
        payouts_enabled=bool(account.get("payouts_enabled")), requirements=requirements
    )


HANDLERS = {
    "payment_intent.succeeded": _payment_succeeded,
    "payment_intent.payment_failed": _payment_failed,
    "account.updated": _account_updated,
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
        if handler:
            handler(event["data"]["object"])
    except Exception as error:  # recorded for staff, then re-raised so the processor retries
        WebhookEvent.objects.filter(pk=stored.pk).update(error=repr(error)[:2000])
        raise
    WebhookEvent.objects.filter(pk=stored.pk, processed_at=None).update(processed_at=timezone.now(), error="")
    return True


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        event = _gateway("stripe").webhook_event(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except WebhookInvalid as error:
        return JsonResponse(error.as_json(), status=400)
    # A processing error propagates: the 500 makes the processor retry the event later.
    processed = webhook_process(event=event)
    return JsonResponse({"received": True, "replay": not processed})

"""Stripe Connect with separate charges and transfers (DESIGN §4). The only module that imports ``stripe``.

The exporter is charged on the platform account with ``transfer_group=lease_<id>`` and captured at
once; a release is a Transfer to the owner's connected account with ``source_transaction`` set to
that charge; refunds go back to the card; a reversal pulls (part of) a transfer back.

Every request carries the caller's idempotency key in the ``Idempotency-Key`` header (request
``options``, never ``params``: stripe 16's params types accept ``idempotency_key`` too, but the
service API would send it as a form field). The SDK's own retries are off
(``max_network_retries=0``): a failed call surfaces as ``GatewayUnavailable`` and the business
action is retried with the same key, so Stripe replays the first result instead of moving money
twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import stripe

from common.money import Money, to_minor
from escrow.exceptions import GatewayUnavailable, PaymentDeclined, WebhookInvalid

from .base import AccountStatus, ChargeResult, Gateway, RefundResult, TransferResult

logger = logging.getLogger(__name__)

WEBHOOK_TOLERANCE_SECONDS = 300
DECLINED = "Your card was declined. Try another card."


class StripeGateway(Gateway):
    name = "stripe"

    def __init__(self, api_key: str, webhook_secret: str, http_client: stripe.HTTPClient | None = None) -> None:
        self._client = stripe.StripeClient(api_key, http_client=http_client, max_network_retries=0)
        self._webhook_secret = webhook_secret

    def charge(
        self,
        *,
        amount: Money,
        payment_method: str,
        idempotency_key: str,
        transfer_group: str,
        description: str,
        metadata: dict[str, str],
    ) -> ChargeResult:
        """Create and confirm a PaymentIntent server-side, captured immediately (no redirects)."""
        minor = _minor(amount)
        with _stripe_errors("charge", idempotency_key):
            intent = self._client.v1.payment_intents.create(
                params={
                    "amount": minor,
                    "currency": amount.currency.lower(),
                    "payment_method": payment_method,
                    "confirm": True,
                    "capture_method": "automatic",
                    "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
                    "transfer_group": transfer_group,
                    "description": description,
                    "metadata": metadata,
                },
                options={"idempotency_key": idempotency_key},
            )
        return _charge_result(intent, idempotency_key)

    def transfer(
        self,
        *,
        amount: Money,
        destination: str,
        source_transaction: str,
        transfer_group: str,
        idempotency_key: str,
    ) -> TransferResult:
        minor = _minor(amount)
        with _stripe_errors("transfer", idempotency_key):
            transfer = self._client.v1.transfers.create(
                params={
                    "amount": minor,
                    "currency": amount.currency.lower(),
                    "destination": destination,
                    "source_transaction": source_transaction,
                    "transfer_group": transfer_group,
                },
                options={"idempotency_key": idempotency_key},
            )
        return TransferResult(id=transfer.id)

    def refund(self, *, charge_id: str, amount: Money, idempotency_key: str) -> RefundResult:
        minor = _minor(amount)
        with _stripe_errors("refund", idempotency_key):
            refund = self._client.v1.refunds.create(
                params={"charge": charge_id, "amount": minor},
                options={"idempotency_key": idempotency_key},
            )
        return RefundResult(id=refund.id, status=refund.status or "pending")

    def reverse_transfer(self, *, transfer_id: str, amount: Money, idempotency_key: str) -> TransferResult:
        minor = _minor(amount)
        with _stripe_errors("reverse_transfer", idempotency_key):
            reversal = self._client.v1.transfers.reversals.create(
                transfer_id,
                params={"amount": minor},
                options={"idempotency_key": idempotency_key},
            )
        return TransferResult(id=reversal.id)

    def account_create(self, *, email: str, country: str, idempotency_key: str) -> AccountStatus:
        """An Express account that can take card payments and receive transfers."""
        with _stripe_errors("account_create", idempotency_key):
            account = self._client.v1.accounts.create(
                params={
                    "type": "express",
                    "country": country,
                    "email": email,
                    "capabilities": {
                        "card_payments": {"requested": True},
                        "transfers": {"requested": True},
                    },
                },
                options={"idempotency_key": idempotency_key},
            )
        return _account_status(account)

    def account_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        with _stripe_errors("account_link", ""):
            link = self._client.v1.account_links.create(
                params={
                    "account": account_id,
                    "refresh_url": refresh_url,
                    "return_url": return_url,
                    "type": "account_onboarding",
                }
            )
        return link.url

    def account_status(self, *, account_id: str) -> AccountStatus:
        with _stripe_errors("account_status", ""):
            account = self._client.v1.accounts.retrieve(account_id)
        return _account_status(account)

    def webhook_event(self, *, payload: bytes, signature: str) -> dict[str, Any]:
        """Verify the ``Stripe-Signature`` header (HMAC and a 5-minute timestamp tolerance)."""
        try:
            event = self._client.construct_event(
                payload, signature, self._webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as exc:
            raise WebhookInvalid("The webhook signature is invalid or too old.") from exc
        except ValueError as exc:  # not UTF-8, not JSON, or not a v1 event
            raise WebhookInvalid("The webhook payload is not a Stripe event.") from exc
        return event.to_dict()


def _minor(amount: Money) -> int:
    """Minor units, checked before any request: a non-positive amount is a bug, not a payment."""
    minor = to_minor(amount.amount, amount.currency)
    if minor <= 0:
        raise ValueError(f"amount must be positive, got {amount.amount} {amount.currency}")
    return minor


def _charge_result(intent: stripe.PaymentIntent, idempotency_key: str) -> ChargeResult:
    latest = intent.latest_charge
    charge_id = (latest if isinstance(latest, str) else latest.id) if latest else ""
    if intent.status in ("succeeded", "processing"):
        return ChargeResult(id=intent.id, charge_id=charge_id, status=intent.status)
    if intent.status == "requires_action":
        return ChargeResult(
            id=intent.id,
            charge_id=charge_id,
            status="requires_action",
            client_secret=intent.client_secret or "",
        )
    if intent.status == "requires_payment_method":  # declined without a card_error (defensive)
        error = intent.last_payment_error
        raise PaymentDeclined((error.message if error else None) or DECLINED)
    logger.error(
        "stripe charge: unexpected PaymentIntent status %s (%s, key %s)", intent.status, intent.id, idempotency_key
    )
    raise GatewayUnavailable(f"The payment is in an unexpected state ({intent.status}).")


def _account_status(account: stripe.Account) -> AccountStatus:
    requirements = account.requirements
    currently_due = (requirements.currently_due if requirements else None) or []
    return AccountStatus(
        id=account.id,
        payouts_enabled=bool(account.payouts_enabled),
        requirements=list(currently_due),
    )


@contextmanager
def _stripe_errors(action: str, idempotency_key: str) -> Iterator[None]:
    """Map the SDK's errors onto the interface's two: a definite no, or an unknown outcome."""
    try:
        yield
    except stripe.CardError as exc:
        raise PaymentDeclined(exc.user_message or DECLINED) from exc
    except stripe.APIConnectionError as exc:  # timeout or network failure: the request may have applied
        logger.warning("stripe %s: no answer (key %s): %s", action, idempotency_key, exc.user_message)
        raise GatewayUnavailable("The payment processor did not answer. Please try again.") from exc
    except (stripe.APIError, stripe.RateLimitError) as exc:  # 5xx, 409 or 429: transient
        logger.warning(
            "stripe %s: HTTP %s (key %s, request %s): %s",
            action,
            exc.http_status,
            idempotency_key,
            exc.request_id,
            exc.user_message,
        )
        raise GatewayUnavailable("The payment processor is unavailable. Please try again.") from exc
    except stripe.StripeError as exc:  # invalid request, authentication, permission, idempotency misuse
        logger.error(
            "stripe %s rejected: %s HTTP %s (key %s, request %s): %s",
            action,
            type(exc).__name__,
            exc.http_status,
            idempotency_key,
            exc.request_id,
            exc.user_message,
        )
        raise GatewayUnavailable("The payment processor refused the request.") from exc

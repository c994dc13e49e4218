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
from stripe.params import AccountCreateParams, PaymentIntentCreateParams

from common.money import THREE_DECIMAL, Money, from_minor, to_minor
from escrow.choices import ServiceAgreement
from escrow.exceptions import (
    AuthenticationRequired,
    GatewayUnavailable,
    PaymentDeclined,
    PayoutCountryUnsupported,
    WebhookInvalid,
)
from escrow.payout_countries import service_agreement

from .base import AccountStatus, Activity, ChargeResult, Gateway, ProcessorItem, RefundResult, TransferResult

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
        params = _charge_params(amount, payment_method, transfer_group, description, metadata)
        with _stripe_errors("charge", idempotency_key):
            intent = self._client.v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key})
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
        """An Express account in ``country``. In the platform's region: the ``full`` service agreement
        (card payments and transfers). Across borders where Stripe allows it: the ``recipient``
        agreement (``tos_acceptance.service_agreement``), transfers only (a recipient account cannot
        request ``card_payments``). Elsewhere: ``PayoutCountryUnsupported``, nothing sent."""
        agreement = service_agreement(country)
        if not agreement:
            raise PayoutCountryUnsupported(f"Stripe cannot pay out to connected accounts in {country}.")
        params: AccountCreateParams = {"type": "express", "country": country, "email": email}
        if agreement == ServiceAgreement.RECIPIENT:
            params["capabilities"] = {"transfers": {"requested": True}}
            params["tos_acceptance"] = {"service_agreement": "recipient"}
        else:
            params["capabilities"] = {"card_payments": {"requested": True}, "transfers": {"requested": True}}
        with _stripe_errors("account_create", idempotency_key):
            account = self._client.v1.accounts.create(params=params, options={"idempotency_key": idempotency_key})
        return _account_status(account, agreement)

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

    def payment_status(self, *, payment_id: str) -> ChargeResult:
        """Retrieve the PaymentIntent (after the browser handled ``requires_action``)."""
        with _stripe_errors("payment_status", ""):
            intent = self._client.v1.payment_intents.retrieve(payment_id)
        return _charge_result(intent, "")

    def payment_cancel(self, *, payment_id: str, idempotency_key: str) -> None:
        with _stripe_errors("payment_cancel", idempotency_key):
            self._client.v1.payment_intents.cancel(
                payment_id, params={"cancellation_reason": "abandoned"}, options={"idempotency_key": idempotency_key}
            )

    def activity(self, *, transfer_group: str) -> Activity:
        """Charges and transfers are listed by ``transfer_group``; refunds and disputes per charge,
        reversals per transfer; dispute fees from each dispute's balance transactions (the ``fee``
        of the withdrawal, and a negative ``fee`` on the reinstatement where Stripe returns it).
        Every list is paged through to the end."""
        charges: list[ProcessorItem] = []
        refunds: list[ProcessorItem] = []
        disputes: list[ProcessorItem] = []
        dispute_fees: list[ProcessorItem] = []
        transfers: list[ProcessorItem] = []
        reversals: list[ProcessorItem] = []
        v1 = self._client.v1
        with _stripe_errors("activity", ""):
            for charge in v1.charges.list(params={"transfer_group": transfer_group, "limit": 100}).auto_paging_iter():
                if charge.status != "succeeded" or not charge.amount_captured:
                    continue
                charges.append(_item(charge.id, charge.amount_captured, charge.currency, charge.status))
                for refund in v1.refunds.list(params={"charge": charge.id, "limit": 100}).auto_paging_iter():
                    if refund.status in ("succeeded", "pending"):
                        refunds.append(_item(refund.id, refund.amount, refund.currency, refund.status, charge.id))
                for dispute in v1.disputes.list(params={"charge": charge.id, "limit": 100}).auto_paging_iter():
                    disputes.append(_item(dispute.id, dispute.amount, dispute.currency, dispute.status, charge.id))
                    for txn in dispute.balance_transactions or []:
                        if txn.fee:
                            dispute_fees.append(_item(txn.id, txn.fee, txn.currency, dispute.status, dispute.id))
            for transfer in v1.transfers.list(
                params={"transfer_group": transfer_group, "limit": 100}
            ).auto_paging_iter():
                transfers.append(_item(transfer.id, transfer.amount, transfer.currency, "", transfer.destination or ""))
                if transfer.amount_reversed:
                    for reversal in v1.transfers.reversals.list(transfer.id, params={"limit": 100}).auto_paging_iter():
                        reversals.append(_item(reversal.id, reversal.amount, reversal.currency, "", transfer.id))
        return Activity(
            charges=tuple(charges),
            refunds=tuple(refunds),
            transfers=tuple(transfers),
            reversals=tuple(reversals),
            disputes=tuple(disputes),
            dispute_fees=tuple(dispute_fees),
        )

    def customer_create(self, *, name: str, email: str, idempotency_key: str) -> str:
        with _stripe_errors("customer_create", idempotency_key):
            customer = self._client.v1.customers.create(
                params={"name": name, "email": email}, options={"idempotency_key": idempotency_key}
            )
        return customer.id

    def charge_and_save(
        self,
        *,
        amount: Money,
        payment_method: str,
        customer: str,
        idempotency_key: str,
        transfer_group: str,
        description: str,
        metadata: dict[str, str],
    ) -> ChargeResult:
        """``charge`` on the customer with ``setup_future_usage=off_session``: once it succeeds (after
        3-D Secure if the bank asks) Stripe attaches the card to the customer for off-session use."""
        params = _charge_params(amount, payment_method, transfer_group, description, metadata)
        params["customer"] = customer
        params["setup_future_usage"] = "off_session"
        with _stripe_errors("charge_and_save", idempotency_key):
            intent = self._client.v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key})
        return _charge_result(intent, idempotency_key)

    def charge_off_session(
        self,
        *,
        amount: Money,
        payment_method: str,
        customer: str,
        idempotency_key: str,
        transfer_group: str,
        description: str,
        metadata: dict[str, str],
    ) -> ChargeResult:
        """A PaymentIntent with ``off_session=true, confirm=true`` on the saved card. Stripe answers a
        bank's request for authentication with a 402 ``authentication_required`` (the intent stays
        ``requires_payment_method``): ``AuthenticationRequired``, for the payer to pay by hand."""
        minor = _minor(amount)
        with _stripe_errors("charge_off_session", idempotency_key):
            try:
                intent = self._client.v1.payment_intents.create(
                    params={
                        "amount": minor,
                        "currency": amount.currency.lower(),
                        "customer": customer,
                        "payment_method": payment_method,
                        "off_session": True,
                        "confirm": True,
                        "capture_method": "automatic",
                        "transfer_group": transfer_group,
                        "description": description,
                        "metadata": metadata,
                    },
                    options={"idempotency_key": idempotency_key},
                )
            except stripe.CardError as exc:
                if exc.code == "authentication_required":
                    raise AuthenticationRequired(exc.user_message or DECLINED) from exc
                raise
        if intent.status == "requires_action":  # not expected with off_session=true; never left waiting
            raise AuthenticationRequired(DECLINED)
        return _charge_result(intent, idempotency_key)

    def checkout_options(self, *, amount: Money) -> dict[str, Any]:
        """The Payment Element's deferred-intent options: it must know the amount and currency."""
        return {"amount": _minor(amount), "currency": amount.currency.lower()}


def _item(object_id: str, minor: int, currency: str, status: str = "", parent: Any = "") -> ProcessorItem:
    code = currency.upper()
    parent_id = parent if isinstance(parent, str) else getattr(parent, "id", "")
    return ProcessorItem(id=object_id, amount=Money(from_minor(minor, code), code), status=status, parent=parent_id)


def _minor(amount: Money) -> int:
    """Minor units, checked before any request: a non-positive amount is a bug, not a payment.

    Three-decimal currencies (KWD, BHD, JOD, OMR, TND) go in thousandths, but Stripe accepts only
    multiples of ten (the last digit 0): a finer amount is refused here rather than rounded."""
    minor = to_minor(amount.amount, amount.currency)
    if minor <= 0:
        raise ValueError(f"amount must be positive, got {amount.amount} {amount.currency}")
    if amount.currency.upper() in THREE_DECIMAL and minor % 10:
        raise ValueError(
            f"{amount.amount} {amount.currency}: Stripe takes three-decimal currencies only to two decimals"
        )
    return minor


def _charge_params(
    amount: Money, payment_method: str, transfer_group: str, description: str, metadata: dict[str, str]
) -> PaymentIntentCreateParams:
    """A PaymentIntent confirmed at once with the payer present, captured immediately, no redirects."""
    return {
        "amount": _minor(amount),
        "currency": amount.currency.lower(),
        "payment_method": payment_method,
        "confirm": True,
        "capture_method": "automatic",
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        "transfer_group": transfer_group,
        "description": description,
        "metadata": metadata,
    }


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
    if intent.status == "requires_payment_method":  # declined, or 3-D Secure failed
        error = intent.last_payment_error
        raise PaymentDeclined((error.message if error else None) or DECLINED)
    if intent.status == "canceled":
        raise PaymentDeclined("The payment was cancelled. Try again.")
    logger.error(
        "stripe charge: unexpected PaymentIntent status %s (%s, key %s)", intent.status, intent.id, idempotency_key
    )
    raise GatewayUnavailable(f"The payment is in an unexpected state ({intent.status}).")


def _account_status(account: stripe.Account, agreement: str = "") -> AccountStatus:
    requirements = account.requirements
    currently_due = (requirements.currently_due if requirements else None) or []
    return AccountStatus(
        id=account.id,
        payouts_enabled=bool(account.payouts_enabled),
        requirements=list(currently_due),
        service_agreement=agreement,
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

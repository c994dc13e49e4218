"""The offline default: the same interface as Stripe, no network, deterministic.

``payment_method`` strings mimic Stripe's test tokens so the demo and the tests can walk every path:

- ``pm_card_visa`` and anything not listed here: succeeds;
- ``pm_card_chargeDeclined``, ``pm_card_visa_chargeDeclined`` (any token containing
  "declined"): ``PaymentDeclined``; tokens containing "insufficientFunds" decline for lack of funds;
- saved cards (a lease billed monthly): ``charge_and_save`` charges as ``charge`` does and saves
  the token itself; ``charge_off_session`` declines tokens as ``charge`` does, and tokens containing
  "authenticationRequired" or "threeDSecure" raise ``AuthenticationRequired`` (off-session only);
- ``sim_gateway_error``: ``GatewayUnavailable`` (a 5xx); ``sim_timeout``: ``GatewayUnavailable``
  (a timeout). Faults are transient, as real ones are: the first request under an idempotency key
  fails and is not remembered; the same request sent again goes through (the card is charged).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

from common.money import Money, to_minor
from escrow.exceptions import (
    AuthenticationRequired,
    GatewayUnavailable,
    PaymentDeclined,
    PayoutCountryUnsupported,
    WebhookInvalid,
)
from escrow.payout_countries import service_agreement

from .base import AccountStatus, Activity, ChargeResult, Gateway, ProcessorItem, RefundResult, TransferResult

T = TypeVar("T")

DECLINED = "Your card was declined. Try another card."
DISPUTE_STATUS = {"open": "needs_response"}  # a Chargeback's status as Stripe names it (won, lost alike)
AUTHENTICATION_REQUIRED = "Your bank asks you to authenticate this payment: pay it by hand."
INSUFFICIENT_FUNDS = "Your card has insufficient funds. Try another card."


class SimulatedGateway(Gateway):
    """Stores nothing in the database (the escrow app records the results), unless
    ``SIMULATED_GATEWAY_RECORD`` is on: then each money movement is also kept as a
    ``SimulatedMovement`` row, so a fault drill can count, across processes, what was paid.

    Ids are ``sim_<kind>_<hex>``, derived from the idempotency key, so a retried action gets the
    same ids even in another process. Results (declines included, as Stripe does) are also kept in
    an in-process dict keyed by the idempotency key and the request, so a repeated call returns the
    first result without re-running it. That dict is a convenience, not the guarantee: it dies with
    the process and is not shared between workers. The escrow app's database records (unique
    idempotency keys, forward-only states) are the real idempotency guard across processes.
    Unlike Stripe, reusing a key with different parameters is not an error here; it runs anew,
    which keeps test suites that reuse primary keys after a rollback independent of each other.
    """

    name = "simulated"

    def __init__(self) -> None:
        self._results: dict[tuple[str, str, tuple[Any, ...]], object] = {}
        self._lock = threading.Lock()
        self._faulted: set[str] = set()  # idempotency keys whose transient fault has happened

    def reset(self) -> None:
        """Forget every remembered result (for tests)."""
        with self._lock:
            self._results.clear()
            self._faulted.clear()

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
        _minor(amount)
        request = (amount, payment_method, transfer_group, description, tuple(sorted(metadata.items())))

        def run() -> ChargeResult:
            if _is_fault(payment_method):  # runs under self._lock (see _once)
                first = idempotency_key not in self._faulted
                self._faulted.add(idempotency_key)
                if first:
                    _raise_for(payment_method)
            else:
                _raise_for(payment_method)
            return ChargeResult(
                id=_sim_id("pi", idempotency_key),
                charge_id=_sim_id("ch", idempotency_key),
                status="succeeded",
            )

        result = self._once("charge", idempotency_key, request, run)
        _record("charge", idempotency_key, request, amount, transfer_group, result.id)
        return result

    def transfer(
        self,
        *,
        amount: Money,
        destination: str,
        source_transaction: str,
        transfer_group: str,
        idempotency_key: str,
    ) -> TransferResult:
        _minor(amount)
        request = (amount, destination, source_transaction, transfer_group)
        result = self._once(
            "transfer", idempotency_key, request, lambda: TransferResult(id=_sim_id("tr", idempotency_key))
        )
        _record("transfer", idempotency_key, request, amount, transfer_group, result.id)
        return result

    def refund(self, *, charge_id: str, amount: Money, idempotency_key: str) -> RefundResult:
        _minor(amount)
        result = self._once(
            "refund",
            idempotency_key,
            (charge_id, amount),
            lambda: RefundResult(id=_sim_id("re", idempotency_key), status="succeeded"),
        )
        _record("refund", idempotency_key, (charge_id, amount), amount, "", result.id)
        return result

    def reverse_transfer(self, *, transfer_id: str, amount: Money, idempotency_key: str) -> TransferResult:
        _minor(amount)
        result = self._once(
            "reverse_transfer",
            idempotency_key,
            (transfer_id, amount),
            lambda: TransferResult(id=_sim_id("trr", idempotency_key)),
        )
        _record("reverse_transfer", idempotency_key, (transfer_id, amount), amount, "", result.id)
        return result

    def account_create(self, *, email: str, country: str, idempotency_key: str) -> AccountStatus:
        """As Stripe: the service agreement follows the country (payout_countries.py), and a
        country Stripe cannot pay is refused."""
        agreement = service_agreement(country)
        if not agreement:
            raise PayoutCountryUnsupported(f"Stripe cannot pay out to connected accounts in {country}.")
        return self._once(
            "account_create",
            idempotency_key,
            (email, country),
            lambda: AccountStatus(
                id=_sim_id("acct", idempotency_key), payouts_enabled=True, service_agreement=agreement
            ),
        )

    def account_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        """There is nothing to onboard: the owner goes straight back to ``return_url``."""
        return return_url

    def account_status(self, *, account_id: str) -> AccountStatus:
        return AccountStatus(id=account_id, payouts_enabled=True)

    def webhook_event(self, *, payload: bytes, signature: str) -> dict[str, Any]:
        raise WebhookInvalid("The simulated gateway sends no webhooks.")

    def payment_status(self, *, payment_id: str) -> ChargeResult:
        """Simulated charges never need authentication: the remembered result, else the recorded one."""
        with self._lock:
            for stored in self._results.values():
                if isinstance(stored, ChargeResult) and stored.id == payment_id:
                    return stored
        from escrow.models import Payment

        payment = Payment.objects.filter(processor_id=payment_id, status="succeeded").first()
        if payment is None:
            raise GatewayUnavailable("The simulated gateway does not know this payment.")
        return ChargeResult(id=payment.processor_id, charge_id=payment.charge_id, status="succeeded")

    def payment_cancel(self, *, payment_id: str, idempotency_key: str) -> None:
        """Simulated payments never wait for authentication: there is nothing to cancel."""

    def customer_create(self, *, name: str, email: str, idempotency_key: str) -> str:
        return _sim_id("cus", idempotency_key)

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
        """``charge``; the card saved is the token itself (``Payment.payment_method``)."""
        return self.charge(
            amount=amount,
            payment_method=payment_method,
            idempotency_key=idempotency_key,
            transfer_group=transfer_group,
            description=description,
            metadata={**metadata, "customer": customer},
        )

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
        """``charge`` without the payer: a card that asks for authentication is refused."""
        token = payment_method.lower()
        if "authenticationrequired" in token or "threedsecure" in token:
            request = (amount, payment_method, "off_session", transfer_group)

            def refuse() -> ChargeResult:
                raise AuthenticationRequired(AUTHENTICATION_REQUIRED)

            self._once("charge", idempotency_key, request, refuse)
        return self.charge(
            amount=amount,
            payment_method=payment_method,
            idempotency_key=idempotency_key,
            transfer_group=transfer_group,
            description=description,
            metadata={**metadata, "customer": customer, "off_session": "true"},
        )

    def activity(self, *, transfer_group: str) -> Activity:
        """The simulated processor keeps no books of its own, so its side of reconciliation is rebuilt
        from the escrow app's rows (each done Payment, Refund, Payout and reversal with its ``sim_`` id,
        each Chargeback). Reconciling then checks that those rows and the ledger agree: a row marked
        paid without its posting, or a posting without its row, still shows up. Dispute fees have no
        row of their own: they are read back from their postings (so they always agree). With
        ``SIMULATED_GATEWAY_RECORD`` on, transfers come from its own books (``SimulatedMovement``), so a
        payout sent twice shows up too."""
        from escrow.choices import CHARGED
        from escrow.ledger import dispute_fees_posted
        from escrow.models import Chargeback, Payment, Payout, Refund, TransferReversal

        lease_id = transfer_group.removeprefix("lease_")
        if not transfer_group.startswith("lease_") or not lease_id.isdigit():
            return Activity()

        def item(
            object_id: str, amount: Any, currency: str, parent: str = "", status: str = "succeeded"
        ) -> ProcessorItem:
            return ProcessorItem(id=object_id, amount=Money(amount, currency), status=status, parent=parent)

        payments = Payment.objects.filter(escrow__lease_id=lease_id, status__in=CHARGED)
        charge_ids = {payment.escrow_id: payment.charge_id for payment in payments if payment.status == "succeeded"}
        refunds = Refund.objects.filter(
            escrow__lease_id=lease_id, status="succeeded", processor_id__startswith="sim_"
        ).select_related("payment")
        payouts = Payout.objects.filter(escrow__lease_id=lease_id, status="paid", rail="processor")

        def refunded_charge(refund: Refund) -> str:  # a duplicate payment's refund goes to its own charge
            return refund.payment.charge_id if refund.payment else charge_ids.get(refund.escrow_id, "")

        transfers = _transfers(transfer_group)
        if transfers is None:
            transfers = tuple(item(p.processor_id, p.amount, p.currency) for p in payouts)
        reversals = TransferReversal.objects.filter(chargeback__escrow__lease_id=lease_id, status="succeeded")
        chargebacks = Chargeback.objects.filter(escrow__lease_id=lease_id)
        dispute_status = {c.dispute_id: DISPUTE_STATUS.get(c.status, c.status) for c in chargebacks}
        return Activity(
            charges=tuple(item(p.charge_id, p.amount, p.currency) for p in payments),
            refunds=tuple(
                item(
                    r.processor_id, r.amount, r.currency, r.payment.charge_id if r.payment else charge_ids[r.escrow_id]
                )
                for r in refunds
            ),
            transfers=transfers,
            reversals=tuple(
                item(r.processor_id, r.amount, r.currency, r.payout.processor_id)
                for r in reversals.select_related("payout")
            ),
            disputes=tuple(
                item(c.dispute_id, c.amount, c.currency, c.charge_id, dispute_status[c.dispute_id]) for c in chargebacks
            ),
            dispute_fees=tuple(
                item(txn, amount, currency, dispute, dispute_status.get(dispute, ""))
                for txn, dispute, amount, currency in dispute_fees_posted(lease_id=int(lease_id))
            ),
        )

    def _once(self, operation: str, idempotency_key: str, request: tuple[Any, ...], run: Callable[[], T]) -> T:
        slot = (operation, idempotency_key, request)
        with self._lock:
            if slot in self._results:
                stored = self._results[slot]
            else:
                try:
                    stored = run()
                except PaymentDeclined as exc:  # a definite answer: replayed like Stripe replays a 402
                    stored = exc
                self._results[slot] = stored
        if isinstance(stored, PaymentDeclined):
            raise type(stored)(stored.detail)
        return cast(T, stored)


def _transfers(transfer_group: str) -> tuple[ProcessorItem, ...] | None:
    """The transfers the simulated gateway recorded for ``transfer_group``; None unless it records."""
    from django.conf import settings

    if not getattr(settings, "SIMULATED_GATEWAY_RECORD", False):
        return None
    from escrow.models import SimulatedMovement

    moved = SimulatedMovement.objects.filter(operation="transfer", transfer_group=transfer_group)
    return tuple(ProcessorItem(id=m.result_id, amount=Money(m.amount, m.currency), status="succeeded") for m in moved)


def _record(
    operation: str, idempotency_key: str, request: tuple[Any, ...], amount: Money, transfer_group: str, result_id: str
) -> None:
    """With ``SIMULATED_GATEWAY_RECORD`` on, keep this movement in the database (``SimulatedMovement``):
    a new row the first time this key and request are seen by any process, one more ``calls`` after."""
    from django.conf import settings

    if not getattr(settings, "SIMULATED_GATEWAY_RECORD", False):
        return
    from django.db import transaction
    from django.db.models import F

    from escrow.models import SimulatedMovement

    digest = hashlib.sha256(repr(request).encode()).hexdigest()
    with transaction.atomic():
        movement, created = SimulatedMovement.objects.get_or_create(
            operation=operation,
            idempotency_key=idempotency_key,
            request_digest=digest,
            defaults={
                "amount": amount.amount,
                "currency": amount.currency,
                "transfer_group": transfer_group,
                "result_id": result_id,
            },
        )
        if not created:
            SimulatedMovement.objects.filter(pk=movement.pk).update(calls=F("calls") + 1)


def _minor(amount: Money) -> int:
    """Check the amount exactly as the Stripe gateway does, so both fail alike on bad input."""
    minor = to_minor(amount.amount, amount.currency)
    if minor <= 0:
        raise ValueError(f"amount must be positive, got {amount.amount} {amount.currency}")
    return minor


def _is_fault(payment_method: str) -> bool:
    return payment_method.lower() in ("sim_gateway_error", "sim_timeout")


def _raise_for(payment_method: str) -> None:
    token = payment_method.lower()
    if token == "sim_gateway_error":
        raise GatewayUnavailable("The payment processor is unavailable. Please try again.")
    if token == "sim_timeout":
        raise GatewayUnavailable("The payment processor timed out. Please try again.")
    if "insufficientfunds" in token:
        raise PaymentDeclined(INSUFFICIENT_FUNDS)
    if "declined" in token:
        raise PaymentDeclined(DECLINED)


def _sim_id(kind: str, idempotency_key: str) -> str:
    digest = hashlib.sha256(f"{kind}:{idempotency_key}".encode()).hexdigest()
    return f"sim_{kind}_{digest[:24]}"

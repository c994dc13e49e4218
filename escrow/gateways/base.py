"""The interface every payment processor implements.

Amounts cross this boundary as ``Money`` (Decimal + ISO currency); a gateway converts to minor
units itself (``common.money.to_minor``). Every call that moves money takes an
``idempotency_key`` derived from the business action (``escrow:<id>:release:<n>``), so a
retried action never moves money twice. Errors: ``PaymentDeclined`` (a definite no) and
``GatewayUnavailable`` (5xx or timeout: the outcome is unknown; retry with the same key).
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from common.money import Money


@dataclass(frozen=True)
class ChargeResult:
    id: str  # the processor's payment id (Stripe: the PaymentIntent id)
    charge_id: str  # the underlying charge (Stripe: latest_charge), used as source_transaction
    status: str  # "succeeded" | "requires_action" | "processing"
    client_secret: str = ""  # for the browser to finish 3-D Secure (Stripe only)
    fee: Money | None = None  # the processor's fee, where known


@dataclass(frozen=True)
class TransferResult:
    id: str


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str


@dataclass(frozen=True)
class AccountStatus:
    id: str
    payouts_enabled: bool
    requirements: list[str] = field(default_factory=list)
    service_agreement: str = ""  # "full" or "recipient" (escrow/payout_countries.py); "" when not known


@dataclass(frozen=True)
class ProcessorItem:
    """One money movement as the processor records it, for reconciliation."""

    id: str
    amount: Money
    status: str = ""
    parent: str = ""  # the charge of a refund or dispute, the transfer of a reversal


@dataclass(frozen=True)
class Activity:
    """Everything the processor did for one transfer group (one lease): succeeded charges, refunds,
    transfers to connected accounts, transfer reversals and card disputes. ``dispute_fees`` are the
    processor's fees on the disputes' balance transactions, one item per balance transaction with a
    fee (``id`` the transaction, ``parent`` the dispute): positive when taken, negative when returned."""

    charges: tuple[ProcessorItem, ...] = ()
    refunds: tuple[ProcessorItem, ...] = ()
    transfers: tuple[ProcessorItem, ...] = ()
    reversals: tuple[ProcessorItem, ...] = ()
    disputes: tuple[ProcessorItem, ...] = ()
    dispute_fees: tuple[ProcessorItem, ...] = ()


class Gateway(ABC):
    name: str

    @abstractmethod
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
        """Charge the payer now (captured immediately) on the platform account."""

    @abstractmethod
    def transfer(
        self,
        *,
        amount: Money,
        destination: str,
        source_transaction: str,
        transfer_group: str,
        idempotency_key: str,
    ) -> TransferResult:
        """Move funds from the platform to a connected (owner) account."""

    @abstractmethod
    def refund(self, *, charge_id: str, amount: Money, idempotency_key: str) -> RefundResult:
        """Return (part of) a charge to the payer's card."""

    @abstractmethod
    def reverse_transfer(self, *, transfer_id: str, amount: Money, idempotency_key: str) -> TransferResult:
        """Pull (part of) a transfer back from a connected account."""

    @abstractmethod
    def account_create(self, *, email: str, country: str, idempotency_key: str) -> AccountStatus:
        """Create a connected account for an owner in ``country``, under the service agreement
        ``payout_countries.service_agreement`` allows (``full`` in the platform's region, ``recipient``
        across borders); raises ``PayoutCountryUnsupported`` where the processor cannot pay."""

    @abstractmethod
    def account_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        """A URL where the owner completes onboarding (the simulated gateway returns ``return_url``)."""

    @abstractmethod
    def account_status(self, *, account_id: str) -> AccountStatus:
        """Whether the connected account can receive payouts, and what is still required."""

    @abstractmethod
    def webhook_event(self, *, payload: bytes, signature: str) -> dict[str, Any]:
        """Verify a webhook's signature and return the event; raises ``WebhookInvalid``."""

    @abstractmethod
    def payment_status(self, *, payment_id: str) -> ChargeResult:
        """The payment ``payment_id`` (a ``ChargeResult.id``) as the processor sees it now: used after
        the browser finished 3-D Secure. Raises ``PaymentDeclined`` if it failed for good."""

    @abstractmethod
    def payment_cancel(self, *, payment_id: str, idempotency_key: str) -> None:
        """Cancel a payment that was never completed (3-D Secure abandoned), so it cannot complete later.
        Raises ``GatewayUnavailable`` if the processor refuses (e.g. it succeeded meanwhile)."""

    @abstractmethod
    def activity(self, *, transfer_group: str) -> Activity:
        """What the processor recorded for ``transfer_group``: the other side of reconciliation."""

    # --- Saved cards and off-session charges (a lease billed monthly) ------------------------

    @abstractmethod
    def customer_create(self, *, name: str, email: str, idempotency_key: str) -> str:
        """Create the payer's customer at the processor (one per exporter organisation); its id."""

    @abstractmethod
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
        """``charge`` with the payer present, saving the card on ``customer`` for later charges without
        them (Stripe: ``customer`` and ``setup_future_usage=off_session`` on the PaymentIntent).
        May answer ``requires_action`` (3-D Secure), as ``charge`` does."""

    @abstractmethod
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
        """Charge a saved card without the payer (Stripe: ``off_session=true, confirm=true``). Never
        answers ``requires_action``: a bank that asks for authentication is ``AuthenticationRequired``
        (the payer must pay by hand), a decline ``PaymentDeclined``, no answer ``GatewayUnavailable``."""

    def checkout_options(self, *, amount: Money) -> dict[str, Any]:
        """What the browser's payment form needs (Stripe Elements: amount in minor units, currency).
        Empty for gateways without a browser part."""
        return {}

"""Every write to escrow: funding, release, refunds, payouts, payout accounts.

The processor is called *outside* any transaction holding locks; its result is then recorded
in a short transaction that re-reads and re-checks the rows (STYLE: "call the payment processor
outside the transaction holding locks, then re-lock and re-check before recording the result").
Every processor call carries the idempotency key stored on its Payment/Payout/Refund row.
"""

import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext, gettext_noop
from django_countries.fields import Country

from accounts.models import Organisation
from common.money import Money
from common.tasks import task_dispatch

from . import hooks, ledger, tasks
from .choices import CHARGED, PaymentStatus, PayoutRail, PayoutStatus
from .exceptions import (
    EscrowError,
    GatewayUnavailable,
    PaymentDeclined,
    PayoutAccountMissing,
    PayoutCountryUnsupported,
)
from .gateways import gateway_name, get_gateway
from .models import BillingProfile, Escrow, Payment, Payout, PayoutAccount, Refund
from .payout_countries import platform_country, service_agreement

logger = logging.getLogger(__name__)


def escrow_open(*, lease_id: int, currency: str) -> Escrow:
    """The lease's escrow, created once when the lease is requested (escrow knows leases by id only)."""
    return Escrow.objects.create(lease_id=lease_id, currency=currency)


# --- Paying in ----------------------------------------------------------------------------


@transaction.atomic
def payment_start(*, escrow: Escrow, amount: Decimal, instalment: int = 1) -> Payment:
    """The payment attempt to use now for the escrow's payment ``instalment`` (1: the first payment;
    n: the n-th month of a lease billed monthly): the open attempt whose outcome is unknown or pending
    (reusing its idempotency key), or a new attempt after a definite failure."""
    escrow = Escrow.objects.select_for_update().get(pk=escrow.pk)
    payments = escrow.payments.filter(instalment=instalment)
    if payments.filter(status=PaymentStatus.SUCCEEDED).exists():
        raise EscrowError(gettext("This lease is already paid."), code="already_paid")
    last = payments.order_by("-attempt").first()
    if last and last.status in (PaymentStatus.PENDING, PaymentStatus.UNKNOWN, PaymentStatus.REQUIRES_ACTION):
        return last
    attempt = (last.attempt + 1) if last else 1
    prefix = f"escrow:{escrow.pk}" if instalment == 1 else f"escrow:{escrow.pk}:instalment:{instalment}"
    return Payment.objects.create(
        escrow=escrow,
        instalment=instalment,
        attempt=attempt,
        idempotency_key=f"{prefix}:charge:{attempt}",
        gateway=gateway_name(),
        amount=amount,
        currency=escrow.currency,
    )


def payment_charge(
    *, payment: Payment, payment_method: str, description: str, customer: str = "", off_session: bool = False
) -> Payment:
    """Ask the processor to charge. Holds no locks while waiting. Records the outcome:
    succeeded, requires_action, failed (declined: raises PaymentDeclined) or unknown
    (5xx/timeout: raises GatewayUnavailable; retrying reuses the same key).

    With ``customer`` the card is saved there for later (``charge_and_save``); with ``off_session``
    too, the card saved there is charged without the payer (``charge_off_session``). The first send
    fixes the way (stored on the row): a retry resends it exactly so, whatever the caller passes."""
    escrow = payment.escrow
    if not payment.payment_method:
        Payment.objects.filter(pk=payment.pk, payment_method="").update(
            payment_method=payment_method, customer=customer, off_session=off_session
        )
        payment.refresh_from_db(fields=["payment_method", "customer", "off_session"])
    metadata = {"lease": str(escrow.lease_id), "escrow": str(escrow.pk)}
    if payment.instalment > 1:
        metadata["instalment"] = str(payment.instalment)
    request: dict[str, Any] = {
        "amount": Money(payment.amount, payment.currency),
        "payment_method": payment.payment_method,
        "idempotency_key": payment.idempotency_key,
        "transfer_group": escrow.transfer_group,
        "description": description,
        "metadata": metadata,
    }
    gateway = get_gateway()
    try:
        if payment.off_session:
            result = gateway.charge_off_session(customer=payment.customer, **request)
        elif payment.customer:
            result = gateway.charge_and_save(customer=payment.customer, **request)
        else:
            result = gateway.charge(**request)
    except PaymentDeclined as error:
        payment_record(payment, status=PaymentStatus.FAILED, failure_message=error.detail)
        raise
    except GatewayUnavailable as error:
        payment_record(payment, status=PaymentStatus.UNKNOWN, failure_message=error.detail)
        raise
    status = PaymentStatus.SUCCEEDED if result.status == "succeeded" else PaymentStatus.REQUIRES_ACTION
    return payment_record(
        payment,
        status=status,
        processor_id=result.id,
        charge_id=result.charge_id,
        client_secret=result.client_secret,
    )


def payment_settle_unknown(*, payment: Payment, description: str) -> Payment:
    """An attempt whose outcome is unknown, retried with another card: first resend it with the
    card it was sent with (same idempotency key, so the processor answers from its record and
    cannot charge twice). Returns that attempt if it succeeded or needs authentication, or a
    fresh attempt (for the new card) if it was declined. GatewayUnavailable: still unknown."""
    try:
        return payment_charge(payment=payment, payment_method=payment.payment_method, description=description)
    except PaymentDeclined:
        return payment_start(escrow=payment.escrow, amount=payment.amount, instalment=payment.instalment)


@transaction.atomic
def payment_record(payment: Payment, **fields: str) -> Payment:
    """Record a payment's outcome under lock (escrow, then payment), forward only: a late failure
    never undoes a success. A success arriving after another attempt already paid the escrow (a
    failed 3-D Secure attempt the payer confirmed again in the browser, its webhook arriving late)
    is recorded as ``duplicate`` and refunded in full (``payment_duplicate_refund``)."""
    escrow = Escrow.objects.select_for_update().get(pk=payment.escrow_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status in CHARGED:
        return payment
    paid = escrow.payments.filter(status=PaymentStatus.SUCCEEDED, instalment=payment.instalment).exists()
    if fields.get("status") == PaymentStatus.SUCCEEDED and paid:
        fields["status"] = PaymentStatus.DUPLICATE
    for name, value in fields.items():
        setattr(payment, name, value)
    payment.save()
    if payment.status == PaymentStatus.DUPLICATE:
        payment_duplicate_refund(escrow=escrow, payment=payment)
    return payment


def payment_duplicate_refund(*, escrow: Escrow, payment: Payment) -> Refund:
    """Return a duplicate payment to its own card: the money passes through the escrow (funded and
    refunded in one go, so the ledger and ``escrow_reconcile`` see a charge and its refund) and the
    lease's own escrow balance is unchanged. Tells the apps above (``hooks.payment_duplicate``)."""
    escrow_fund(escrow=escrow, payment=payment)
    refund = escrow_refund(
        escrow=escrow,
        exporter=escrow.lease.exporter,
        amount=payment.amount,
        reason=gettext_noop("the lease was already paid: a second payment is refunded in full"),
        key=f"escrow:{escrow.pk}:refund:duplicate:{payment.pk}",
        payment=payment,
    )
    logger.warning(
        "duplicate payment %s (%s %s) on lease %s: refunded in full",
        payment.idempotency_key,
        payment.amount,
        payment.currency,
        escrow.lease_id,
    )
    transaction.on_commit(lambda: hooks.payment_duplicate.send(sender=Payment, payment=payment, refund=refund))
    return refund


def escrow_fund(*, escrow: Escrow, payment: Payment) -> None:
    """Post a succeeded (or duplicate) payment into the lease's escrow. Idempotent per payment."""
    if payment.status not in CHARGED:
        raise EscrowError(gettext("Only a succeeded payment can fund an escrow."))
    ledger.ledger_post(
        key=f"escrow:{escrow.pk}:fund:{payment.pk}",
        description=f"Lease {escrow.lease_id}: exporter paid into escrow",
        currency=escrow.currency,
        lines=[(ledger.GATEWAY, payment.amount), (escrow.account, -payment.amount)],
        escrow=escrow,
    )
    hooks.payment_funded.send(sender=Payment, payment=payment, escrow=escrow)


# --- Paying out ---------------------------------------------------------------------------


def escrow_release(
    *, escrow: Escrow, owner: Organisation, owner_amount: Decimal, platform_fee: Decimal, sequence: int = 1
) -> Payout:
    """Release held money: ``owner_amount`` becomes payable to the owner, ``platform_fee`` is
    revenue. Must run inside the caller's transaction with the escrow locked. Idempotent per
    (escrow, sequence). The transfer itself is made after commit: this schedules
    ``processor.payout_execute`` (a Celery task), so no caller has to remember to."""
    if escrow.frozen:
        raise EscrowError(gettext("This escrow is frozen while a card dispute is open."), code="escrow_frozen")
    key = f"escrow:{escrow.pk}:release:{sequence}"
    ledger.ledger_post(
        key=key,
        description=f"Lease {escrow.lease_id}: released to owner",
        currency=escrow.currency,
        lines=[
            (escrow.account, owner_amount + platform_fee),
            (ledger.payable_owner(owner.pk), -owner_amount),
            (ledger.PLATFORM_FEE, -platform_fee),
        ],
        escrow=escrow,
    )
    payout, created = Payout.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "escrow": escrow,
            "organisation": owner,
            "sequence": sequence,
            "amount": owner_amount,
            "currency": escrow.currency,
        },
    )
    if created:
        hooks.payout_changed.send(sender=Payout, payout=payout, from_status=None, to_status=payout.status)
    task_dispatch(tasks.payout_execute, payout.pk)
    return payout


def escrow_carry(*, source: Escrow, target: Escrow, amount: Decimal, key: str, reason: str) -> None:
    """Move ``amount`` that ``source`` holds into ``target`` (inside the caller's transaction, both
    escrows locked): a transfer's receiver paying the original exporter back for days already paid
    out to the owner, which ``target`` then refunds (``escrow_refund``) to the exporter's own card.
    No money moves at the processor: both payments are in the platform balance. Idempotent on ``key``."""
    if source.frozen or target.frozen:
        raise EscrowError(gettext("This escrow is frozen while a card dispute is open."), code="escrow_frozen")
    ledger.ledger_post(
        key=key,
        description=f"Lease {source.lease_id} to lease {target.lease_id}: {reason}",
        currency=source.currency,
        lines=[(source.account, amount), (target.account, -amount)],
        escrow=target,
    )


# --- Refunds --------------------------------------------------------------------------------


def escrow_refund(
    *,
    escrow: Escrow,
    exporter: Organisation,
    amount: Decimal,
    reason: str,
    key: str,
    fee: Decimal = Decimal(0),
    payment: Payment | None = None,
) -> Refund:
    """Move ``amount`` from the escrow to the exporter's refund account, and ``fee`` (a transfer's)
    to platform revenue (inside the caller's transaction), and schedule ``processor.refund_execute``,
    which returns the refund to the card after commit (``payment``'s card; by default the payment
    that paid the lease). Idempotent on ``key``."""
    ledger.ledger_post(
        key=key,
        description=f"Lease {escrow.lease_id}: refund to exporter ({reason})",
        currency=escrow.currency,
        lines=[
            (escrow.account, amount + fee),
            (ledger.refund_exporter(exporter.pk), -amount),
            (ledger.TRANSFER_FEE, -fee),
        ],
        escrow=escrow,
    )
    refund, created = Refund.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "escrow": escrow,
            "organisation": exporter,
            "payment": payment,
            "amount": amount,
            "currency": escrow.currency,
            "reason": reason,
        },
    )
    if created:
        hooks.refund_changed.send(sender=Refund, refund=refund, from_status=None, to_status=refund.status)
    task_dispatch(tasks.refund_execute, refund.pk)
    return refund


# --- Payout accounts ------------------------------------------------------------------------


def payout_country(organisation: Organisation, country: str = "") -> str:
    """The country an owner is paid in: the one it chose, by default its organisation's."""
    return (country or str(organisation.country or "") or platform_country()).upper()


def payout_country_require(country: str) -> str:
    """The service agreement Stripe allows for ``country``, or ``PayoutCountryUnsupported`` with
    words for the owner (who is then offered a bank transfer)."""
    agreement = service_agreement(country)
    if not agreement:
        raise PayoutCountryUnsupported(
            gettext(
                "Stripe cannot pay out to accounts in %(country)s from Wareshare's platform. "
                "Choose to be paid by bank transfer instead: Wareshare's staff send each payout to your bank."
            )
            % {"country": Country(country).name or country}
        )
    return agreement


@transaction.atomic
def payout_account_connect_simulated(
    *, organisation: Organisation, holder_name: str, iban: str, country: str = ""
) -> PayoutAccount:
    """The simulated gateway's onboarding: a bank account form, ready at once. Like Stripe, it
    refuses a country Stripe cannot pay (``PayoutCountryUnsupported``)."""
    if not organisation.is_owner:
        raise EscrowError(gettext("Only warehouse owners are paid out."), code="not_an_owner")
    country = payout_country(organisation, country)
    agreement = payout_country_require(country)
    account, _ = PayoutAccount.objects.update_or_create(
        organisation=organisation,
        defaults={
            "gateway": "simulated",
            "account_id": f"sim_acct_{organisation.pk}",
            "payouts_enabled": True,
            "holder_name": holder_name,
            "iban_last4": iban.replace(" ", "")[-4:],
            "requirements": [],
            "country": country,
            "rail": PayoutRail.PROCESSOR,
            "service_agreement": agreement,
            "bank_account": "",
            "swift_bic": "",
            "bank_country": "",
        },
    )
    return account


def payout_account_start_stripe(*, organisation: Organisation, email: str, country: str = "") -> PayoutAccount:
    """Create (once per country) the owner's Express account, under the service agreement its
    country allows (``full`` or ``recipient``); onboarding continues on Stripe's pages. A country
    Stripe cannot pay raises ``PayoutCountryUnsupported`` before anything is sent."""
    country = payout_country(organisation, country)
    agreement = payout_country_require(country)
    existing = PayoutAccount.objects.filter(organisation=organisation, gateway="stripe", country=country).first()
    if existing:
        return existing
    status = get_gateway().account_create(
        email=email,
        country=country,
        idempotency_key=f"org:{organisation.pk}:account:{country}",
    )
    account, _ = PayoutAccount.objects.update_or_create(
        organisation=organisation,
        defaults={
            "gateway": "stripe",
            "account_id": status.id,
            "payouts_enabled": status.payouts_enabled,
            "requirements": status.requirements,
            "country": country,
            "rail": PayoutRail.PROCESSOR,
            "service_agreement": status.service_agreement or agreement,
        },
    )
    return account


def payout_account_refresh(*, account: PayoutAccount) -> PayoutAccount:
    status = get_gateway().account_status(account_id=account.account_id)
    PayoutAccount.objects.filter(pk=account.pk).update(
        payouts_enabled=status.payouts_enabled, requirements=status.requirements
    )
    account.refresh_from_db()
    return account


def payout_account_require(organisation: Organisation) -> PayoutAccount:
    account = PayoutAccount.objects.filter(organisation=organisation).first()
    if account is None:
        raise PayoutAccountMissing(gettext("Connect a payout account to be paid."))
    return account


# --- Added for Connect and checkout (new functions only) ----------------------------------------


def payouts_waiting_dispatch(*, organisation: Organisation) -> int:
    """The owner's payout account became ready: queue its payouts that waited (or failed) for it.
    Each runs ``payout_execute`` after commit with its own key, so queuing twice pays once."""
    ids = list(
        Payout.objects.filter(
            organisation=organisation, status__in=[PayoutStatus.WAITING, PayoutStatus.FAILED, PayoutStatus.PENDING]
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        task_dispatch(tasks.payout_execute, pk)
    return len(ids)


def payment_finalize(*, payment: Payment) -> Payment:
    """After the browser finished 3-D Secure (``requires_action``): ask the processor how the payment
    ended and record it, forward only. Raises PaymentDeclined if authentication failed (the attempt
    is ``failed`` and the next try starts a new one); an answer still pending changes nothing."""
    payment = Payment.objects.select_related("escrow").get(pk=payment.pk)
    if payment.status in CHARGED or not payment.processor_id:
        return payment
    try:
        result = get_gateway().payment_status(payment_id=payment.processor_id)
    except PaymentDeclined as error:
        payment_record(payment, status=PaymentStatus.FAILED, failure_message=error.detail[:300])
        raise
    if result.status != "succeeded":
        return payment
    return payment_record(payment, status=PaymentStatus.SUCCEEDED, charge_id=result.charge_id, failure_message="")


def payment_open_settle(*, escrow: Escrow, instalment: int = 1) -> Payment | None:
    """Before another card is charged: an attempt left in ``requires_action`` (3-D Secure abandoned)
    cannot be reused, because its idempotency key is bound to the first card at the processor. Ask the
    processor how it ended: if it succeeded after all, record that and return it (the caller funds the
    lease); otherwise cancel it there, so it can never complete later, and mark it failed (the next
    charge starts a new attempt). Returns None then. Holds no locks while calling the processor."""
    payment = (
        escrow.payments.filter(status=PaymentStatus.REQUIRES_ACTION, instalment=instalment).order_by("-attempt").first()
    )
    if payment is None:
        return None
    try:
        settled = payment_finalize(payment=payment)
    except PaymentDeclined:
        return None
    if settled.status == PaymentStatus.SUCCEEDED:
        return settled
    if settled.status == PaymentStatus.DUPLICATE:  # another attempt paid the lease; this one is refunded
        return None
    get_gateway().payment_cancel(payment_id=payment.processor_id, idempotency_key=f"{payment.idempotency_key}:cancel")
    abandoned = gettext_noop("Abandoned: another card was used")  # stored in English, shown translated
    payment_record(payment, status=PaymentStatus.FAILED, failure_message=abandoned)
    return None


# --- Saved cards (a lease billed monthly) -------------------------------------------------------


def billing_profile_ensure(*, organisation: Organisation, email: str) -> BillingProfile:
    """The exporter organisation's customer at the processor, created once (idempotency key
    ``org:<id>:customer:<gateway>``, so two first payments at once make one customer)."""
    name = gateway_name()
    existing = BillingProfile.objects.filter(organisation=organisation, gateway=name).first()
    if existing:
        return existing
    customer = get_gateway().customer_create(
        name=str(organisation), email=email, idempotency_key=f"org:{organisation.pk}:customer:{name}"
    )
    profile, _ = BillingProfile.objects.update_or_create(
        organisation=organisation, defaults={"gateway": name, "customer_id": customer, "payment_method": ""}
    )
    return profile


def billing_profile_for(organisation: Organisation) -> BillingProfile | None:
    """The organisation's profile at the current gateway, with a saved card, if any."""
    return (
        BillingProfile.objects.filter(organisation=organisation, gateway=gateway_name())
        .exclude(payment_method="")
        .first()
    )


def payment_method_remember(*, payment: Payment) -> None:
    """A succeeded payment that saved its card (``charge_and_save``): that card is the one charged
    off-session from now on. Idempotent."""
    if payment.customer and not payment.off_session and payment.status == PaymentStatus.SUCCEEDED:
        BillingProfile.objects.filter(customer_id=payment.customer, gateway=payment.gateway).update(
            payment_method=payment.payment_method
        )

"""The bank-transfer payout rail: for owners the processor cannot pay (escrow/payout_countries.py).

A released payout whose owner is on this rail is not sent to the processor: ``payout_bank_queue``
moves it from ``payable:owner:<org>`` to ``clearing:bank_transfer`` and marks it ``queued``; staff
pay it from the platform's bank and record the bank's reference and date (``payout_bank_record``,
called by the staff console in trust, which writes the audit entry), which moves it from the
clearing account to ``bank:platform`` and marks it ``paid``. Both steps are idempotent (ledger
keys ``<payout key>:queued`` and ``<payout key>:paid``; the payout row is locked and re-checked).
"""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Organisation, User

from . import ledger
from .choices import PayoutRail, PayoutStatus
from .exceptions import EscrowError
from .hooks import payout_changed
from .models import Payout, PayoutAccount


@transaction.atomic
def payout_account_connect_bank(
    *,
    organisation: Organisation,
    country: str,
    holder_name: str,
    bank_account: str,
    swift_bic: str,
    bank_country: str,
) -> PayoutAccount:
    """The owner is paid by bank transfer (``bank_account``: an IBAN, or an account number with the
    bank's SWIFT/BIC, checked by the form). Ready at once: staff make the transfers."""
    if not organisation.is_owner:
        raise EscrowError(gettext("Only warehouse owners are paid out."), code="not_an_owner")
    bank_account = bank_account.replace(" ", "").upper()
    country = country or str(organisation.country or "") or bank_country
    account, _ = PayoutAccount.objects.update_or_create(
        organisation=organisation,
        defaults={
            "gateway": "bank_transfer",
            "account_id": f"bank_{organisation.pk}",
            "rail": PayoutRail.BANK_TRANSFER,
            "service_agreement": "",
            "country": country.upper(),
            "payouts_enabled": True,
            "requirements": [],
            "holder_name": holder_name.strip(),
            "bank_account": bank_account,
            "iban_last4": bank_account[-4:],
            "swift_bic": swift_bic.replace(" ", "").upper(),
            "bank_country": bank_country.upper(),
        },
    )
    return account


@transaction.atomic
def payout_bank_queue(*, payout: Payout) -> Payout:
    """Queue a released payout for a bank transfer by staff: ``payable:owner`` → ``clearing:bank_transfer``."""
    payout = Payout.objects.select_for_update().select_related("escrow").get(pk=payout.pk)
    if payout.status in (PayoutStatus.PAID, PayoutStatus.QUEUED):
        return payout
    from_status = payout.status
    payout.status = PayoutStatus.QUEUED
    payout.rail = PayoutRail.BANK_TRANSFER
    payout.failure_message = ""
    payout.save(update_fields=["status", "rail", "failure_message"])
    ledger.ledger_post(
        key=f"{payout.idempotency_key}:queued",
        description=f"Lease {payout.escrow.lease_id}: queued for a bank transfer to the owner",
        currency=payout.currency,
        lines=[(ledger.payable_owner(payout.organisation_id), payout.amount), (ledger.BANK_CLEARING, -payout.amount)],
        escrow=payout.escrow,
    )
    payout_changed.send(sender=Payout, payout=payout, from_status=from_status, to_status=payout.status)
    return payout


@transaction.atomic
def payout_bank_record(*, payout: Payout, reference: str, transferred_on: date, by: User) -> Payout:
    """Staff made the bank transfer: record its reference and date, and move the money from
    ``clearing:bank_transfer`` to ``bank:platform``. Only a queued payout; a second recording is refused."""
    payout = Payout.objects.select_for_update().select_related("escrow", "organisation").get(pk=payout.pk)
    reference = reference.strip()
    if payout.status != PayoutStatus.QUEUED or payout.rail != PayoutRail.BANK_TRANSFER:
        raise EscrowError(
            gettext("This payout is not waiting for a bank transfer (it may have been recorded already)."),
            code="payout_not_queued",
        )
    if not reference:
        raise EscrowError(gettext("Give the bank's reference for the transfer."), code="reference_missing")
    if transferred_on > timezone.localdate():
        raise EscrowError(gettext("The transfer date cannot be in the future."), code="date_in_future")
    from_status = payout.status
    payout.status = PayoutStatus.PAID
    payout.bank_reference = reference[:100]
    payout.bank_transferred_on = transferred_on
    payout.recorded_by = by
    payout.paid_at = timezone.now()
    payout.save(update_fields=["status", "bank_reference", "bank_transferred_on", "recorded_by", "paid_at"])
    ledger.ledger_post(
        key=f"{payout.idempotency_key}:paid",
        description=f"Lease {payout.escrow.lease_id}: paid to the owner by bank transfer {payout.bank_reference}",
        currency=payout.currency,
        lines=[(ledger.BANK_CLEARING, payout.amount), (ledger.PLATFORM_BANK, -payout.amount)],
        escrow=payout.escrow,
    )
    payout_changed.send(sender=Payout, payout=payout, from_status=from_status, to_status=payout.status)
    return payout

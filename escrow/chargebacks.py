"""Card disputes (chargebacks): freeze, notify, and post the outcome to the ledger.

A cardholder disputes the lease's charge with their bank. Stripe debits the disputed amount from
the platform balance at once (``charge.dispute.created``), with its dispute fee, and credits the
amount back if the dispute is won (``charge.dispute.closed``, status ``won``); if it is lost the money
stays with the cardholder. The fee is the platform's cost, not the lease's escrow's.

Ledger (every posting keyed ``escrow:<id>:chargeback:<dispute>:<step>``; ``D`` the disputed amount):

- opened:     chargeback:lease:<id> +D / gateway −D           (the money left the processor balance)
- won:        gateway +D / chargeback:lease:<id> −D           (reinstated)
- lost, in this order until D is covered:
  1. refunds still owed to the exporter on this lease (the chargeback paid them):
              refund:exporter:<org> +x / chargeback:lease −x  (the Refund row is marked done)
  2. what escrow still holds:
              escrow:lease:<id> +c / chargeback:lease −c
  3. what was already released to the owner (up to the owner's payouts):
              receivable:owner:<org> +o / chargeback:lease −o (the owner owes it back)
  4. the rest (the platform fee already earned, refunds already paid):
              loss:chargeback +l / chargeback:lease −l
- each transfer reversal that recovers the owner's part:
              gateway +r / receivable:owner:<org> −r
- the processor's dispute fee F, per balance transaction of the dispute that carries one
  (key ``escrow:<id>:chargeback:<dispute>:fee:<transaction>``):
              expense:dispute_fee +F / gateway −F            (taken with the withdrawal)
              gateway +F / expense:dispute_fee −F            (returned with the reinstatement, where
                                                              the processor returns it)

``chargeback:lease:<id>`` is therefore zero once a dispute is closed; ``receivable:owner:<org>`` is
what owners still owe after lost disputes (reversals the processor refused); ``loss:chargeback`` is
the platform's cost. Every handler is idempotent (posting keys, unique dispute ids) and forward only
(open → won | lost), so events may arrive in any order and any number of times.
"""

import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.models import User
from common.emails import email_send
from common.i18n import lazy_format
from common.money import Money, from_minor, quantize

from . import hooks, ledger, processor
from .choices import ChargebackStatus, PaymentStatus, PayoutRail, PayoutStatus, RefundStatus, ReversalStatus
from .exceptions import EscrowError, GatewayUnavailable
from .gateways import get_gateway
from .models import Chargeback, Escrow, LedgerEntry, Payment, Payout, Refund, TransferReversal

logger = logging.getLogger(__name__)

CHARGEBACK_LOSS = "loss:chargeback"
CLOSED = {"won": ChargebackStatus.WON, "lost": ChargebackStatus.LOST}


def chargeback_account(escrow: Escrow) -> str:
    return f"chargeback:lease:{escrow.lease_id}"


def receivable_owner(org_id: int) -> str:
    return f"receivable:owner:{org_id}"


def _key(chargeback: Chargeback, step: str) -> str:
    return f"escrow:{chargeback.escrow_id}:chargeback:{chargeback.dispute_id}:{step}"


def _payment_for_dispute(dispute: dict[str, Any]) -> Payment | None:
    match = Q()
    if dispute.get("charge"):
        match |= Q(charge_id=dispute["charge"])
    if dispute.get("payment_intent"):
        match |= Q(processor_id=dispute["payment_intent"])
    if not match:
        return None
    return Payment.objects.filter(match, status=PaymentStatus.SUCCEEDED).select_related("escrow").first()


# --- Recording what the processor says -------------------------------------------------------------


def chargeback_record(*, dispute: dict[str, Any]) -> Chargeback | None:
    """Apply a dispute as the processor reports it (from ``charge.dispute.created`` or ``.closed``,
    in any order, any number of times). Creates the Chargeback and freezes the escrow on first
    sight; posts the withdrawal; applies a won/lost outcome once. After a loss, tries at once to
    recover the owner's part by reversing transfers (the sweep ``chargebacks_recover`` retries).

    Raises EscrowError for a charge Wareshare does not know (yet): the webhook answers 500 and the
    processor retries it, by which time the payment's own event has usually been recorded.
    An inquiry (``warning_*``) moves no money and is only logged: it becomes a dispute if it escalates."""
    if str(dispute.get("status", "")).startswith("warning_"):
        logger.warning("card inquiry %s on charge %s (no funds withdrawn)", dispute.get("id"), dispute.get("charge"))
        return None
    payment = _payment_for_dispute(dispute)
    if payment is None:
        raise EscrowError(f"dispute {dispute.get('id')}: no succeeded payment for charge {dispute.get('charge')}")
    currency = str(dispute["currency"]).upper()
    amount = from_minor(int(dispute["amount"]), currency)
    status = CLOSED.get(str(dispute.get("status")), ChargebackStatus.OPEN)
    if status == ChargebackStatus.LOST:
        # A refund whose answer was lost may have gone through before the dispute: replaying it with
        # its key (no locks held) records it, so it is not counted as paid by the chargeback below.
        for refund in Refund.objects.filter(escrow_id=payment.escrow_id).exclude(status=RefundStatus.SUCCEEDED):
            processor.refund_execute(refund=refund)
    with transaction.atomic():
        escrow = Escrow.objects.select_for_update().get(pk=payment.escrow_id)
        if currency != escrow.currency:
            raise EscrowError(f"dispute {dispute['id']} is in {currency}, the escrow in {escrow.currency}")
        chargeback, created = Chargeback.objects.get_or_create(
            dispute_id=dispute["id"],
            defaults={
                "escrow": escrow,
                "charge_id": payment.charge_id,
                "amount": amount,
                "currency": currency,
                "reason": str(dispute.get("reason") or "")[:100],
            },
        )
        chargeback = Chargeback.objects.select_for_update().get(pk=chargeback.pk)
        ledger.ledger_post(
            key=_key(chargeback, "withdrawn"),
            description=f"Lease {escrow.lease_id}: card dispute {chargeback.dispute_id} opened, funds withdrawn",
            currency=currency,
            lines=[(chargeback_account(escrow), chargeback.amount), (ledger.GATEWAY, -chargeback.amount)],
            escrow=escrow,
        )
        _post_fees(chargeback, escrow, dispute)
        closing = chargeback.status == ChargebackStatus.OPEN and status != ChargebackStatus.OPEN
        if closing:
            if status == ChargebackStatus.WON:
                _post_won(chargeback, escrow)
            else:
                _post_lost(chargeback, escrow)
            chargeback.status = status
            chargeback.closed_at = timezone.now()
            chargeback.save(update_fields=["status", "closed_at"])
        _freeze_update(escrow)
        if created:
            _notify(chargeback, escrow, opened=True)
        if closing:
            _notify(chargeback, escrow, opened=False)
    if chargeback.status == ChargebackStatus.LOST:
        chargeback_recover(chargeback=chargeback)
    return chargeback


def _post_fees(chargeback: Chargeback, escrow: Escrow, dispute: dict[str, Any]) -> None:
    """Post the processor's dispute fee on each of the dispute's balance transactions, once each
    (key ``escrow:<id>:chargeback:<dispute>:fee:<transaction>``): the fee taken with the withdrawal
    (``expense:dispute_fee`` +f / ``gateway`` −f), and a fee returned with a reinstatement (a negative
    ``fee``: the reverse). The platform pays it, never the escrow. A fee in another currency than the
    escrow's (a platform settling in one currency) is not posted: reconciliation reports it."""
    for txn in dispute.get("balance_transactions") or []:
        if not isinstance(txn, dict) or not txn.get("fee"):
            continue  # an unexpanded id, or a transaction without a fee
        currency = str(txn.get("currency", "")).upper()
        if currency != escrow.currency:
            logger.error(
                "dispute %s: fee on %s is in %s, the escrow in %s",
                chargeback.dispute_id,
                txn.get("id"),
                currency,
                escrow.currency,
            )
            continue
        fee = from_minor(int(txn["fee"]), currency)
        taken = "taken" if fee > 0 else "returned"
        ledger.ledger_post(
            key=ledger.dispute_fee_key(
                escrow_id=escrow.pk, dispute_id=chargeback.dispute_id, transaction_id=str(txn["id"])
            ),
            description=f"Lease {escrow.lease_id}: card dispute {chargeback.dispute_id}, dispute fee {taken}",
            currency=currency,
            lines=[(ledger.DISPUTE_FEE, fee), (ledger.GATEWAY, -fee)],
            escrow=escrow,
        )


def _freeze_update(escrow: Escrow) -> None:
    """Frozen while any dispute is open, and for good after a lost one (staff decide what remains)."""
    frozen = escrow.chargebacks.filter(status__in=[ChargebackStatus.OPEN, ChargebackStatus.LOST]).exists()
    if escrow.frozen != frozen:
        escrow.frozen = frozen
        escrow.save(update_fields=["frozen"])


def _post_won(chargeback: Chargeback, escrow: Escrow) -> None:
    ledger.ledger_post(
        key=_key(chargeback, "reinstated"),
        description=f"Lease {escrow.lease_id}: card dispute {chargeback.dispute_id} won, funds reinstated",
        currency=chargeback.currency,
        lines=[(ledger.GATEWAY, chargeback.amount), (chargeback_account(escrow), -chargeback.amount)],
        escrow=escrow,
    )


def _post_lost(chargeback: Chargeback, escrow: Escrow) -> None:
    """Cover the lost amount: refunds still owed, then escrow, then the owner's payouts, then loss."""
    remaining = chargeback.amount
    account = chargeback_account(escrow)
    lease = escrow.lease
    for refund in Refund.objects.select_for_update().filter(escrow=escrow).exclude(status=RefundStatus.SUCCEEDED):
        if refund.amount > remaining:
            continue
        ledger.ledger_post(
            key=_key(chargeback, f"refund:{refund.pk}"),
            description=f"Lease {escrow.lease_id}: refund {refund.pk} paid by the lost card dispute",
            currency=chargeback.currency,
            lines=[(ledger.refund_exporter(refund.organisation_id), refund.amount), (account, -refund.amount)],
            escrow=escrow,
        )
        from_status = refund.status
        refund.status = RefundStatus.SUCCEEDED
        refund.processor_id = chargeback.dispute_id
        refund.save(update_fields=["status", "processor_id"])
        hooks.refund_changed.send(sender=Refund, refund=refund, from_status=from_status, to_status=refund.status)
        remaining -= refund.amount
    held = min(remaining, ledger.escrow_held(escrow))
    if held > 0:
        ledger.ledger_post(
            key=_key(chargeback, "escrow"),
            description=f"Lease {escrow.lease_id}: lost card dispute covered by the escrow",
            currency=chargeback.currency,
            lines=[(escrow.account, held), (account, -held)],
            escrow=escrow,
        )
        remaining -= held
    released = _total(escrow.payouts.all(), chargeback.currency)
    owner_part = min(remaining, released)
    if owner_part > 0:
        ledger.ledger_post(
            key=_key(chargeback, "owner"),
            description=f"Lease {escrow.lease_id}: lost card dispute, the owner's payout is due back",
            currency=chargeback.currency,
            lines=[(receivable_owner(lease.listing.warehouse.organisation_id), owner_part), (account, -owner_part)],
            escrow=escrow,
        )
        remaining -= owner_part
    if remaining > 0:
        ledger.ledger_post(
            key=_key(chargeback, "loss"),
            description=f"Lease {escrow.lease_id}: lost card dispute, the platform's loss",
            currency=chargeback.currency,
            lines=[(CHARGEBACK_LOSS, remaining), (account, -remaining)],
            escrow=escrow,
        )


def _total(rows: Any, currency: str) -> Decimal:
    """A Sum of amounts, exact (SQLite sums decimals as floats)."""
    return quantize(rows.aggregate(total=Sum("amount"))["total"] or Decimal(0), currency)


def _owner_due(chargeback: Chargeback) -> Decimal:
    """What the owner must give back for this chargeback (its ``owner`` posting)."""
    entries = LedgerEntry.objects.filter(
        posting__idempotency_key=_key(chargeback, "owner"), account__startswith="receivable:owner:"
    )
    return _total(entries, chargeback.currency)


# --- Recovering the owner's part ---------------------------------------------------------------------


def chargeback_recover(*, chargeback: Chargeback) -> int:
    """Reverse the owner's transfers up to what the lost chargeback put on ``receivable:owner``.
    Retries failed reversals with their own keys; a payout still waiting is reversed once it is
    paid (this runs again from the sweep). Returns how many reversals succeeded now."""
    due = _owner_due(chargeback)
    if chargeback.status != ChargebackStatus.LOST or due <= 0:
        return 0
    with transaction.atomic():
        Chargeback.objects.select_for_update().get(pk=chargeback.pk)
        planned = _total(chargeback.reversals.all(), chargeback.currency)
        for payout in Payout.objects.filter(
            escrow_id=chargeback.escrow_id, status=PayoutStatus.PAID, rail=PayoutRail.PROCESSOR
        ).order_by("sequence"):
            if planned >= due:
                break
            if chargeback.reversals.filter(payout=payout).exists():
                continue
            taken = _total(payout.reversals.all(), chargeback.currency)
            amount = min(due - planned, payout.amount - taken)
            if amount <= 0:
                continue
            step = "reversal" if payout.sequence == 1 else f"reversal:{payout.sequence}"
            TransferReversal.objects.create(
                chargeback=chargeback,
                payout=payout,
                idempotency_key=_key(chargeback, step),
                amount=amount,
                currency=chargeback.currency,
            )
            planned += amount
    done = 0
    for reversal in chargeback.reversals.exclude(status=ReversalStatus.SUCCEEDED):
        if reversal_execute(reversal=reversal).status == ReversalStatus.SUCCEEDED:
            done += 1
    return done


def reversal_execute(*, reversal: TransferReversal) -> TransferReversal:
    """Ask the processor to reverse (part of) a transfer; safe to call again (same key)."""
    reversal = TransferReversal.objects.select_related("payout", "chargeback__escrow__lease__listing__warehouse").get(
        pk=reversal.pk
    )
    if reversal.status == ReversalStatus.SUCCEEDED:
        return reversal
    try:
        result = get_gateway().reverse_transfer(
            transfer_id=reversal.payout.processor_id,
            amount=Money(reversal.amount, reversal.currency),
            idempotency_key=reversal.idempotency_key,
        )
    except GatewayUnavailable as error:
        logger.warning("reversal %s failed: %s", reversal.idempotency_key, error.detail)
        TransferReversal.objects.filter(pk=reversal.pk).exclude(status=ReversalStatus.SUCCEEDED).update(
            status=ReversalStatus.FAILED, failure_message=error.detail[:300]
        )
        return reversal
    escrow = reversal.chargeback.escrow
    with transaction.atomic():
        locked = TransferReversal.objects.select_for_update().get(pk=reversal.pk)
        if locked.status != ReversalStatus.SUCCEEDED:
            locked.status = ReversalStatus.SUCCEEDED
            locked.processor_id = result.id
            locked.failure_message = ""
            locked.save(update_fields=["status", "processor_id", "failure_message"])
            ledger.ledger_post(
                key=f"{locked.idempotency_key}:paid",
                description=f"Lease {escrow.lease_id}: owner's transfer reversed after a lost card dispute",
                currency=locked.currency,
                lines=[
                    (ledger.GATEWAY, locked.amount),
                    (receivable_owner(escrow.lease.listing.warehouse.organisation_id), -locked.amount),
                ],
                escrow=escrow,
            )
        return locked


def chargebacks_recover() -> int:
    """Sweep: recover the owner's part of lost chargebacks (pending reversals, newly paid payouts)."""
    done = 0
    for chargeback in Chargeback.objects.filter(status=ChargebackStatus.LOST).iterator():
        done += chargeback_recover(chargeback=chargeback)
    return done


# --- Telling people ------------------------------------------------------------------------------------


def _notify(chargeback: Chargeback, escrow: Escrow, *, opened: bool) -> None:
    """Staff, the owner and the exporter, after commit; each in their own language (lazy texts)."""
    lease = escrow.lease
    amount = Money(chargeback.amount, chargeback.currency)  # written in the reader's language
    if opened:
        subject = gettext_lazy("Card dispute opened")  # the email adds "— lease #N"
        next_step = lazy_format(
            gettext_lazy(
                "The exporter's bank disputes the %(amount)s payment (%(reason)s). The escrow is frozen: "
                "nothing is released until the dispute is decided. Wareshare answers the bank."
            ),
            amount=amount,
            reason=chargeback.reason or gettext_lazy("no reason given"),
        )
    elif chargeback.status == ChargebackStatus.WON:
        subject = gettext_lazy("Card dispute won")
        next_step = lazy_format(
            gettext_lazy("The bank decided for Wareshare: the %(amount)s stays in escrow and the lease continues."),
            amount=amount,
        )
    else:
        subject = gettext_lazy("Card dispute lost")
        next_step = lazy_format(
            gettext_lazy(
                "The bank returned %(amount)s to the cardholder. The escrow stays frozen and Wareshare staff will "
                "contact both sides; money already paid to the owner is reversed where possible."
            ),
            amount=amount,
        )
    recipients = User.objects.filter(
        Q(is_staff=True)
        | Q(memberships__organisation__in=[lease.exporter_id, lease.listing.warehouse.organisation_id]),
        is_active=True,
    ).values_list("email", flat=True)
    email_send(
        to=list(recipients),
        template="lease_update",
        context={
            "lease": lease,
            "subject": subject,
            "next_step": next_step,
            "path": reverse("leasing:lease_detail", args=[lease.pk]),
        },
    )

"""The double-entry ledger: balanced, append-only postings; balances derived from entries."""

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from common.money import quantize

from .exceptions import EscrowError, LedgerUnbalanced
from .models import Escrow, LedgerEntry, Posting

GATEWAY = "gateway"
PLATFORM_FEE = "revenue:platform_fee"
TRANSFER_FEE = "revenue:transfer_fee"
PROCESSOR_FEE = "expense:processor_fee"
DISPUTE_FEE = "expense:dispute_fee"  # the processor's fee for a card dispute, the platform's cost
# Bank-rail payouts (escrow/bank_payouts.py): queued money waits in the clearing account until staff
# record the bank transfer, which leaves from the platform's own bank account.
BANK_CLEARING = "clearing:bank_transfer"
PLATFORM_BANK = "bank:platform"


def payable_owner(org_id: int) -> str:
    return f"payable:owner:{org_id}"


def refund_exporter(org_id: int) -> str:
    return f"refund:exporter:{org_id}"


def dispute_fee_key(*, escrow_id: int, dispute_id: str, transaction_id: str) -> str:
    """The posting key of a dispute fee taken (or returned) by the processor's balance transaction."""
    return f"escrow:{escrow_id}:chargeback:{dispute_id}:fee:{transaction_id}"


def dispute_fees_posted(*, lease_id: int) -> list[tuple[str, str, Decimal, str]]:
    """The lease's dispute fee postings as ``(balance transaction, dispute, amount, currency)``:
    the amount positive for a fee taken, negative for a fee returned."""
    rows = LedgerEntry.objects.filter(account=DISPUTE_FEE, posting__escrow__lease_id=lease_id).values_list(
        "posting__idempotency_key", "amount", "currency"
    )
    fees = []
    for key, amount, currency in rows.order_by("pk"):
        parts = key.split(":", 5)  # escrow:<id>:chargeback:<dispute>:fee:<transaction>
        if len(parts) == 6 and parts[2] == "chargeback" and parts[4] == "fee":
            fees.append((parts[5], parts[3], amount, currency))
        else:  # written by hand (a correction): named by its key
            fees.append((key, "", amount, currency))
    return fees


def account_balance(account: str, currency: str) -> Decimal:
    """Debits minus credits on ``account`` in ``currency``."""
    total = LedgerEntry.objects.filter(account=account, currency=currency).aggregate(s=Sum("amount"))["s"]
    # SQLite sums decimals as floats (20.00 + 28.30 - 48.30 = 3.6e-15): round back to the currency.
    return quantize(Decimal(total), currency) if total is not None else Decimal("0.00")


def escrow_held(escrow: Escrow) -> Decimal:
    """What the escrow holds for its lease (a liability: credits minus debits)."""
    return -account_balance(escrow.account, escrow.currency)


@transaction.atomic
def ledger_post(
    *,
    key: str,
    description: str,
    currency: str,
    lines: Sequence[tuple[str, Decimal]],
    escrow: Escrow | None = None,
) -> Posting:
    """Append one balanced posting. Idempotent on ``key``: posting the same key again returns the
    first posting unchanged. Refuses unbalanced or zero lines, amounts finer than the currency,
    and anything that would leave an escrow account negative."""
    existing = Posting.objects.filter(idempotency_key=key).first()
    if existing:
        return existing
    if escrow is not None and escrow.currency != currency:
        raise LedgerUnbalanced(f"posting {key} is in {currency} but its escrow holds {escrow.currency}")
    lines = [(account, amount) for account, amount in lines if amount]
    if not lines:
        raise LedgerUnbalanced(f"posting {key} has no non-zero lines")
    for _, amount in lines:
        if quantize(amount, currency) != amount:
            raise LedgerUnbalanced(f"posting {key}: {amount} is finer than {currency} allows")
    if sum((amount for _, amount in lines), Decimal(0)) != 0:
        raise LedgerUnbalanced(f"posting {key} does not balance: {lines}")
    posting = Posting.objects.create(idempotency_key=key, description=description, currency=currency, escrow=escrow)
    LedgerEntry.objects.bulk_create(
        [LedgerEntry(posting=posting, account=account, amount=amount, currency=currency) for account, amount in lines]
    )
    for account, _ in lines:
        if account.startswith("escrow:") and account_balance(account, currency) > 0:
            raise EscrowError(f"{account} would go negative: an escrow cannot pay out more than it holds")
    return posting


def ledger_totals() -> dict[str, Decimal]:
    """Sum of all entries per currency: zero for every currency when the ledger balances."""
    rows = LedgerEntry.objects.values("currency").annotate(total=Sum("amount")).order_by("currency")
    return {row["currency"]: quantize(Decimal(row["total"]), row["currency"]) for row in rows}

"""Reconciliation: the ledger and our payment rows against what the processor recorded, per lease.

For each lease (Stripe transfer group ``lease_<id>``) the ledger's movements on ``gateway`` are
classified by the account on the other side of the posting:

===========  ===========================================  ==========================================
kind         ledger (gateway line against …)               processor
===========  ===========================================  ==========================================
charge       ``escrow:lease:<id>`` (debit)                succeeded charges in the transfer group
refund       ``refund:exporter:<org>`` (credit)           refunds of those charges
transfer     ``payable:owner:<org>`` (credit)             transfers in the transfer group
reversal     ``receivable:owner:<org>`` (debit)           reversals of those transfers
dispute      ``chargeback:lease:<id>`` (net credit)       disputed funds not won back
dispute_fee  ``expense:dispute_fee`` (net credit)         fees on the disputes' balance transactions
===========  ===========================================  ==========================================

Totals per kind must agree, and item by item every processor id must be one of ours (Payment,
Refund, Payout, TransferReversal, Chargeback; a dispute fee's balance transaction must have its
posting) with the same amount, and every one of ours must exist at the processor (inquiries left
out). docs/operations.md says what to do with each kind of difference.

Payouts on the bank-transfer rail never touch the processor (or ``gateway``): they are reconciled
against what staff recorded instead (kind ``bank_transfer``): each queued payout has its
``clearing:bank_transfer`` credit, each paid one its staff-recorded reference and date and the
matching debit, nothing else moves the clearing account, and the clearing account holds exactly
the queued payouts.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from common.money import format_money, quantize

from . import ledger
from .choices import CHARGED, ChargebackStatus, PayoutRail, PayoutStatus, RefundStatus, ReversalStatus
from .gateways import get_gateway
from .gateways.base import Activity, ProcessorItem
from .models import Escrow, LedgerEntry, Payment, Payout, Refund, TransferReversal

logger = logging.getLogger(__name__)

KINDS = ("charge", "refund", "transfer", "reversal", "dispute", "dispute_fee")
# The account on the other side of a gateway line says what kind of movement it is; the sign says
# which way the money went (+1: into the processor balance).
COUNTER_ACCOUNTS = {
    "escrow:lease:": ("charge", +1),
    "refund:exporter:": ("refund", -1),
    "payable:owner:": ("transfer", -1),
    "receivable:owner:": ("reversal", +1),
    "chargeback:lease:": ("dispute", -1),
    ledger.DISPUTE_FEE: ("dispute_fee", -1),
}


@dataclass(frozen=True)
class Difference:
    lease_id: int | None
    kind: str  # one of KINDS, or "ledger"
    problem: str  # "total", "amount", "missing_at_processor", "unknown_to_wareshare", "status", "unbalanced"
    detail: str

    def __str__(self) -> str:
        where = f"lease {self.lease_id}" if self.lease_id is not None else "ledger"
        return f"{where} {self.kind} {self.problem}: {self.detail}"


def ledger_movements(escrow: Escrow) -> tuple[dict[str, Decimal], list[str]]:
    """The escrow's movements on ``gateway`` per kind (positive amounts), and the keys of postings
    that touch ``gateway`` but cannot be classified."""
    lines: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    keys: dict[int, str] = {}
    for posting_id, key, account, amount in LedgerEntry.objects.filter(posting__escrow=escrow).values_list(
        "posting_id", "posting__idempotency_key", "account", "amount"
    ):
        lines[posting_id].append((account, amount))
        keys[posting_id] = key
    totals = {kind: Decimal(0) for kind in KINDS}
    unclassified = []
    for posting_id, posting_lines in lines.items():
        gateway = sum((amount for account, amount in posting_lines if account == ledger.GATEWAY), Decimal(0))
        if not gateway:
            continue
        others = {
            COUNTER_ACCOUNTS[prefix]
            for account, _ in posting_lines
            for prefix in COUNTER_ACCOUNTS
            if account.startswith(prefix)
        }
        if len(others) != 1:
            unclassified.append(keys[posting_id])
            continue
        ((kind, sign),) = others
        totals[kind] += gateway * sign
    return totals, unclassified


def _records(escrow: Escrow) -> dict[str, dict[str, Decimal]]:
    """Our rows that say the processor did something, by processor id."""
    dispute_ids = set(escrow.chargebacks.values_list("dispute_id", flat=True))
    refunds = Refund.objects.filter(escrow=escrow, status=RefundStatus.SUCCEEDED).exclude(
        processor_id__in=dispute_ids  # paid by a lost chargeback, not by a refund at the processor
    )
    return {
        "charge": dict(Payment.objects.filter(escrow=escrow, status__in=CHARGED).values_list("charge_id", "amount")),
        "refund": dict(refunds.values_list("processor_id", "amount")),
        "transfer": dict(
            Payout.objects.filter(escrow=escrow, status=PayoutStatus.PAID, rail=PayoutRail.PROCESSOR).values_list(
                "processor_id", "amount"
            )
        ),
        "reversal": dict(
            TransferReversal.objects.filter(chargeback__escrow=escrow, status=ReversalStatus.SUCCEEDED).values_list(
                "processor_id", "amount"
            )
        ),
        "dispute": dict(escrow.chargebacks.values_list("dispute_id", "amount")),
        "dispute_fee": _fees_posted(escrow),
    }


def _fees_posted(escrow: Escrow) -> dict[str, Decimal]:
    """The dispute fee postings by the processor's balance transaction (signed: returned < 0)."""
    fees: dict[str, Decimal] = defaultdict(Decimal)
    for transaction_id, _, amount, _ in ledger.dispute_fees_posted(lease_id=escrow.lease_id):
        fees[transaction_id] += amount
    return dict(fees)


def _withdrawn(dispute: ProcessorItem) -> bool:
    """Whether a dispute's funds are out of the platform balance: open or lost (not won, not an inquiry)."""
    return dispute.status != "won" and not dispute.status.startswith("warning_")


def escrow_reconcile(*, escrow: Escrow, activity: Activity | None = None) -> list[Difference]:
    """Every difference between the ledger, our rows and the processor for one escrow."""
    if activity is None:
        activity = get_gateway().activity(transfer_group=escrow.transfer_group)
    lease_id, currency = escrow.lease_id, escrow.currency

    def money(amount: Decimal) -> str:
        return format_money(amount, currency)

    differences: list[Difference] = []
    inquiries = {d.id for d in activity.disputes if d.status.startswith("warning_")}
    processor: dict[str, tuple[ProcessorItem, ...]] = {
        "charge": activity.charges,
        "refund": activity.refunds,
        "transfer": activity.transfers,
        "reversal": activity.reversals,
        "dispute": tuple(d for d in activity.disputes if d.id not in inquiries),
        "dispute_fee": tuple(f for f in activity.dispute_fees if f.parent not in inquiries),
    }
    for kind, items in processor.items():
        for item in items:
            if item.amount.currency != currency:
                differences.append(
                    Difference(lease_id, kind, "currency", f"{item.id} is in {item.amount.currency}, not {currency}")
                )
    totals, unclassified = ledger_movements(escrow)
    for key in unclassified:
        differences.append(Difference(lease_id, "ledger", "unclassified", f"posting {key} moves gateway money"))
    processor_totals = {
        kind: sum((item.amount.amount for item in items if kind != "dispute" or _withdrawn(item)), Decimal(0))
        for kind, items in processor.items()
    }
    for kind in KINDS:
        if totals[kind] != processor_totals[kind]:
            differences.append(
                Difference(
                    lease_id,
                    kind,
                    "total",
                    f"ledger {money(totals[kind])}, processor {money(processor_totals[kind])}",
                )
            )
    records = _records(escrow)
    for kind in KINDS:
        ours = records[kind]
        theirs = {item.id: item for item in processor[kind]}
        for object_id, item in theirs.items():
            if object_id not in ours:
                differences.append(
                    Difference(
                        lease_id,
                        kind,
                        "unknown_to_wareshare",
                        f"{object_id} ({money(item.amount.amount)}) at the processor is not in Wareshare's records",
                    )
                )
            elif ours[object_id] != item.amount.amount:
                differences.append(
                    Difference(
                        lease_id,
                        kind,
                        "amount",
                        f"{object_id}: Wareshare {money(ours[object_id])}, processor {money(item.amount.amount)}",
                    )
                )
        for object_id, amount in ours.items():
            if object_id not in theirs:
                differences.append(
                    Difference(
                        lease_id,
                        kind,
                        "missing_at_processor",
                        f"{object_id or '(no id)'} ({money(amount)}) is recorded by Wareshare but not at the processor",
                    )
                )
    disputes = {d.id: d for d in processor["dispute"]}
    for chargeback in escrow.chargebacks.all():
        found = disputes.get(chargeback.dispute_id)
        if found is None:
            continue  # reported above as missing at the processor
        expected = {"won": ChargebackStatus.WON, "lost": ChargebackStatus.LOST}.get(found.status, ChargebackStatus.OPEN)
        if expected != chargeback.status:
            differences.append(
                Difference(
                    lease_id,
                    "dispute",
                    "status",
                    f"{chargeback.dispute_id}: Wareshare {chargeback.status}, processor {found.status}",
                )
            )
    return differences + bank_transfers_check(escrow)


def bank_transfers_check(escrow: Escrow) -> list[Difference]:
    """The escrow's bank-rail payouts against the clearing account's postings and staff's records."""
    lease_id, currency = escrow.lease_id, escrow.currency
    expected: dict[str, Decimal] = {}
    differences = []
    for payout in Payout.objects.filter(escrow=escrow, rail=PayoutRail.BANK_TRANSFER):
        if payout.status in (PayoutStatus.QUEUED, PayoutStatus.PAID):
            expected[f"{payout.idempotency_key}:queued"] = -payout.amount
        if payout.status == PayoutStatus.PAID:
            expected[f"{payout.idempotency_key}:paid"] = payout.amount
            if not payout.bank_reference or payout.bank_transferred_on is None:
                differences.append(
                    Difference(
                        lease_id, "bank_transfer", "reference", f"{payout.idempotency_key} paid without a record"
                    )
                )
    posted: dict[str, Decimal] = defaultdict(Decimal)
    for key, amount in LedgerEntry.objects.filter(posting__escrow=escrow, account=ledger.BANK_CLEARING).values_list(
        "posting__idempotency_key", "amount"
    ):
        posted[key] += amount
    for key in sorted(set(expected) | set(posted)):
        ours, ledger_amount = expected.get(key), posted.get(key)
        if ours != ledger_amount:
            differences.append(
                Difference(
                    lease_id,
                    "bank_transfer",
                    "amount" if ours is not None and ledger_amount is not None else "missing",
                    f"{key}: payouts {format_money(ours or Decimal(0), currency)}, "
                    f"ledger {format_money(ledger_amount or Decimal(0), currency)}",
                )
            )
    return differences


def ledger_check() -> list[Difference]:
    """The whole ledger: balanced per currency, and no escrow account below zero."""
    differences = [
        Difference(None, "ledger", "unbalanced", f"entries in {currency} sum to {total}")
        for currency, total in ledger.ledger_totals().items()
        if total != 0
    ]
    for escrow in Escrow.objects.filter(postings__isnull=False).distinct():
        held = ledger.escrow_held(escrow)
        if held < 0:
            differences.append(Difference(escrow.lease_id, "ledger", "negative", f"{escrow.account} holds {held}"))
    queued = dict(
        Payout.objects.filter(status=PayoutStatus.QUEUED, rail=PayoutRail.BANK_TRANSFER)
        .values_list("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    clearing = dict(
        LedgerEntry.objects.filter(account=ledger.BANK_CLEARING)
        .values_list("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    for currency in sorted(set(queued) | set(clearing)):
        owed = quantize(Decimal(queued.get(currency) or 0), currency)
        held = -quantize(Decimal(clearing.get(currency) or 0), currency)
        if owed != held:
            differences.append(
                Difference(
                    None,
                    "bank_transfer",
                    "clearing",
                    f"{ledger.BANK_CLEARING} holds {format_money(held, currency)}, "
                    f"queued payouts {format_money(owed, currency)}",
                )
            )
    return differences


def escrows_to_reconcile(*, lease_ids: Iterable[int] = (), since: timedelta | None = None) -> list[Escrow]:
    """Escrows that ever tried to take money (any payment attempt), optionally only those with a
    payment or a posting since ``since`` ago."""
    escrows = Escrow.objects.filter(payments__isnull=False)
    lease_ids = list(lease_ids)
    if lease_ids:
        escrows = escrows.filter(lease_id__in=lease_ids)
    if since is not None:
        cutoff = timezone.now() - since
        escrows = escrows.filter(Q(payments__updated_at__gte=cutoff) | Q(postings__created_at__gte=cutoff))
    return list(escrows.distinct().order_by("lease_id"))


def escrow_reconcile_all(*, lease_ids: Iterable[int] = (), since: timedelta | None = None) -> list[Difference]:
    differences = ledger_check()
    for escrow in escrows_to_reconcile(lease_ids=lease_ids, since=since):
        differences += escrow_reconcile(escrow=escrow)
    return differences


def escrow_reconcile_sweep() -> int:
    """Nightly (Celery beat): reconcile leases with money movements in the last 120 days (Stripe
    disputes can arrive that late); every difference is logged at ERROR for the on-call engineer."""
    differences = escrow_reconcile_all(since=timedelta(days=120))
    for difference in differences:
        logger.error("escrow reconciliation: %s", difference)
    return len(differences)

"""The terms of a lease transfer: what handing on part of a lease is worth and hands back
(``transfer_value``), and whether an open offer can still go ahead as offered
(``transfer_problem``). The steps are in ``leasing.transfers``; the money in docs/money.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _

from common.money import Money, quantize_down
from escrow.models import Escrow

from . import rules, schedule
from .choices import InstalmentStatus, LeaseOrigin
from .core import held_by_day
from .exceptions import InvalidTransfer
from .models import Instalment, Lease, LeaseTransfer

TRANSFERABLE = rules.TRANSFERABLE


@dataclass(frozen=True)
class Move:
    instalment: Instalment
    unit_days: int
    amount: Decimal
    fee: Decimal


@dataclass(frozen=True)
class TransferValue:
    """What a transfer hands back to the original exporter, less the platform's transfer fee:

    - ``moves``: the transferred unit-days' share of each instalment still in escrow (rounded
      down); their sum ``held`` goes back out of the original escrow;
    - ``paid``: their share of the instalments already released to the owner (what the exporter
      paid for those days); the receiver's payment pays back ``carry`` of it: all of it, or the
      offer's price if that is lower. The owner's payout does not change.

    ``value`` = ``held`` + ``carry`` is handed back before the fee; ``refund`` = ``value`` − ``fee``.
    """

    currency: str
    moves: tuple[Move, ...]
    fee: Decimal
    paid: Decimal = Decimal(0)
    carry: Decimal = Decimal(0)

    @property
    def held(self) -> Decimal:
        return sum((move.amount + move.fee for move in self.moves), Decimal(0))

    @property
    def value(self) -> Decimal:
        return self.held + self.carry

    @property
    def cost(self) -> Decimal:
        """What the original exporter paid for the part handed on: a price that covers it needs no consent."""
        return self.held + self.paid

    @property
    def refund(self) -> Decimal:
        return self.value - self.fee

    def owner_share(self, price: Decimal) -> Decimal:
        """What of the receiver's ``price`` is the receiver's lease, paid to the owner on its schedule."""
        return price - self.carry

    def money(self, field: str) -> Money:
        return Money(getattr(self, field), self.currency)


transfer_earliest = rules.transfer_earliest


def _share(instalment: Instalment, unit_days: int, currency: str) -> Move:
    if unit_days >= instalment.unit_days:
        return Move(instalment, instalment.unit_days, instalment.amount, instalment.fee)
    share = Decimal(unit_days) / instalment.unit_days
    return Move(
        instalment,
        unit_days,
        quantize_down(instalment.amount * share, currency),
        quantize_down(instalment.fee * share, currency),
    )


def transfer_value(lease: Lease, *, quantity: int, start: date, price: Decimal | None = None) -> TransferValue:
    """Check the terms (InvalidTransfer) and price what handing on ``quantity`` from ``start`` is
    worth at ``price`` (None: a price that covers what the days cost, ``TransferValue.cost``)."""
    earliest = transfer_earliest(lease)
    if start < earliest or start > lease.end:
        raise InvalidTransfer(
            _(
                "A transfer of this lease can start from %(earliest)s (today at the warehouse, or the lease's "
                "first day) to %(end)s."
            )
            % {"earliest": _date(earliest), "end": _date(lease.end)}
        )
    held = min(held_by_day(lease, start).values(), default=0)
    if quantity < 1 or quantity > held:
        raise InvalidTransfer(
            _("From %(date)s this lease holds %(held)s units: transfer 1 to %(held)s.")
            % {"date": _date(start), "held": held}
        )
    moves, paid = [], Decimal(0)
    instalments = lease.instalments.filter(status__in=[InstalmentStatus.SCHEDULED, InstalmentStatus.RELEASED])
    for instalment in instalments.order_by("sequence"):
        overlap = (min(instalment.end, lease.end) - max(instalment.start, start)).days + 1
        if overlap <= 0 or instalment.unit_days <= 0:
            continue
        move = _share(instalment, quantity * overlap, lease.currency)
        if instalment.status == InstalmentStatus.SCHEDULED:
            moves.append(move)
        else:  # released: the owner keeps it; the receiver's payment pays the exporter back
            paid += move.amount + move.fee
    if lease.origin == LeaseOrigin.TRANSFER:  # a receiver's lease handed on again: what it paid back for
        # days already paid out is spread evenly over its unit-days, and is paid out in the same way
        carried = lease.total - lease.storage_amount - lease.handling_in_amount - lease.handling_out_amount
        carried -= lease.platform_fee
        unit_days = quantity * ((lease.end - start).days + 1)
        paid += quantize_down(carried * unit_days / (lease.quantity * lease.days), lease.currency)
    carry = paid if price is None else min(price, paid)
    value = sum((move.amount + move.fee for move in moves), Decimal(0)) + carry
    fee = quantize_down(value * schedule.transfer_fee_percent() / 100, lease.currency)
    return TransferValue(currency=lease.currency, moves=tuple(moves), fee=fee, paid=paid, carry=carry)


def _date(day: date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def transfer_problem(transfer: LeaseTransfer, *, lease: Lease, escrow: Escrow | None) -> str:
    """Why an open offer can no longer go ahead as offered (in English, for the timeline), or "":
    the lease is no longer transferable, the first day has passed, the lease no longer holds the
    units, or what it hands back (value, refund, fee: the days' money released meanwhile, another
    transfer fee) is not what was offered."""
    with translation.override(settings.LANGUAGE_CODE):
        if lease.state not in TRANSFERABLE or (escrow is not None and escrow.frozen):
            return f"lease #{lease.pk} is {lease.get_state_display().lower()}"
        if rules.transfer_passed(transfer):
            return f"its first day, {transfer.start:%d %b %Y}, has passed"
        try:
            value = transfer_value(lease, quantity=transfer.quantity, start=transfer.start, price=transfer.price)
        except InvalidTransfer as error:
            return str(error.detail)
    offered = (transfer.value, transfer.refund, transfer.fee)
    if offered != (None, None, None) and offered != (value.value, value.refund, value.fee):
        return f"it would refund {value.money('refund')}, not the {transfer.money('refund')} offered"
    return ""

"""Handing on the rest of a lease to another exporter.

1. ``transfer_offer``: the exporter of a funded or active lease offers ``quantity`` units from
   ``start`` to its end, at a price it sets, to one exporter organisation (or to any, by link).
2. ``transfer_accept``: the receiver takes it. Two receivers racing: the transfer row is locked
   and only an ``offered`` transfer can be taken, so one wins and the other gets TransferNotOpen.
3. ``transfer_consent``: the owner agrees (automatic if the listing does not ask for consent);
   the receiver's lease is created, ``accepted``, awaiting its payment. It holds no capacity yet:
   the original lease still holds it.
4. The receiver pays (``lease_pay`` as for any lease); ``transfer_complete`` then, in the same
   transaction: splits the original lease's calendar holds between the two leases (no unit is
   ever free or counted twice in between), moves the transferred share of each unreleased
   instalment out of the original escrow — back to the original exporter, less the transfer fee —
   and records the step on both leases. A cancellation of the original lease in the meantime
   lapses the offer and cancels the unpaid receiver's lease (``core.transfer_lapse``).

A transfer may start on any day from today at the warehouse (or the lease's first day) to its end,
also within days whose money was already released (paid out) to the owner. For days still in
escrow, their share of the escrow goes back to the original exporter; for days already paid out,
the receiver's payment pays the original exporter back (``TransferValue.carry``) and the owner's
payout does not change. Either way the platform keeps the transfer fee (docs/money.md).

The offer's figures (``value``, ``refund``, ``fee``) are written when it is offered and checked
again under the lock at each step (accept, consent, completion): an offer whose first day has
passed, or whose figures changed, lapses (``transfer_lapse_if_due``, also a sweep).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Organisation, User
from accounts.selectors import user_is_member
from common.i18n import lazy_date
from common.money import quantize, quantize_down
from escrow import services as escrow_services
from escrow.models import Escrow
from warehouses.dates import today_range
from warehouses.services import capacity_reshape

from . import rules, schedule
from .choices import (
    OPEN_TRANSFER_STATES,
    InstalmentStatus,
    LeaseOrigin,
    LeaseState,
    ShipmentStatus,
    TransferGoods,
    TransferState,
)
from .core import (
    held_by_day,
    lease_carry_in,
    lease_lock,
    lease_note,
    lease_settings,
    lease_transition,
    require_exporter,
    require_owner,
    require_verified,
    standing_require,
    transfer_lapse,
    transfer_transition,
)
from .exceptions import InvalidTransfer, NotAllowed, TransferNotOpen
from .hooks import transfer_changed, transfer_require
from .models import Lease, LeaseEvent, LeaseTransfer
from .notifications import transfer_notify
from .transfer_terms import Move as Move  # the terms are read from here too
from .transfer_terms import TransferValue as TransferValue
from .transfer_terms import transfer_earliest as transfer_earliest
from .transfer_terms import transfer_problem, transfer_value

S = LeaseState
TRANSFERABLE = rules.TRANSFERABLE


def _require_can_take(organisation: Organisation, by: User, transfer: LeaseTransfer) -> None:
    if not organisation.is_exporter:
        raise NotAllowed(_("%(organisation)s is not set up as an exporter.") % {"organisation": organisation})
    if not user_is_member(by, organisation):
        raise NotAllowed(_("You can only take a transfer for your own organisation."))
    verdict = rules.transfer_take(transfer, organisation.pk)
    if not verdict and verdict.error is NotAllowed:
        verdict.require()
    require_verified(organisation, "take a lease transfer")
    standing_require(organisation, "take a lease transfer")


def transfer_path(transfer: LeaseTransfer, *, share: bool = False) -> str:
    """The transfer's page; ``share``: the link an open offer is passed on by (with its key)."""
    path = reverse("leasing:transfer_detail", args=[transfer.pk])
    return f"{path}?key={transfer.token}" if share and transfer.to_organisation_id is None else path


@transaction.atomic
def transfer_offer(
    *,
    lease: Lease,
    by: User,
    quantity: int,
    start: date,
    price: Decimal,
    goods: str = TransferGoods.CARRY,
    to_organisation: Organisation | None = None,
    message: str = "",
) -> LeaseTransfer:
    """The exporter offers the rest of ``lease`` (``quantity`` units from ``start``) at ``price``."""
    require_exporter(lease, by)
    standing_require(lease.exporter, "transfer a lease")
    locked = lease_lock(lease)
    lease = locked.lease
    rules.transfer(lease, rules.EXPORTER).require()
    if price <= 0 or quantize(price, lease.currency) != price:
        raise InvalidTransfer(
            _("Give a price above zero, in whole %(currency)s minor units.") % {"currency": lease.currency}
        )
    if to_organisation is not None and to_organisation.pk in (lease.exporter_id, lease.owner.pk):
        raise InvalidTransfer(_("Offer the transfer to another exporter: not to yourself or the owner."))
    if to_organisation is not None and not to_organisation.is_exporter:
        raise InvalidTransfer(_("%(organisation)s is not set up as an exporter.") % {"organisation": to_organisation})
    value = transfer_value(lease, quantity=quantity, start=start, price=price)
    # Goods are there once checked in on this lease, or carried over to it (an extension, a transfer).
    checked_in = lease.goods_carried or lease.shipments.filter(status=ShipmentStatus.CHECKED_IN).exists()
    transfer = LeaseTransfer.objects.create(
        lease=lease,
        to_organisation=to_organisation,
        quantity=quantity,
        start=start,
        price=price,
        currency=lease.currency,
        goods=goods if checked_in else TransferGoods.REMOVE,
        message=message[:500],
        offered_by=by,
        value=value.value,  # the figures offered: each step checks them again (``transfer_lapse_if_due``)
        refund=value.refund,
        fee=value.fee,
    )
    transfer_changed.send(sender=LeaseTransfer, transfer=transfer, from_state=None, to_state=transfer.state, by=by)
    to = f" to {to_organisation}" if to_organisation else ""
    lease_note(
        lease, by=by, note=f"Transfer offered{to}: {quantity} units from {start:%d %b %Y} for {transfer.money('price')}"
    )
    if to_organisation is not None:
        transfer_notify(
            "offered",
            [to_organisation],
            lease,
            path=transfer_path(transfer),
            exporter=lease.exporter,
            count=quantity,
            warehouse=lease.listing.warehouse,
            date=lazy_date(start),
            price=transfer.money("price"),
        )
    return transfer


def _lock_transfer(transfer: LeaseTransfer) -> tuple[Lease, LeaseTransfer]:
    """Lock listing → lease → escrow → transfer, and return the fresh lease and transfer."""
    locked = lease_lock(transfer.lease)
    return locked.lease, LeaseTransfer.objects.select_for_update().get(pk=transfer.pk)


def transfer_accept(*, transfer: LeaseTransfer, by: User, organisation: Organisation) -> LeaseTransfer:
    """``organisation`` takes the offer; the owner is asked (or, if the listing allows transfers
    without consent, the receiver's lease is created at once). An offer whose first day has passed
    or whose figures changed lapses instead (committed), and TransferNotOpen is raised."""
    _require_can_take(organisation, by, transfer)
    transfer = _accept(transfer=transfer, by=by, organisation=organisation)
    if transfer.state == TransferState.LAPSED:
        raise TransferNotOpen(rules.transfer_lapsed_reason())
    return transfer


@transaction.atomic
def _accept(*, transfer: LeaseTransfer, by: User, organisation: Organisation) -> LeaseTransfer:
    lease, transfer = _lock_transfer(transfer)
    if transfer_lapse_if_due(transfer, lease=lease, by=by):
        return transfer
    rules.transfer_take(transfer, organisation.pk).require()
    transfer_transition(transfer, to=TransferState.ACCEPTED, by=by, receiver=organisation, accepted_by=by)
    lease_note(lease, by=by, note=f"Transfer accepted by {organisation}")
    if not transfer_needs_consent(transfer, lease):
        return _approve(transfer, lease=lease, by=None, note="Approved automatically: the listing allows transfers")
    transfer_notify(
        "needs_consent",
        [lease.owner],
        lease,
        path=transfer_path(transfer),
        exporter=lease.exporter,
        count=transfer.quantity,
        date=lazy_date(transfer.start),
        receiver=organisation,
    )
    return transfer


def transfer_lapse_if_due(transfer: LeaseTransfer, *, lease: Lease, by: User | None) -> bool:
    """Under the lock (``_lock_transfer``): an open offer that can no longer go ahead as offered
    (``transfer_problem``) lapses. Returns whether it did."""
    if not transfer.is_open:
        return False
    why = transfer_problem(transfer, lease=lease, escrow=Escrow.objects.filter(lease=lease).first())
    if why:
        transfer_lapse(transfer, lease=lease, by=by, why=why)
    return bool(why)


def transfers_lapse_due() -> int:
    """Sweep: open offers whose first day has passed at the warehouse lapse (each locked and
    checked again). Returns how many lapsed."""
    lapsed = 0
    latest_today = today_range()[1]
    due = LeaseTransfer.objects.filter(state__in=OPEN_TRANSFER_STATES, start__lt=latest_today)
    for pk in due.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            lease, transfer = _lock_transfer(LeaseTransfer.objects.get(pk=pk))
            if transfer.is_open and rules.transfer_passed(transfer):
                lapsed += transfer_lapse_if_due(transfer, lease=lease, by=None)
    return lapsed


def transfer_needs_consent(transfer: LeaseTransfer, lease: Lease) -> bool:
    """The owner consents unless the listing allows transfers *and* the receiver pays at least
    what escrow holds for the part: the owner is paid from the receiver's price, so a cheaper
    hand-on needs the owner's yes. (Of a price, ``carry`` pays back days already paid out: only
    the rest, ``owner_share``, takes the place of what escrow holds.)"""
    if lease.listing.transfers_need_consent:
        return True
    value = transfer_value(lease, quantity=transfer.quantity, start=transfer.start, price=transfer.price)
    return value.owner_share(transfer.price) < value.held


def transfer_consent(*, transfer: LeaseTransfer, by: User, approve: bool, reason: str = "") -> LeaseTransfer:
    """The owner consents to the receiver (its lease is created, awaiting payment) or refuses. An
    offer that can no longer go ahead as offered lapses instead (committed): TransferNotOpen."""
    require_owner(transfer.lease, by)
    transfer = _consent(transfer=transfer, by=by, approve=approve, reason=reason)
    if transfer.state == TransferState.LAPSED:
        raise TransferNotOpen(rules.transfer_lapsed_reason())
    return transfer


@transaction.atomic
def _consent(*, transfer: LeaseTransfer, by: User, approve: bool, reason: str) -> LeaseTransfer:
    lease, transfer = _lock_transfer(transfer)
    if transfer.state == TransferState.ACCEPTED and transfer_lapse_if_due(transfer, lease=lease, by=by):
        return transfer
    rules.transfer_consent(transfer, rules.OWNER).require()
    if approve:
        standing_require(lease.owner, "approve a lease transfer")
        return _approve(transfer, lease=lease, by=by, note="Approved by the owner")
    if not reason.strip():
        raise InvalidTransfer(_("Say why you refuse the transfer: both exporters read it."))
    transfer_transition(transfer, to=TransferState.DECLINED, by=by, decided_by=by, decline_reason=reason.strip()[:300])
    lease_note(lease, by=by, note=f"The owner refused the transfer: {transfer.decline_reason}")
    assert transfer.receiver is not None
    transfer_notify(
        "refused",
        [lease.exporter, transfer.receiver],
        lease,
        path=transfer_path(transfer),
        reason=transfer.decline_reason,
    )
    return transfer


def _approve(transfer: LeaseTransfer, *, lease: Lease, by: User | None, note: str) -> LeaseTransfer:
    """Create the receiver's lease for the transferred part at the offer's price, awaiting payment."""
    assert transfer.receiver is not None
    assert transfer.accepted_by is not None
    # The terms still hold (the callers lapse an offer that changed); ``carry`` of the price pays
    # the original exporter back for days already paid out; the rest is the receiver's lease.
    value = transfer_value(lease, quantity=transfer.quantity, start=transfer.start, price=transfer.price)
    days = (lease.end - transfer.start).days + 1
    owner_share = value.owner_share(transfer.price)
    percent = lease.platform_fee_percent  # the owner's share includes the platform fee on the receiver's lease
    fee = quantize_down(owner_share * percent / (100 + percent), lease.currency)
    storage = owner_share - fee
    new_lease = Lease.objects.create(
        listing=lease.listing,
        exporter=transfer.receiver,
        requested_by=transfer.accepted_by,
        quantity=transfer.quantity,
        start=transfer.start,
        end=lease.end,
        goods_description=lease.goods_description,
        message=f"Transfer of lease #{lease.pk}",
        origin=LeaseOrigin.TRANSFER,
        parent=lease,
        goods_carried=transfer.goods == TransferGoods.CARRY,
        state=S.ACCEPTED,
        currency=lease.currency,
        unit_price=quantize_down(storage / (transfer.quantity * days), lease.currency),
        storage_amount=storage,
        handling_in_amount=Decimal(0),
        handling_out_amount=Decimal(0),
        platform_fee=fee,
        platform_fee_percent=lease.platform_fee_percent,
        total=transfer.price,
        payment_due_at=timezone.now() + timedelta(hours=lease_settings()["PAYMENT_HOURS"]),
    )
    escrow_services.escrow_open(lease_id=new_lease.pk, currency=new_lease.currency)
    LeaseEvent.objects.create(
        lease=new_lease, actor=by, to_state=S.ACCEPTED, note=f"Transferred from lease #{lease.pk}: {note}"
    )
    transfer_transition(transfer, to=TransferState.APPROVED, by=by, decided_by=by, new_lease=new_lease)
    lease_note(lease, by=by, note=f"Transfer approved ({note}); lease #{new_lease.pk} awaits the receiver's payment")
    transfer_notify("approved", [transfer.receiver], new_lease)
    return transfer


@transaction.atomic
def transfer_withdraw(*, transfer: LeaseTransfer, by: User) -> LeaseTransfer:
    """The offering exporter withdraws an offer not yet paid for."""
    require_exporter(transfer.lease, by)
    lease, transfer = _lock_transfer(transfer)
    rules.transfer_withdraw(transfer, rules.EXPORTER).require()
    transfer_transition(transfer, to=TransferState.WITHDRAWN, by=by)
    lease_note(lease, by=by, note=gettext_noop("Transfer offer withdrawn"))
    if transfer.new_lease_id is not None:
        receiver_lease = Lease.objects.select_for_update().get(pk=transfer.new_lease_id)
        lease_transition(lease=receiver_lease, to=S.CANCELLED, by=by, note=gettext_noop("The transfer was withdrawn"))
    return transfer


def transfer_complete(*, lease: Lease, escrow: Escrow, by: User | None) -> Lease:
    """The receiver's lease (locked, just funded) is paid: complete its transfer (module docstring).

    If the original lease can no longer hand the part on as offered (cancelled, the first day
    passed, the figures changed: ``transfer_problem``; or an app's ``hooks.transfer_require`` check
    refuses: goods to be removed came back), the transfer lapses and the receiver is refunded in full.
    """
    transfer = LeaseTransfer.objects.select_for_update().get(new_lease=lease)
    original = Lease.objects.select_for_update().get(pk=transfer.lease_id)
    original_escrow = Escrow.objects.select_for_update().get(lease=original)
    if transfer.state != TransferState.APPROVED:
        return _unwind(transfer, lease=lease, escrow=escrow, by=by, why=f"the transfer is {transfer.state}")
    value = transfer_value(original, quantity=transfer.quantity, start=transfer.start, price=transfer.price)
    why = transfer_problem(transfer, lease=original, escrow=original_escrow)
    if not why and value.carry != receiver_carry(lease):
        why = "the days' money was released to the owner meanwhile"
    if not why:
        try:
            # The reason goes into the timeline notes, which are stored in English.
            with translation.override(settings.LANGUAGE_CODE):
                transfer_require(transfer)  # the apps above leasing: e.g. goods to be removed are gone
        except InvalidTransfer as error:
            why = error.detail
    if why:
        return _unwind(transfer, lease=lease, escrow=escrow, by=by, why=why)
    held = min(held_by_day(original, transfer.start).values(), default=0)
    _capacity_move(original, lease, quantity=transfer.quantity, start=transfer.start)
    for move in value.moves:
        instalment = move.instalment
        instalment.unit_days -= move.unit_days
        instalment.amount -= move.amount
        instalment.fee -= move.fee
        instalment.save(update_fields=["unit_days", "amount", "fee"])
    if value.carry:  # days already paid out: the receiver's payment pays the original exporter back
        escrow_services.escrow_carry(
            source=escrow,
            target=original_escrow,
            amount=value.carry,
            key=f"escrow:{original_escrow.pk}:transfer:{transfer.pk}:carry",
            reason="a transfer's receiver pays back days already paid out to the owner",
        )
    if value.value:
        escrow_services.escrow_refund(
            escrow=original_escrow,
            exporter=original.exporter,
            amount=value.refund,
            fee=value.fee,
            reason=f"transferred to lease #{lease.pk}",
            key=f"escrow:{original_escrow.pk}:transfer:{transfer.pk}",
        )
    transfer_transition(
        transfer, to=TransferState.COMPLETED, by=by, value=value.value, refund=value.refund, fee=value.fee
    )
    summary = (
        f"{transfer.quantity} units from {transfer.start:%d %b %Y} transferred to {lease.exporter} "
        f"(lease #{lease.pk}); refunded {value.money('refund')} after a {value.money('fee')} transfer fee"
    )
    if transfer.quantity >= held and all(item.unit_days == 0 for item in schedule.scheduled(original)):
        schedule.instalments_close(original, status=InstalmentStatus.TRANSFERRED)
        lease_transition(lease=original, to=S.TRANSFERRED, by=by, note=summary)
    else:
        lease_note(original, by=by, note=summary)
    lease_note(lease, by=by, note=f"Transfer from lease #{original.pk} completed")
    transfer_notify(
        "completed",
        [original.exporter, original.owner],
        original,
        count=transfer.quantity,
        date=lazy_date(transfer.start),
        receiver=lease.exporter,
        lease=lease.pk,
        refund=value.money("refund"),
        fee=value.money("fee"),
    )
    if lease.goods_carried:
        return lease_carry_in(lease=lease, escrow=escrow, by=by)
    return lease


def receiver_carry(lease: Lease) -> Decimal:
    """Of a transfer receiver's lease total, what pays the original exporter back for days already
    paid out to the owner (the rest is storage and the platform fee, released to the owner)."""
    return (
        lease.total - lease.storage_amount - lease.handling_in_amount - lease.handling_out_amount - lease.platform_fee
    )


def _capacity_move(original: Lease, receiver: Lease, *, quantity: int, start: date) -> None:
    """Split the original lease's holds from ``start``: ``quantity`` units go to the receiver."""
    for reservation in original.reservations.filter(released_at=None, end__gte=start).order_by("start"):
        first = max(reservation.start, start)
        keep = (
            [(reservation.start, first - timedelta(days=1), reservation.quantity)] if reservation.start < first else []
        )
        if reservation.quantity > quantity:
            keep.append((first, reservation.end, reservation.quantity - quantity))
        parts = capacity_reshape(reservation=reservation, parts=[*keep, (first, reservation.end, quantity)])
        original.reservations.remove(reservation)
        original.reservations.add(*parts[:-1])
        receiver.reservations.add(parts[-1])


def _unwind(transfer: LeaseTransfer, *, lease: Lease, escrow: Escrow, by: User | None, why: str) -> Lease:
    """The transfer can no longer complete: it lapses; the receiver's paid lease is cancelled
    and refunded in full."""
    if transfer.is_open:
        transfer_lapse(transfer, lease=transfer.lease, by=by, why=why)
    schedule.instalments_close(lease, status=InstalmentStatus.CANCELLED)
    escrow_services.escrow_refund(
        escrow=escrow,
        exporter=lease.exporter,
        amount=lease.total,
        reason=gettext_noop("the transfer could not complete"),
        key=f"escrow:{escrow.pk}:transfer-lapsed:refund",
    )
    return lease_transition(
        lease=lease, to=S.CANCELLED, by=by, note=f"The transfer could not complete ({why}); refunded in full"
    )

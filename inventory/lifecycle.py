"""Goods over a lease's life (docs/inventory.md, "Over a lease's life"): transfers and extensions
carry the stock, the end of the lease is announced once, goods left after it overstay.

Leasing never imports this: ``InventoryConfig.ready()`` connects ``connect()`` to leasing's hooks.
Every function here runs inside the leasing service's transaction (the hooks are sent under its
locks), or, for the sweep, locks the lease itself (``leasing.core.lease_lock``) first.

- **Transfer offer** (``transfer_changed`` with ``from_state`` None): ``transfer_stock_plan`` writes
  one ``TransferStockLine`` per SKU on hand: all of it when the offer hands on every unit the lease
  holds from its start, else each SKU's proportional share, rounded down.
- **Transfer completion** (``transfer_changed`` to completed): goods ``carry``: each line's units
  move (MOVED_OUT / MOVED_IN, with the transfer) to the receiver's lease, as the receiver's own SKU
  (same code, copied details); if fewer are available then, what is there moves and both leases'
  timelines say so. Goods ``remove``: ``transfer_goods_check`` (a ``leasing.hooks`` transfer check,
  run before the receiver is charged and again at completion) refuses while the offered share is
  still on the lease.
- **Extension**: the stock stays on the lease until it ends; when it completes and its extension is
  active — or when an extension becomes active after its lease completed — everything on hand moves
  to the extension, with the units held for open orders, and those orders follow (re-pointed to the
  extension, noted on their timeline).
- **End**: ``lease_end_remind`` (a sweep) reminds both sides once, from ``REMIND_DAYS`` before the end
  at the warehouse; a lease that completes with goods on hand and no extension to take them is
  ``Overstay``-ed (both sides told); it resolves when the lease's on-hand reaches 0 or an
  extension takes the goods over.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from common.i18n import lazy_format
from leasing.choices import LeaseOrigin, LeaseState, TransferGoods, TransferState
from leasing.core import held_by_day, lease_lock, lease_note, lease_today
from leasing.exceptions import InvalidTransfer
from leasing.models import Lease, LeaseTransfer
from leasing.notifications import lease_email
from warehouses.dates import today_range

from .choices import OPEN_ORDER_STATUSES, MovementKind
from .models import OrderEvent, OutboundOrder, StockLevel, StockMovement
from .models_lifecycle import LeaseEndReminder, Overstay, OverstayResolution, TransferStockLine
from .services import product_carried
from .services.ledger import levels_lock, movement_write, stock_hold, stock_release

S = LeaseState
# The reminder goes out this many days before the lease's last day, at the warehouse.
REMIND_DAYS = 7


def on_hand_of(lease: Lease | int) -> int:
    """Units on hand on ``lease`` (one query)."""
    lease_id = lease if isinstance(lease, int) else lease.pk
    return StockLevel.objects.filter(lease_id=lease_id).aggregate(n=Sum("on_hand"))["n"] or 0


# --- Transfers ---------------------------------------------------------------------------------


def _held_from(transfer: LeaseTransfer) -> int:
    """Units the offered lease holds on every day from the transfer's start."""
    return min(held_by_day(transfer.lease, transfer.start).values(), default=0)


def transfer_is_whole(transfer: LeaseTransfer) -> bool:
    """Whether the offer hands on every unit the lease holds from its start."""
    return transfer.quantity >= _held_from(transfer)


def transfer_stock_plan(transfer: LeaseTransfer) -> list[TransferStockLine]:
    """The goods the offer carries (or must see removed): one line per SKU on hand now."""
    held = _held_from(transfer)
    whole = transfer.quantity >= held
    lines = []
    for level in StockLevel.objects.filter(lease_id=transfer.lease_id, on_hand__gt=0).order_by("pk"):
        share = level.on_hand if whole or held <= 0 else level.on_hand * transfer.quantity // held
        if share:
            lines.append(
                TransferStockLine(
                    transfer=transfer, product_id=level.product_id, quantity=share, on_hand_at_offer=level.on_hand
                )
            )
    return TransferStockLine.objects.bulk_create(lines)


def transfer_goods_check(transfer: LeaseTransfer) -> None:
    """A transfer whose goods are to be removed completes only once they are gone: nothing on hand
    when it hands on the whole lease; else each offered SKU down by its line's share. Raises
    InvalidTransfer naming what is left (``leasing.hooks.transfer_check_register``)."""
    if transfer.goods != TransferGoods.REMOVE:
        return
    levels = {
        level.product_id: level
        for level in StockLevel.objects.filter(lease_id=transfer.lease_id, on_hand__gt=0).select_related("product")
    }
    if transfer_is_whole(transfer):
        left = sum(level.on_hand for level in levels.values())
    else:
        left = 0
        for line in transfer.stock_lines.all():
            level = levels.get(line.product_id)
            left += max((level.on_hand if level else 0) - (line.on_hand_at_offer - line.quantity), 0)
    if left:
        raise InvalidTransfer(
            _(
                "The goods must leave lease #%(lease)s before this transfer completes: %(units)s units "
                "are still there. The offering exporter orders a removal; once it has shipped, pay again."
            )
            % {"lease": transfer.lease_id, "units": left},
            code="goods_remain",
        )


def transfer_stock_carry(transfer: LeaseTransfer, *, by: User | None) -> int:
    """Move each offered line's units from the transferred lease to the receiver's (locked by the
    transfer's completion). Returns the units moved."""
    if transfer.goods != TransferGoods.CARRY or transfer.new_lease is None:
        return 0
    old, new = transfer.lease, transfer.new_lease
    lines = list(transfer.stock_lines.select_related("product"))
    levels = levels_lock([(old.pk, line.product_id) for line in lines], create=False)
    moved_total, short = 0, []
    for line in lines:
        level = levels.get((old.pk, line.product_id))
        moved = min(line.quantity, level.available if level else 0)
        if moved:
            target = product_carried(line.product, new)
            refs: dict[str, Any] = {"transfer": transfer, "reason": f"Transfer #{transfer.pk}"}
            movement_write(
                lease=old,
                product=line.product,
                kind=MovementKind.MOVED_OUT,
                quantity=-moved,
                by=by,
                other_lease=new,
                **refs,
            )
            movement_write(
                lease=new, product=target, kind=MovementKind.MOVED_IN, quantity=moved, by=by, other_lease=old, **refs
            )
        if moved < line.quantity:
            short.append(f"{line.product.sku} {moved} of {line.quantity}")
        line.moved = moved
        moved_total += moved
    TransferStockLine.objects.bulk_update(lines, ["moved"])
    note = f"Goods carried to lease #{new.pk}: {moved_total} units"
    if short:
        note += f"; less was on hand than offered ({', '.join(short)})"
    lease_note(old, by=by, note=note)
    lease_note(
        new,
        by=by,
        note=f"Goods carried from lease #{old.pk}: {moved_total} units"
        + (f"; less was on hand than offered ({', '.join(short)})" if short else ""),
    )
    return moved_total


# --- Extensions --------------------------------------------------------------------------------


def stock_carry_all(*, parent: Lease, child: Lease, by: User | None) -> int:
    """Everything on hand on ``parent`` moves to ``child`` (its extension), with the units held for
    open orders, and those orders follow. Returns the units moved."""
    levels = levels_lock(
        StockLevel.objects.filter(lease=parent, on_hand__gt=0).values_list("lease_id", "product_id"), create=False
    )
    total = 0
    for level in levels.values():
        product = level.product
        held, on_hand = level.held, level.on_hand
        if held:
            stock_release(lease_id=parent.pk, product=product, quantity=held)
        refs: dict[str, Any] = {"reason": f"Extension lease #{child.pk}"}
        movement_write(
            lease=parent,
            product=product,
            kind=MovementKind.MOVED_OUT,
            quantity=-on_hand,
            by=by,
            other_lease=child,
            **refs,
        )
        movement_write(
            lease=child,
            product=product,
            kind=MovementKind.MOVED_IN,
            quantity=on_hand,
            by=by,
            other_lease=parent,
            **refs,
        )
        if held:
            stock_hold(lease_id=child.pk, product=product, quantity=held)
        total += on_hand
    orders = list(OutboundOrder.objects.select_for_update().filter(lease=parent, status__in=OPEN_ORDER_STATUSES))
    if orders:
        OutboundOrder.objects.filter(pk__in=[order.pk for order in orders]).update(lease=child)
        OrderEvent.objects.bulk_create(
            OrderEvent(order=order, status=order.status, actor=by, note=f"Moved to extension lease #{child.pk}")
            for order in orders
        )
    if total or orders:
        lease_note(parent, by=by, note=f"Goods carried to extension lease #{child.pk}: {total} units")
        lease_note(child, by=by, note=f"Goods carried from lease #{parent.pk}: {total} units")
    return total


def _active_extension(lease: Lease) -> Lease | None:
    return (
        lease.children.select_for_update()
        .filter(origin=LeaseOrigin.EXTENSION, state=S.ACTIVE, goods_carried=True)
        .order_by("-end")
        .first()
    )


# --- The end of the lease ----------------------------------------------------------------------

GOODS_REMAIN = (
    gettext_lazy("Goods remain on a lease that ends soon"),
    gettext_lazy(
        "%(units)s units are still on lease #%(lease)s, which ends on %(end)s. Extend the lease, order a "
        "removal or transfer it before then; goods left after the end overstay."
    ),
)
OVERSTAYED = (
    gettext_lazy("Goods overstayed the end of a lease"),
    gettext_lazy(
        "Lease #%(lease)s ended on %(end)s with %(units)s units still in the warehouse. The exporter "
        "extends the lease (from the day after its end, at the listing's price) or orders a removal; "
        "until then the goods stay where they are."
    ),
)


def _tell(lease: Lease, message: tuple[Any, Any], **values: object) -> None:
    subject, text = message
    lease_email([lease.owner, lease.exporter], lease, subject, lazy_format(text, lease=lease.pk, **values))


def overstay_open(lease: Lease, *, by: User | None) -> Overstay | None:
    """``lease`` (locked) just completed: with goods on hand, it overstays (once)."""
    units = on_hand_of(lease)
    if not units:
        return None
    overstay, created = Overstay.objects.get_or_create(
        lease=lease, defaults={"since": lease.end + timedelta(days=1), "units": units}
    )
    if created:
        lease_note(lease, by=by, note=f"Goods overstayed the end: {units} units on hand")
        _tell(lease, OVERSTAYED, units=units, end=lease.end)
    return overstay


def overstay_resolve(lease_id: int, *, resolution: str, extension: Lease | None = None) -> bool:
    """Resolve ``lease_id``'s open overstay, if any (once)."""
    return bool(
        Overstay.objects.filter(lease_id=lease_id, resolved_at=None).update(
            resolved_at=timezone.now(), resolution=resolution, extension=extension
        )
    )


def late_extension_allowed(lease: Lease) -> bool:
    """A completed lease whose goods overstayed may still be extended (``leasing.hooks``)."""
    return Overstay.objects.filter(lease_id=lease.pk, resolved_at=None).exists()


def paid_extensions(parent: Any) -> QuerySet[Lease]:
    """Extensions of ``parent`` (a lease or an ``OuterRef``) that are paid: they take the goods over."""
    return Lease.objects.filter(parent=parent, origin=LeaseOrigin.EXTENSION, state__in=[S.FUNDED, S.ACTIVE])


def lease_end_remind() -> int:
    """The sweep: remind both sides of an active lease with goods on hand once, from ``REMIND_DAYS``
    before its last day at its warehouse, unless a paid extension takes the goods over."""
    latest = today_range()[1]
    has_goods = StockLevel.objects.filter(lease=OuterRef("pk"), on_hand__gt=0)
    paid_extension = paid_extensions(OuterRef("pk"))
    due = Q(state=S.ACTIVE, end__lte=latest + timedelta(days=REMIND_DAYS), end_reminder__isnull=True)
    candidates = (
        Lease.objects.filter(due)
        .filter(Exists(has_goods))
        .exclude(Exists(paid_extension))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    handled = 0
    for pk in candidates:
        with transaction.atomic():
            lease = lease_lock(Lease.objects.get(pk=pk)).lease
            if lease.state != S.ACTIVE or lease_today(lease) < lease.end - timedelta(days=REMIND_DAYS):
                continue
            if LeaseEndReminder.objects.filter(lease=lease).exists():
                continue
            units = on_hand_of(lease)
            if not units:
                continue
            LeaseEndReminder.objects.create(lease=lease, units=units)
            _tell(lease, GOODS_REMAIN, units=units, end=lease.end)
            handled += 1
    return handled


# --- The hooks ---------------------------------------------------------------------------------


def on_transfer_changed(*, transfer: LeaseTransfer, from_state: str | None, to_state: str, by: Any, **_: Any) -> None:
    if from_state is None:
        transfer_stock_plan(transfer)
    elif to_state == TransferState.COMPLETED:
        transfer_stock_carry(transfer, by=by)


def on_lease_changed(*, lease: Lease, from_state: str, to_state: str, by: Any, **_: Any) -> None:
    if to_state == S.COMPLETED:
        extension = _active_extension(lease)
        if extension is not None:
            stock_carry_all(parent=lease, child=extension, by=by)
        else:
            overstay_open(lease, by=by)
    elif to_state == S.ACTIVE and lease.origin == LeaseOrigin.EXTENSION and lease.goods_carried:
        assert lease.parent_id is not None
        parent = Lease.objects.select_for_update().get(pk=lease.parent_id)
        if parent.state == S.COMPLETED and on_hand_of(parent):
            stock_carry_all(parent=parent, child=lease, by=by)
            overstay_resolve(parent.pk, resolution=OverstayResolution.EXTENDED, extension=lease)


def on_stock_moved(*, movement: StockMovement, **_: Any) -> None:
    """An overstayed lease's last units left: its overstay resolves."""
    if movement.quantity >= 0 or movement.kind == MovementKind.MOVED_OUT:
        return
    if Overstay.objects.filter(lease_id=movement.lease_id, resolved_at=None).exists() and not on_hand_of(
        movement.lease_id
    ):
        overstay_resolve(movement.lease_id, resolution=OverstayResolution.REMOVED)

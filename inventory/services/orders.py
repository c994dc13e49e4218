"""Outbound orders: the exporter asks, the owner accepts (stock is held), picks, ships (docs/inventory.md).

Locks: ``order_create`` locks the lease row, then the stock levels; every later step locks the
order row, then the levels (``ledger.levels_lock``). Stock is held by a conditional UPDATE at
acceptance, so two orders can never take the same units; it leaves with the SHIPPED (or REMOVED)
movements when the order ships, or goes back when a held order is cancelled or refused.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django_countries import countries

from accounts.models import User
from accounts.selectors import user_is_member
from leasing.core import require_exporter, require_owner
from leasing.exceptions import NotAllowed
from leasing.models import Lease

from .. import rules
from ..choices import HOLDING_STATUSES, OPEN_ORDER_STATUSES, MovementKind, OrderKind, OrderStatus
from ..exceptions import InsufficientStock, InvalidOrder
from ..hooks import order_changed
from ..models import OrderEvent, OutboundLine, OutboundOrder, Product, StockLevel
from ..notifications import order_notify
from .ledger import levels_lock, movement_write, stock_hold, stock_release

__all__ = [
    "on_order",
    "order_accept",
    "order_cancel",
    "order_create",
    "order_deliver",
    "order_pick",
    "order_refuse",
    "order_ship",
]

OS = OrderStatus
# The step whose message tells the other side, by the status reached.
NOTIFY_STEP: dict[str, str] = {
    OS.REQUESTED: "order_requested",
    OS.ACCEPTED: "order_accepted",
    OS.REFUSED: "order_refused",
    OS.CANCELLED: "order_cancelled",
    OS.SHIPPED: "order_shipped",
    OS.DELIVERED: "order_delivered",
}


def on_order(lease: Lease, product_ids: list[int] | None = None) -> dict[int, int]:
    """Units of each product on open orders (requested, accepted, picked) of ``lease``."""
    lines = OutboundLine.objects.filter(order__lease=lease, order__status__in=OPEN_ORDER_STATUSES)
    if product_ids is not None:
        lines = lines.filter(product_id__in=product_ids)
    return {row["product_id"]: row["units"] for row in lines.values("product_id").annotate(units=Sum("quantity"))}


def _record(order: OutboundOrder, *, to: str, by: User | None, note: str = "", from_status: str | None) -> None:
    OrderEvent.objects.create(order=order, status=to, actor=by, note=note[:300])
    order_changed.send(sender=OutboundOrder, order=order, from_status=from_status, to_status=to, by=by)
    if to in NOTIFY_STEP:
        order_notify(order=order, step=NOTIFY_STEP[to])


def _transition(order: OutboundOrder, *, to: str, by: User | None, note: str = "", **fields: str) -> OutboundOrder:
    from_status = order.status
    order.status = to
    for name, value in fields.items():
        setattr(order, name, value)
    order.save()
    _record(order, to=to, by=by, note=note, from_status=from_status)
    return order


def _consignee(kind: str, name: str, address: str, country: str, phone: str) -> str:
    """The consignee's country code, checked: a shipment needs a name, address, country and phone."""
    code = str(countries.alpha2(country.strip()) or "") if country.strip() else ""
    if country.strip() and not code:
        raise InvalidOrder(_("%(value)s is not a country.") % {"value": country.strip()}, code="invalid_country")
    if kind == OrderKind.SHIP and not (name.strip() and address.strip() and code and phone.strip()):
        raise InvalidOrder(_("Give the consignee's name, address, country and phone."), code="consignee_missing")
    return code


def _wanted(lease: Lease, kind: str, lines: list[tuple[Product, int]]) -> dict[Product, int]:
    """The order's lines, checked: the exporter's own products, each once, in whole units ≥ 1."""
    if kind == OrderKind.REMOVAL:
        if lines:
            raise InvalidOrder(_("A removal takes everything on hand: give no lines."))
        return {}
    if not lines:
        raise InvalidOrder(_("Order at least one product."), code="no_lines")
    wanted: dict[Product, int] = {}
    for product, quantity in lines:
        if not isinstance(product, Product) or product.organisation_id != lease.exporter_id:
            raise InvalidOrder(_("Unknown product: order only your own SKUs."), code="unknown_product")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise InvalidOrder(
                _("%(sku)s: order a whole number of 1 or more units.") % {"sku": product.sku}, code="invalid_quantity"
            )
        if product in wanted:
            raise InvalidOrder(_("%(sku)s is ordered twice: give each SKU once.") % {"sku": product.sku})
        wanted[product] = quantity
    return wanted


@transaction.atomic
def order_create(
    *,
    lease: Lease,
    by: User,
    kind: str,
    lines: list[tuple[Product, int]],
    reference: str = "",
    consignee_name: str = "",
    consignee_address: str = "",
    consignee_city: str = "",
    consignee_country: str = "",
    consignee_phone: str = "",
) -> OutboundOrder:
    """The exporter (``by``, a member) asks for goods out of ``lease``. ``kind`` ship (to a
    consignee: name, address, country and phone), pickup (the exporter's carrier) or removal (no
    lines: everything on hand not already on order).

    Handling out is paid in the lease's price for the goods on the lease, once each: an order may
    ask only for units on hand that no other open order asks for (else InsufficientStock, code
    ``insufficient_stock`` or ``beyond_paid_units``). Locks the lease row, then the stock levels.
    Nothing is held yet: stock is held when the owner accepts."""
    require_exporter(lease, by)
    if kind not in OrderKind.values:
        raise InvalidOrder(_("Choose how the goods leave: shipped, picked up or removed."), code="invalid_kind")
    country = _consignee(kind, consignee_name, consignee_address, consignee_country, consignee_phone)
    wanted = _wanted(lease, kind, lines)
    lease = Lease.objects.select_for_update().get(pk=lease.pk)
    rules.order_create_allowed(lease, lease.exporter_id).require()
    if kind == OrderKind.REMOVAL:
        levels = {
            row.product_id: row
            for row in StockLevel.objects.select_for_update().filter(lease=lease, on_hand__gt=0).order_by("pk")
        }
        ordered = on_order(lease)
        products = Product.objects.in_bulk(list(levels))
        wanted = {
            products[pid]: level.on_hand - ordered.get(pid, 0)
            for pid, level in levels.items()
            if level.on_hand > ordered.get(pid, 0)
        }
        if not wanted:
            raise InvalidOrder(_("Everything on hand is already on open orders: nothing is left to remove."))
    else:
        locked = levels_lock([(lease.pk, product.pk) for product in wanted], create=False)
        ordered = on_order(lease, [product.pk for product in wanted])
        for product, quantity in wanted.items():
            level = locked.get((lease.pk, product.pk))
            held_elsewhere = ordered.get(product.pk, 0)
            on_hand = level.on_hand if level else 0
            if quantity <= on_hand - held_elsewhere:
                continue
            if held_elsewhere == 0:
                raise InsufficientStock(
                    _("Only %(on_hand)s units of %(sku)s are on hand on lease #%(lease)s (you asked for %(quantity)s).")
                    % {"on_hand": on_hand, "sku": product.sku, "lease": lease.pk, "quantity": quantity}
                )
            raise InsufficientStock(
                _(
                    "Handling out is paid for the goods on lease #%(lease)s once each: %(on_hand)s units of "
                    "%(sku)s are on hand and %(ordered)s are already on open orders, so at most %(free)s more "
                    "can be ordered (you asked for %(quantity)s)."
                )
                % {
                    "lease": lease.pk,
                    "on_hand": on_hand,
                    "sku": product.sku,
                    "ordered": held_elsewhere,
                    "free": max(on_hand - held_elsewhere, 0),
                    "quantity": quantity,
                },
                code="beyond_paid_units",
            )
    order = OutboundOrder.objects.create(
        lease=lease,
        kind=kind,
        reference=reference.strip()[:64],
        consignee_name=consignee_name.strip()[:200],
        consignee_address=consignee_address.strip()[:300],
        consignee_city=consignee_city.strip()[:100],
        consignee_country=country,
        consignee_phone=consignee_phone.strip()[:40],
        requested_by=by,
    )
    OutboundLine.objects.bulk_create(
        [
            OutboundLine(order=order, product=product, quantity=quantity)
            for product, quantity in sorted(wanted.items(), key=lambda item: item[0].pk)
        ]
    )
    _record(order, to=OS.REQUESTED, by=by, from_status=None)
    return order


def _lock(order: OutboundOrder) -> OutboundOrder:
    return OutboundOrder.objects.select_for_update().select_related("lease__listing__warehouse").get(pk=order.pk)


def _lines(order: OutboundOrder) -> list[OutboundLine]:
    lines = list(order.lines.select_related("product").order_by("product_id"))
    levels_lock([(order.lease_id, line.product_id) for line in lines], create=False)
    return lines


def _release(order: OutboundOrder) -> None:
    if order.status in HOLDING_STATUSES:
        for line in _lines(order):
            stock_release(lease_id=order.lease_id, product=line.product, quantity=line.quantity)


@transaction.atomic
def order_accept(*, order: OutboundOrder, by: User) -> OutboundOrder:
    """The owner accepts: every line's units are held (conditional UPDATE ``held = held + q``
    where ``on_hand - held >= q``), all or nothing; InsufficientStock if any is short."""
    require_owner(order.lease, by)
    order = _lock(order)
    rules.order_step(order, rules.OWNER, "accept").require()
    for line in _lines(order):
        stock_hold(lease_id=order.lease_id, product=line.product, quantity=line.quantity)
    return _transition(order, to=OS.ACCEPTED, by=by)


@transaction.atomic
def order_cancel(*, order: OutboundOrder, by: User) -> OutboundOrder:
    """The exporter cancels before picking; held stock goes back."""
    require_exporter(order.lease, by)
    order = _lock(order)
    rules.order_step(order, rules.EXPORTER, "cancel").require()
    _release(order)
    return _transition(order, to=OS.CANCELLED, by=by)


@transaction.atomic
def order_refuse(*, order: OutboundOrder, by: User, reason: str) -> OutboundOrder:
    """The owner refuses, with a reason, until the order ships; held stock goes back."""
    require_owner(order.lease, by)
    if not reason.strip():
        raise InvalidOrder(_("Give the reason for refusing the order."), code="reason_missing")
    order = _lock(order)
    rules.order_step(order, rules.OWNER, "refuse").require()
    _release(order)
    return _transition(order, to=OS.REFUSED, by=by, note=reason.strip(), refuse_reason=reason.strip()[:300])


@transaction.atomic
def order_pick(*, order: OutboundOrder, by: User) -> OutboundOrder:
    """The owner has picked the goods: the exporter can no longer cancel."""
    require_owner(order.lease, by)
    order = _lock(order)
    rules.order_step(order, rules.OWNER, "pick").require()
    return _transition(order, to=OS.PICKED, by=by)


@transaction.atomic
def order_ship(*, order: OutboundOrder, by: User, carrier: str, tracking_number: str) -> OutboundOrder:
    """The owner ships a picked order: each line leaves the held stock (``on_hand -= q``, ``held -=
    q``) with a SHIPPED movement (REMOVED for a removal)."""
    require_owner(order.lease, by)
    if not carrier.strip() or (order.kind == OrderKind.SHIP and not tracking_number.strip()):
        raise InvalidOrder(_("Give the carrier and the tracking number."), code="tracking_missing")
    order = _lock(order)
    rules.order_step(order, rules.OWNER, "ship").require()
    kind = MovementKind.REMOVED if order.kind == OrderKind.REMOVAL else MovementKind.SHIPPED
    for line in _lines(order):
        movement_write(
            lease=order.lease,
            product=line.product,
            kind=kind,
            quantity=-line.quantity,
            by=by,
            from_held=True,
            order=order,
        )
    note = f"{carrier.strip()} {tracking_number.strip()}".strip()
    return _transition(
        order,
        to=OS.SHIPPED,
        by=by,
        note=note,
        carrier=carrier.strip()[:100],
        tracking_number=tracking_number.strip()[:100],
    )


@transaction.atomic
def order_deliver(*, order: OutboundOrder, by: User) -> OutboundOrder:
    """Either side records that a shipped order arrived (the consignee or the carrier confirmed)."""
    lease = order.lease
    if user_is_member(by, lease.exporter):
        side = rules.EXPORTER
    elif user_is_member(by, lease.listing.warehouse.organisation):
        side = rules.OWNER
    else:
        raise NotAllowed(_("Only the exporter or the warehouse owner can do this."))
    order = _lock(order)
    rules.order_step(order, side, "deliver").require()
    return _transition(order, to=OS.DELIVERED, by=by)

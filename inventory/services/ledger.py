"""The stock ledger's primitives, shared by every inventory service (public by design).

Every movement is one ``StockMovement`` row and the same change to its ``StockLevel`` row, in the
caller's transaction. Stock is taken away only by a conditional UPDATE whose condition is the CHECK
it must keep (``on_hand - held >= q`` for units not held; ``held >= q`` for held units leaving with
their order), and the row count is checked: two requests can never take the same units, and the
database CHECKs never fire in normal use.

Lock order: the lease row (where a service locks it), then the stock levels in primary-key order
(``levels_lock``); an order step locks its order row first, then the levels.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import F, Q
from django.utils.translation import gettext as _

from accounts.models import User
from leasing.models import Lease

from ..exceptions import InsufficientStock
from ..hooks import stock_moved
from ..models import Product, StockLevel, StockMovement

__all__ = ["levels_lock", "movement_write", "stock_hold", "stock_release"]


def levels_lock(pairs: Iterable[tuple[int, int]], *, create: bool = True) -> dict[tuple[int, int], StockLevel]:
    """Lock the stock levels of ``(lease_id, product_id)`` pairs in primary-key order (created at 0
    first, with ``create``) and return them by pair."""
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    if create:
        StockLevel.objects.bulk_create(
            [StockLevel(lease_id=lease_id, product_id=product_id) for lease_id, product_id in wanted],
            ignore_conflicts=True,
        )
    match = Q()
    for lease_id, product_id in wanted:
        match |= Q(lease_id=lease_id, product_id=product_id)
    rows = StockLevel.objects.select_for_update().filter(match).order_by("pk")
    return {(row.lease_id, row.product_id): row for row in rows}


def _short(lease: Lease | int, product: Product, quantity: int) -> InsufficientStock:
    lease_id = lease if isinstance(lease, int) else lease.pk
    level = StockLevel.objects.filter(lease_id=lease_id, product=product).first()
    available = level.available if level else 0
    return InsufficientStock(
        _("Only %(available)s units of %(sku)s are available on lease #%(lease)s (asked for %(quantity)s).")
        % {"available": available, "sku": product.sku, "lease": lease_id, "quantity": quantity}
    )


def movement_write(
    *,
    lease: Lease,
    product: Product,
    kind: str,
    quantity: int,
    by: User | None,
    from_held: bool = False,
    **refs: Any,
) -> StockMovement:
    """Write one movement of signed ``quantity`` and apply it to the level (created if missing).

    Units going out come from what is available (on hand, not held), or with ``from_held`` from
    the units held for an order (they leave the hold too). Raises InsufficientStock (nothing
    written) when they are not there. ``refs``: reason, order, checkin_line, transfer, other_lease.
    Sends ``hooks.stock_moved``."""
    if quantity == 0:
        raise ValueError("a stock movement moves at least one unit")
    levels = StockLevel.objects.filter(lease=lease, product=product)
    if quantity > 0:
        levels_lock([(lease.pk, product.pk)])
        updated = levels.update(on_hand=F("on_hand") + quantity)
    elif from_held:
        updated = levels.filter(held__gte=-quantity).update(on_hand=F("on_hand") + quantity, held=F("held") + quantity)
    else:
        updated = levels.filter(on_hand__gte=F("held") - quantity).update(on_hand=F("on_hand") + quantity)
    if updated != 1:
        raise _short(lease, product, -quantity)
    movement = StockMovement.objects.create(
        lease=lease, product=product, kind=kind, quantity=quantity, actor=by, **refs
    )
    stock_moved.send(sender=StockMovement, movement=movement)
    return movement


def stock_hold(*, lease_id: int, product: Product, quantity: int) -> None:
    """Hold ``quantity`` available units for an accepted order, or raise InsufficientStock."""
    updated = StockLevel.objects.filter(lease_id=lease_id, product=product, on_hand__gte=F("held") + quantity).update(
        held=F("held") + quantity
    )
    if updated != 1:
        raise _short(lease_id, product, quantity)


def stock_release(*, lease_id: int, product: Product, quantity: int) -> None:
    """Give back units held for an order that will not ship (cancelled or refused)."""
    updated = StockLevel.objects.filter(lease_id=lease_id, product=product, held__gte=quantity).update(
        held=F("held") - quantity
    )
    if updated != 1:
        raise AssertionError(f"stock level of product {product.pk} on lease {lease_id} holds less than {quantity}")

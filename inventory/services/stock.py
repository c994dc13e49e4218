"""Goods in and between leases: receipts from check-ins, the owner's adjustments, moves between leases."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from leasing.core import require_owner
from leasing.models import CheckIn, Lease, LeaseTransfer
from leasing.services.shipments import CHECKIN_PHOTOS_MAX
from trust.services.audit import audit_record
from warehouses.validators import image_content_type

from .. import rules
from ..choices import MovementKind
from ..exceptions import InvalidAdjustment, InvalidMove
from ..models import AdjustmentPhoto, Product, StockMovement
from ..notifications import stock_notify
from .ledger import levels_lock, movement_write
from .products import PRODUCT_COLUMNS, product_for_line

__all__ = [
    "ADJUSTMENT_KINDS",
    "adjustment_photos_valid",
    "product_carried",
    "stock_adjust",
    "stock_move",
    "stock_receive",
]

M = MovementKind
# An adjustment's kind -> the sign of its movement.
ADJUSTMENT_KINDS: dict[str, int] = {M.FOUND: 1, M.LOST: -1, M.DAMAGED: -1}
DAMAGED_AT_CHECKIN = "Damaged on arrival (check-in)"


def adjustment_photos_valid(photos: list) -> list:
    """Run the photo field's validators (type, size, real image) and the count (at most
    ``CHECKIN_PHOTOS_MAX``, as for a check-in) before anything is written."""
    if len(photos) > CHECKIN_PHOTOS_MAX:
        raise InvalidAdjustment(_("Add at most %(limit)s photos.") % {"limit": CHECKIN_PHOTOS_MAX})
    field = AdjustmentPhoto._meta.get_field("image")
    for image in photos:
        try:
            field.run_validators(image)
        except ValidationError as error:
            raise InvalidAdjustment(
                _("%(file)s: %(problem)s")
                % {"file": getattr(image, "name", None) or _("A photo"), "problem": " ".join(error.messages)}
            ) from error
    return photos


def _units(quantity: object) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise InvalidAdjustment(_("Give a whole number of 1 or more units."), code="invalid_quantity")
    return quantity


@transaction.atomic
def stock_adjust(
    *, lease: Lease, product: Product, by: User, kind: str, quantity: int, reason: str, photos: list | None = None
) -> StockMovement:
    """The owner (``by``, a member) records units of ``product`` found, lost or damaged on ``lease``,
    with a reason and up to 10 photos. ``quantity`` > 0; the sign comes from ``kind``. Lost or
    damaged units must be available (not held for an accepted order: refuse the order first).
    Writes an audit-log entry and tells the exporter, who may dispute it on the lease page. Locks
    the lease row, then the stock level. Raises InvalidAdjustment, InsufficientStock, NotAllowed."""
    require_owner(lease, by)
    if kind not in ADJUSTMENT_KINDS:
        raise InvalidAdjustment(_("Choose found, lost or damaged."), code="invalid_kind")
    units = _units(quantity)
    if not reason.strip():
        raise InvalidAdjustment(_("Give the reason for the adjustment."), code="reason_missing")
    if product.organisation_id != lease.exporter_id:
        raise InvalidAdjustment(_("Unknown product: it is not the exporter's."), code="unknown_product")
    images = adjustment_photos_valid(photos or [])
    lease = Lease.objects.select_for_update().select_related("listing__warehouse").get(pk=lease.pk)
    rules.adjust_allowed(lease, lease.listing.warehouse.organisation_id).require()
    levels_lock([(lease.pk, product.pk)])
    movement = movement_write(
        lease=lease, product=product, kind=kind, quantity=ADJUSTMENT_KINDS[kind] * units, by=by, reason=reason.strip()
    )
    AdjustmentPhoto.objects.bulk_create(
        [
            AdjustmentPhoto(movement=movement, image=image, content_type=image_content_type(image), size=image.size)
            for image in images
        ]
    )
    audit_record(
        actor=by,
        action=f"stock.{kind}",
        obj=movement,
        after={
            "lease": lease.pk,
            "sku": product.sku,
            "quantity": movement.quantity,
            "reason": movement.reason,
            "photos": len(images),
        },
    )
    stock_notify(movement=movement, step="stock_adjusted")
    return movement


@transaction.atomic
def stock_move(
    *,
    from_lease: Lease,
    to_lease: Lease,
    quantities: dict[int, int],
    by: User | None,
    kind_reason: str,
    transfer: LeaseTransfer | None = None,
) -> list[StockMovement]:
    """Carry goods from one lease to another at the same warehouse (an extension, a transfer):
    ``quantities`` maps product ids to units, each available (not held) on ``from_lease``. Writes a
    MOVED_OUT and a MOVED_IN movement per product, with ``kind_reason`` as their reason. When the
    receiving lease belongs to another exporter (a transfer), the goods arrive as that exporter's
    product with the same SKU (``product_carried``), so they can order them out. The caller
    checks who may do it (a leasing or lifecycle service). Locks the stock levels (both leases, in
    primary-key order). Raises InvalidMove, InsufficientStock; nothing written on refusal."""
    if from_lease.pk == to_lease.pk:
        raise InvalidMove(_("Goods move between two different leases."))
    if from_lease.listing.warehouse_id != to_lease.listing.warehouse_id:
        raise InvalidMove(_("Goods move only between leases at the same warehouse."))
    if not quantities:
        raise InvalidMove(_("Nothing to move."))
    for units in quantities.values():
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise InvalidMove(_("Move a whole number of 1 or more units."), code="invalid_quantity")
    products = Product.objects.in_bulk(list(quantities))
    if set(products) != set(quantities):
        raise InvalidMove(_("Unknown product."), code="unknown_product")
    receiving = {pid: product_carried(product, to_lease) for pid, product in products.items()}
    levels_lock(
        [(from_lease.pk, pid) for pid in quantities] + [(to_lease.pk, product.pk) for product in receiving.values()]
    )
    movements: list[StockMovement] = []
    for pid in sorted(quantities):
        product, units = products[pid], quantities[pid]
        for lease, kind, signed, other, moved in (
            (from_lease, M.MOVED_OUT, -units, to_lease, product),
            (to_lease, M.MOVED_IN, units, from_lease, receiving[pid]),
        ):
            movements.append(
                movement_write(
                    lease=lease,
                    product=moved,
                    kind=kind,
                    quantity=signed,
                    by=by,
                    reason=kind_reason[:300],
                    transfer=transfer,
                    other_lease=other,
                )
            )
    return movements


def product_carried(product: Product, lease: Lease) -> Product:
    """The product goods of ``product`` are on ``lease``: the same one if the lease's exporter owns
    it, else that exporter's product with the same SKU (without case), created as a copy of it."""
    if product.organisation_id == lease.exporter_id:
        return product
    found = Product.objects.filter(organisation_id=lease.exporter_id, sku__iexact=product.sku).order_by("pk").first()
    if found is not None:
        return found
    copy = {name: getattr(product, name) for name in PRODUCT_COLUMNS}
    try:
        with transaction.atomic():
            return Product.objects.create(organisation_id=lease.exporter_id, **copy)
    except IntegrityError:  # created at the same moment by another move
        return Product.objects.get(organisation_id=lease.exporter_id, sku=product.sku)


def stock_receive(*, checkin: CheckIn, by: User | None, **_: object) -> list[StockMovement]:
    """The goods of a check-in enter the ledger (connected to ``leasing.hooks.checkin_recorded``,
    inside ``checkin_record``'s transaction). Each line's product is found by its SKU, or made from
    the line (``product_for_line``); its received units are a RECEIVED movement, and the units
    found damaged are then written off by a DAMAGED movement (the exporter may dispute the check-in)."""
    shipment = checkin.shipment
    lease = shipment.lease
    movements: list[StockMovement] = []
    with transaction.atomic():
        lines = list(checkin.lines.select_related("line").order_by("pk"))
        products = {
            line.pk: product_for_line(organisation=lease.exporter, sku=line.line.sku, description=line.line.description)
            for line in lines
        }
        levels_lock([(lease.pk, product.pk) for product in products.values()])
        for line in lines:
            product = products[line.pk]
            if line.received_quantity > 0:
                movements.append(
                    movement_write(
                        lease=lease,
                        product=product,
                        kind=M.RECEIVED,
                        quantity=line.received_quantity,
                        by=by,
                        checkin_line=line,
                    )
                )
            damaged = getattr(line, "damaged_quantity", 0)
            if damaged > 0:
                movements.append(
                    movement_write(
                        lease=lease,
                        product=product,
                        kind=M.DAMAGED,
                        quantity=-damaged,
                        by=by,
                        checkin_line=line,
                        reason=DAMAGED_AT_CHECKIN,
                    )
                )
    return movements

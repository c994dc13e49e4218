"""Inbound shipments: the exporter announces them, the owner marks them forward and checks the goods in."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from warehouses.validators import image_content_type

from .. import rules
from ..choices import GoodsCondition, ShipmentStatus
from ..choices import LeaseState as S
from ..core import lease_lock, lease_note, lease_settings, lease_transition, require_exporter, require_owner
from ..exceptions import InvalidShipment
from ..hooks import checkin_recorded
from ..models import CheckIn, CheckInLine, CheckInPhoto, InboundShipment, Lease, ShipmentEvent, ShipmentLine
from ..notifications import lease_notify


@dataclass(frozen=True)
class DeclaredLine:
    description: str
    quantity: int
    sku: str = ""
    weight_kg: Decimal | None = None


@transaction.atomic
def shipment_announce(
    *,
    lease: Lease,
    by: User,
    carrier: str,
    tracking_number: str,
    eta: date,
    lines: list[DeclaredLine],
    weight_kg: Decimal | None = None,
    customs_reference: str = "",
) -> InboundShipment:
    """The exporter announces goods on their way to a paid lease."""
    require_exporter(lease, by)
    locked = lease_lock(lease)
    rules.announce(locked.lease, rules.EXPORTER).require()
    if not lines or any(line.quantity < 1 for line in lines):
        raise InvalidShipment(_("Declare at least one line with a quantity of 1 or more."))
    if lease.listing.warehouse.customs_status != "general" and not customs_reference.strip():
        raise InvalidShipment(_("This warehouse is bonded: give the customs reference for the goods."))
    shipment = InboundShipment.objects.create(
        lease=locked.lease,
        carrier=carrier,
        tracking_number=tracking_number,
        eta=eta,
        weight_kg=weight_kg,
        customs_reference=customs_reference,
    )
    ShipmentLine.objects.bulk_create(
        [
            ShipmentLine(
                shipment=shipment,
                description=line.description,
                quantity=line.quantity,
                sku=line.sku,
                weight_kg=line.weight_kg,
            )
            for line in lines
        ]
    )
    ShipmentEvent.objects.create(shipment=shipment, status=ShipmentStatus.ANNOUNCED, actor=by)
    lease_note(locked.lease, by=by, note=f"Shipment announced: {carrier} {tracking_number}, ETA {eta:%d %b %Y}")
    lease_notify(lease=locked.lease, step="shipment_announced")
    return shipment


@transaction.atomic
def shipment_mark(*, shipment: InboundShipment, by: User, status: str, note: str = "") -> InboundShipment:
    """The owner moves a shipment forward: in transit, arrived. Never backwards."""
    require_owner(shipment.lease, by)
    locked = lease_lock(shipment.lease)
    shipment = InboundShipment.objects.select_for_update().get(pk=shipment.pk)
    rules.mark(locked.lease, rules.OWNER, shipment, status).require()
    shipment.status = status
    shipment.save(update_fields=["status"])
    ShipmentEvent.objects.create(shipment=shipment, status=status, actor=by, note=note)
    if status == ShipmentStatus.ARRIVED:
        lease_note(shipment.lease, by=by, note=f"Shipment {shipment.tracking_number} arrived")
        lease_notify(lease=shipment.lease, step="shipment_arrived")
    return shipment


CHECKIN_PHOTOS_MAX = 10  # photos one check-in takes, on the page and through the API


def _valid_photos(photos: list) -> list:
    """Run the photo field's validators (type, size, real image) and the count before anything is written."""
    if len(photos) > CHECKIN_PHOTOS_MAX:
        raise InvalidShipment(_("Add at most %(limit)s photos.") % {"limit": CHECKIN_PHOTOS_MAX})
    field = CheckInPhoto._meta.get_field("image")
    for image in photos:
        try:
            field.run_validators(image)
        except ValidationError as error:
            raise InvalidShipment(
                _("%(file)s: %(problem)s")
                % {"file": getattr(image, "name", None) or _("A photo"), "problem": " ".join(error.messages)}
            ) from error
    return photos


@transaction.atomic
def checkin_record(
    *,
    shipment: InboundShipment,
    by: User,
    received: dict[int, int],
    condition: str = GoodsCondition.GOOD,
    notes: str = "",
    photos: list | None = None,
    damaged: dict[int, int] | None = None,
) -> CheckIn:
    """The owner counts the goods in. ``received`` maps each declared line's id to the count;
    ``damaged`` (optional) maps line ids to how many of the received units arrived damaged (0 to
    the received count). Over or short per line is received − declared (``CheckInLine.difference``).

    Records the difference against what was declared and whether it is within tolerance, then
    moves the lease to ``checked_in``: the exporter's confirmation window starts.
    """
    require_owner(shipment.lease, by)
    images = _valid_photos(photos or [])
    locked = lease_lock(shipment.lease)
    shipment = InboundShipment.objects.select_for_update().get(pk=shipment.pk)
    rules.check_in(locked.lease, rules.OWNER, shipment).require()
    lines = list(shipment.lines.all())
    if set(received) != {line.pk for line in lines} or any(count < 0 for count in received.values()):
        raise InvalidShipment(_("Give a received count (0 or more) for every declared line."))
    damaged = damaged or {}
    if not set(damaged) <= set(received) or any(
        not 0 <= count <= received[line_id] for line_id, count in damaged.items()
    ):
        raise InvalidShipment(_("Damaged units are counted among the received units of a declared line (0 or more)."))
    declared_total = sum(line.quantity for line in lines)
    received_total = sum(received.values())
    tolerance = lease_settings()["CHECKIN_TOLERANCE_PERCENT"]
    within = abs(received_total - declared_total) * 100 <= tolerance * declared_total
    checkin = CheckIn.objects.create(
        shipment=shipment,
        recorded_by=by,
        condition=condition,
        notes=notes,
        declared_total=declared_total,
        received_total=received_total,
        tolerance_percent=tolerance,
        within_tolerance=within,
    )
    CheckInLine.objects.bulk_create(
        [
            CheckInLine(
                checkin=checkin,
                line=line,
                received_quantity=received[line.pk],
                damaged_quantity=damaged.get(line.pk, 0),
            )
            for line in lines
        ]
    )
    CheckInPhoto.objects.bulk_create(
        [
            CheckInPhoto(checkin=checkin, image=image, content_type=image_content_type(image), size=image.size)
            for image in images
        ]
    )
    shipment.status = ShipmentStatus.CHECKED_IN
    shipment.save(update_fields=["status"])
    checkin_recorded.send(sender=CheckIn, checkin=checkin, by=by)
    ShipmentEvent.objects.create(shipment=shipment, status=ShipmentStatus.CHECKED_IN, actor=by)
    summary = f"Checked in {received_total} of {declared_total} declared ({shipment.tracking_number})" + (
        "" if within else f" — outside the {tolerance}% tolerance"
    )
    waiting = shipments_waiting(locked.lease)
    if locked.lease.state == S.FUNDED and not waiting:
        lease_transition(lease=locked.lease, to=S.CHECKED_IN, by=by, note=summary)
    else:
        # A part of the goods: release waits for the other shipments (or the exporter confirms
        # what arrived); a part arriving after that is recorded against the active lease.
        more = f"; {waiting} more shipment{'s' if waiting != 1 else ''} to come" if waiting else ""
        lease_note(locked.lease, by=by, note=summary + more)
        lease_notify(lease=locked.lease, step="part_checked_in")
    return checkin


def shipments_waiting(lease: Lease) -> int:
    """Announced shipments of ``lease`` not checked in yet."""
    return lease.shipments.exclude(status=ShipmentStatus.CHECKED_IN).count()

"""Webhook events from the domain's own records, without touching the domain's services.

Every lease state change writes a ``LeaseEvent``, every shipment step a ``ShipmentEvent``, a
check-in a ``CheckIn``, an escrow release a ``Payout``: their ``post_save`` runs inside the
service's transaction, so a delivery exists exactly when the change is committed.
"""

from typing import Any

from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver

from escrow.choices import PayoutStatus
from escrow.models import Payout
from leasing.choices import ShipmentStatus
from leasing.models import CheckIn, Lease, LeaseEvent, ShipmentEvent

from .choices import EVENT_NAMES
from .webhooks import event_record

SHIPMENT_EVENTS = {
    ShipmentStatus.ANNOUNCED: "shipment.announced",
    ShipmentStatus.IN_TRANSIT: "shipment.in_transit",
    ShipmentStatus.ARRIVED: "shipment.arrived",
}


def _parties(lease_id: int) -> Q:
    """Endpoints of both sides of a lease: its exporter and its warehouse's owner."""
    leases = Lease.objects.filter(pk=lease_id)
    return Q(organisation__in=leases.values("exporter_id")) | Q(
        organisation__in=leases.values("listing__warehouse__organisation_id")
    )


def _lease_data(lease: Lease) -> dict[str, Any]:
    return {
        "id": lease.pk,
        "state": lease.state,
        "listing": lease.listing_id,
        "exporter": lease.exporter_id,
        "start": lease.start,
        "end": lease.end,
        "quantity": lease.quantity,
        "total": lease.total,
        "currency": lease.currency,
    }


@receiver(post_save, sender=LeaseEvent, dispatch_uid="api.lease_event")
def lease_event_saved(sender: Any, instance: LeaseEvent, created: bool, raw: bool = False, **kwargs: Any) -> None:
    event_type = f"lease.{instance.to_state}"
    if raw or not created or instance.from_state == instance.to_state or event_type not in EVENT_NAMES:
        return
    lease = instance.lease
    event_record(
        event_type=event_type,
        source=f"lease_event:{instance.pk}",
        recipients=_parties(lease.pk),
        data={"lease": _lease_data(lease), "from_state": instance.from_state or None, "note": instance.note},
    )


@receiver(post_save, sender=ShipmentEvent, dispatch_uid="api.shipment_event")
def shipment_event_saved(sender: Any, instance: ShipmentEvent, created: bool, raw: bool = False, **kwargs: Any) -> None:
    event_type = SHIPMENT_EVENTS.get(instance.status)  # type: ignore[call-overload]
    if raw or not created or event_type is None:
        return
    shipment = instance.shipment
    event_record(
        event_type=event_type,
        source=f"shipment_event:{instance.pk}",
        recipients=_parties(shipment.lease_id),
        data={
            "shipment": {
                "id": shipment.pk,
                "lease": shipment.lease_id,
                "status": instance.status,
                "carrier": shipment.carrier,
                "tracking_number": shipment.tracking_number,
                "eta": shipment.eta,
            },
            "note": instance.note,
        },
    )


@receiver(post_save, sender=CheckIn, dispatch_uid="api.checkin")
def checkin_saved(sender: Any, instance: CheckIn, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw or not created:
        return
    lease_id = instance.shipment.lease_id
    event_record(
        event_type="checkin.recorded",
        source=f"checkin:{instance.pk}",
        recipients=_parties(lease_id),
        data={
            "checkin": {
                "id": instance.pk,
                "shipment": instance.shipment_id,
                "lease": lease_id,
                "condition": instance.condition,
                "declared_total": instance.declared_total,
                "received_total": instance.received_total,
                "within_tolerance": instance.within_tolerance,
            }
        },
    )


@receiver(post_save, sender=Payout, dispatch_uid="api.payout")
def payout_saved(sender: Any, instance: Payout, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    lease_id = instance.escrow.lease_id
    payout = {"id": instance.pk, "amount": instance.amount, "currency": instance.currency, "status": instance.status}
    if created:
        event_record(
            event_type="escrow.released",
            source=f"payout:{instance.pk}",
            recipients=_parties(lease_id),
            data={"lease": lease_id, "payout": payout},
        )
    elif instance.status == PayoutStatus.PAID:
        event_record(
            event_type="payout.paid",
            source=f"payout_paid:{instance.pk}",
            recipients=Q(organisation_id=instance.organisation_id),
            data={"lease": lease_id, "payout": payout},
        )

"""Webhook events from the domain's own records and hooks, without touching the domain's services.

Every lease state change writes a ``LeaseEvent``, every shipment step a ``ShipmentEvent``, a
check-in a ``CheckIn``: their ``post_save`` runs inside the service's transaction. Transfers,
disputes, payouts, refunds, stock movements and outbound orders change state in one place each,
which sends a hook the API connects to here (``leasing.hooks.transfer_changed``,
``trust.hooks.dispute_changed``, ``escrow.hooks.payout_changed`` / ``refund_changed``,
``inventory.hooks.stock_moved`` / ``order_changed``), also inside the transaction: a delivery
exists exactly when the change is committed.
"""

from typing import Any

from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from escrow.choices import PayoutStatus, RefundStatus
from escrow.hooks import payout_changed, refund_changed
from escrow.models import Payout, Refund
from inventory.hooks import order_changed, stock_moved
from inventory.models import OutboundOrder, StockLevel, StockMovement
from leasing.choices import ShipmentStatus
from leasing.hooks import transfer_changed
from leasing.models import CheckIn, Lease, LeaseEvent, LeaseTransfer, ShipmentEvent
from trust.choices import DisputeState
from trust.hooks import dispute_changed
from trust.models import Dispute, Resolution

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


def _money_row(row: Payout | Refund) -> dict[str, Any]:
    return {"id": row.pk, "amount": row.amount, "currency": row.currency, "status": row.status}


@receiver(payout_changed, dispatch_uid="api.payout")
def payout_changed_sent(sender: Any, payout: Payout, from_status: str | None, to_status: str, **kwargs: Any) -> None:
    """A release creates a payout (``escrow.released``, to both sides); the processor's answers
    (``payout.waiting``, ``payout.failed``, ``payout.paid``) go to the owner only."""
    lease_id = payout.escrow.lease_id
    row = _money_row(payout)
    data = {"lease": lease_id, "payout": row}
    if from_status is None:
        event_record(
            event_type="escrow.released", source=f"payout:{payout.pk}", recipients=_parties(lease_id), data=data
        )
        return
    if to_status == PayoutStatus.PAID:
        source = f"payout_paid:{payout.pk}"
    else:  # waiting and failed may recur (retries): each change is its own event
        source = f"payout_{to_status}:{payout.pk}:{timezone.now().isoformat()}"
        row["failure_message"] = payout.failure_message
    event_record(
        event_type=f"payout.{to_status}",
        source=source,
        recipients=Q(organisation_id=payout.organisation_id),
        data=data,
    )


@receiver(refund_changed, dispatch_uid="api.refund")
def refund_changed_sent(sender: Any, refund: Refund, from_status: str | None, to_status: str, **kwargs: Any) -> None:
    """A refund issued (``refund.pending``) and what the processor made of it, to the refunded exporter."""
    source = f"refund_{to_status}:{refund.pk}"
    if to_status == RefundStatus.FAILED:  # may recur (retries)
        source = f"{source}:{timezone.now().isoformat()}"
    row = {**_money_row(refund), "reason": refund.reason}
    event_record(
        event_type=f"refund.{to_status}",
        source=source,
        recipients=Q(organisation_id=refund.organisation_id),
        data={"lease": refund.escrow.lease_id, "refund": row},
    )


def _transfer_data(transfer: LeaseTransfer) -> dict[str, Any]:
    """A transfer as the API shows it, without its open-offer key."""
    return {
        "id": transfer.pk,
        "lease": transfer.lease_id,
        "state": transfer.state,
        "to_organisation": transfer.to_organisation_id,
        "receiver": transfer.receiver_id,
        "quantity": transfer.quantity,
        "start": transfer.start,
        "price": transfer.price,
        "currency": transfer.currency,
        "goods": transfer.goods,
        "new_lease": transfer.new_lease_id,
        "value": transfer.value,
        "refund": transfer.refund,
        "fee": transfer.fee,
    }


@receiver(transfer_changed, dispatch_uid="api.transfer")
def transfer_changed_sent(
    sender: Any, transfer: LeaseTransfer, from_state: str | None, to_state: str, **kwargs: Any
) -> None:
    """Every step of a transfer, to the offering exporter, the owner and the named or actual receiver."""
    lease = transfer.lease
    organisations = {lease.exporter_id, lease.listing.warehouse.organisation_id}
    organisations |= {pk for pk in (transfer.to_organisation_id, transfer.receiver_id) if pk is not None}
    event_record(
        event_type=f"transfer.{to_state}",
        source=f"transfer:{transfer.pk}:{to_state}",  # each state is reached at most once
        recipients=Q(organisation_id__in=organisations),
        data={"transfer": _transfer_data(transfer), "from_state": from_state},
    )


@receiver(dispute_changed, dispatch_uid="api.dispute")
def dispute_changed_sent(sender: Any, dispute: Dispute, from_state: str | None, to_state: str, **kwargs: Any) -> None:
    """A dispute opened or resolved, to both sides of its lease."""
    resolution = Resolution.objects.filter(dispute=dispute).first() if to_state == DisputeState.RESOLVED else None
    event_record(
        event_type="dispute.opened" if from_state is None else f"dispute.{to_state}",
        source=f"dispute:{dispute.pk}:{to_state}",
        recipients=_parties(dispute.lease_id),
        data={
            "dispute": {
                "id": dispute.pk,
                "lease": dispute.lease_id,
                "kind": dispute.kind,
                "state": dispute.state,
                "opened_by_side": dispute.opened_by_side,
                "claimed_amount": dispute.claimed_amount,
                "held_at_open": dispute.held_at_open,
                "currency": dispute.currency,
                "created_at": dispute.created_at,
                "resolved_at": dispute.resolved_at,
            },
            "resolution": None
            if resolution is None
            else {
                "outcome": resolution.outcome,
                "owner_part": resolution.owner_part,
                "exporter_part": resolution.exporter_part,
                "platform_fee": resolution.platform_fee,
                "found_against": resolution.found_against,
                "lease_state_after": resolution.lease_state_after,
                "note": resolution.note,
            },
        },
    )


@receiver(stock_moved, dispatch_uid="api.stock_moved")
def stock_moved_sent(sender: Any, movement: StockMovement, **kwargs: Any) -> None:
    """Each movement of goods, to the exporter whose lease's stock it changed (with the level after it)."""
    lease = movement.lease
    level = StockLevel.objects.filter(lease_id=movement.lease_id, product_id=movement.product_id).first()
    product = movement.product
    event_record(
        event_type="stock.moved",
        source=f"stock_movement:{movement.pk}",
        recipients=Q(organisation_id=lease.exporter_id),
        data={
            "movement": {
                "id": movement.pk,
                "lease": movement.lease_id,
                "warehouse": lease.listing.warehouse_id,
                "product": {"id": product.pk, "sku": product.sku},
                "kind": movement.kind,
                "quantity": movement.quantity,
                "reason": movement.reason,
                "order": movement.order_id,
                "transfer": movement.transfer_id,
                "other_lease": movement.other_lease_id,
                "created_at": movement.created_at,
            },
            "stock": None
            if level is None
            else {"on_hand": level.on_hand, "held": level.held, "available": level.on_hand - level.held},
        },
    )


def _order_data(order: OutboundOrder) -> dict[str, Any]:
    return {
        "id": order.pk,
        "lease": order.lease_id,
        "kind": order.kind,
        "status": order.status,
        "reference": order.reference,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "refuse_reason": order.refuse_reason,
        "lines": [
            {"sku": line.product.sku, "product": line.product_id, "quantity": line.quantity}
            for line in order.lines.select_related("product").order_by("pk")
        ],
    }


@receiver(order_changed, dispatch_uid="api.order")
def order_changed_sent(
    sender: Any, order: OutboundOrder, from_status: str | None, to_status: str, **kwargs: Any
) -> None:
    """Every step of an outbound order, to both sides of its lease."""
    event_type = f"order.{to_status}"
    if event_type not in EVENT_NAMES:
        return
    event_record(
        event_type=event_type,
        source=f"order:{order.pk}:{to_status}",  # each status is reached at most once
        recipients=_parties(order.lease_id),
        data={"order": _order_data(order), "from_status": from_status},
    )

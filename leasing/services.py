"""Every write to leases, shipments and check-ins.

The lease state machine is the ``TRANSITIONS`` table; ``lease_transition`` is the only code that
changes ``Lease.state``. Services lock rows in one order — listing → lease → escrow — with
``select_for_update`` (``_lock``), re-check the state under the lock, and send emails after commit.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.exceptions import OrganisationNotVerified
from accounts.models import Organisation, User
from common.tasks import task_dispatch
from escrow import services as escrow_services
from escrow import tasks as escrow_tasks
from escrow.choices import PaymentStatus
from escrow.models import Escrow, Payment

# trust builds disputes on this module's lock and transition; the cycle is resolved at call time.
from trust import rating as trust_rating
from trust import services as trust_services
from warehouses.exceptions import ListingNotBookable
from warehouses.models import Listing
from warehouses.pricing import listing_quote
from warehouses.services import capacity_release, capacity_reserve, listing_check_booking

from .choices import GoodsCondition, LeaseState, ShipmentStatus
from .exceptions import InvalidShipment, InvalidTransition, NotAllowed
from .models import (
    CheckIn,
    CheckInLine,
    CheckInPhoto,
    InboundShipment,
    Lease,
    LeaseEvent,
    ShipmentEvent,
    ShipmentLine,
)
from .notifications import lease_notify

S = LeaseState
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.ACCEPTED, S.DECLINED, S.EXPIRED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.FUNDED, S.EXPIRED, S.CANCELLED}),
    S.FUNDED: frozenset({S.CHECKED_IN, S.CANCELLED}),
    S.CHECKED_IN: frozenset({S.ACTIVE, S.DISPUTED}),
    S.DISPUTED: frozenset({S.ACTIVE, S.CANCELLED}),
    S.ACTIVE: frozenset({S.COMPLETED, S.TRANSFERRED, S.DISPUTED}),  # disputed: damage or loss
    S.DECLINED: frozenset(),
    S.EXPIRED: frozenset(),
    S.CANCELLED: frozenset(),
    S.COMPLETED: frozenset(),
    S.TRANSFERRED: frozenset(),
}
# Reaching one of these gives the held capacity back to the calendar.
RELEASES_CAPACITY = frozenset({S.DECLINED, S.EXPIRED, S.CANCELLED, S.COMPLETED})
# Reaching one of these changes a fact a credit rating counts (trust.rating): both sides are re-rated.
RATED = frozenset({S.EXPIRED, S.CANCELLED, S.CHECKED_IN, S.ACTIVE, S.COMPLETED})


def _name(state: str) -> str:
    return state.replace("_", " ")


def _rules() -> dict:
    return settings.WARESHARE


# --- Locking and the one transition -------------------------------------------------------


@dataclass
class Locked:
    lease: Lease
    escrow: Escrow | None


def _lock(lease: Lease) -> Locked:
    """Lock listing → lease → escrow, in that order, and return fresh rows."""
    Listing.objects.select_for_update().filter(pk=lease.listing_id).first()
    fresh = Lease.objects.select_for_update().get(pk=lease.pk)
    escrow = Escrow.objects.select_for_update().filter(lease_id=lease.pk).first()
    return Locked(lease=fresh, escrow=escrow)


lease_lock = _lock  # public, for trust's dispute services, which keep the same lock order


def lease_transition(*, lease: Lease, to: str, by: User | None, note: str = "", notify: bool = True) -> Lease:
    """Move a locked lease to ``to`` if the table allows it; write the event, release capacity
    where the new state says so, and email after commit (unless ``notify`` is False: the caller
    sends its own message, e.g. a dispute's). Raises InvalidTransition otherwise."""
    if to not in TRANSITIONS[lease.state]:
        raise InvalidTransition(f"A lease that is {_name(lease.state)} cannot become {_name(to)}.")
    from_state = lease.state
    lease.state = to
    now = timezone.now()
    if to == S.ACCEPTED:
        lease.hold_expires_at = None
        lease.payment_due_at = now + timedelta(hours=_rules()["PAYMENT_HOURS"])
    elif to == S.FUNDED:
        lease.payment_due_at = None
    elif to == S.CHECKED_IN:
        lease.confirm_by = now + timedelta(hours=_rules()["CONFIRMATION_HOURS"])
    lease.save()
    LeaseEvent.objects.create(lease=lease, actor=by, from_state=from_state, to_state=to, note=note[:500])
    if to in RELEASES_CAPACITY and lease.reservation is not None:
        capacity_release(reservation=lease.reservation)
    if notify:
        lease_notify(lease=lease, step=to)
    if to in RATED:
        trust_rating.ratings_recompute_later([lease.exporter, lease.owner])
    return lease


def _note(lease: Lease, *, by: User | None, note: str) -> None:
    LeaseEvent.objects.create(lease=lease, actor=by, from_state=lease.state, to_state=lease.state, note=note[:500])


def _member(user: User, organisation: Organisation) -> bool:
    return user.memberships.filter(organisation=organisation).exists()


def _require_owner(lease: Lease, by: User) -> None:
    if not _member(by, lease.listing.warehouse.organisation):
        raise NotAllowed("Only the warehouse owner can do this.")


def _require_exporter(lease: Lease, by: User) -> None:
    if not _member(by, lease.exporter):
        raise NotAllowed("Only the exporter who leased the space can do this.")


def _require_verified(organisation: Organisation, action: str) -> None:
    if not organisation.is_verified:
        raise OrganisationNotVerified(
            f"{organisation} must be verified by Wareshare before it can {action}. "
            "Submit your organisation's details for verification."
        )


# --- Requesting, accepting, declining -----------------------------------------------------


@transaction.atomic
def lease_request(
    *,
    listing: Listing,
    exporter: Organisation,
    by: User,
    start: date,
    end: date,
    quantity: int,
    goods_description: str,
    message: str = "",
) -> Lease:
    """Hold capacity and create a lease request with its price frozen.

    Instant-book listings go straight to ``accepted``. Raises OrganisationNotVerified,
    ListingNotBookable, InvalidDates or CapacityUnavailable, leaving nothing behind.
    """
    if not exporter.is_exporter:
        raise NotAllowed(f"{exporter} is not set up as an exporter.")
    if not _member(by, exporter):
        raise NotAllowed("You can only request leases for your own organisation.")
    _require_verified(exporter, "request a lease")
    trust_services.organisation_require_in_good_standing(exporter, "request a lease")
    if listing.warehouse.organisation_id == exporter.pk:
        raise ListingNotBookable("You cannot lease your own organisation's space.")
    if not listing.is_bookable:
        raise ListingNotBookable("This listing is not taking bookings right now.")
    # An instant-book lease is accepted without the owner acting: the owner must be allowed to take it.
    trust_services.organisation_require_in_good_standing(listing.warehouse.organisation, "take bookings")
    listing_check_booking(listing=listing, start=start, end=end, quantity=quantity)
    quote = listing_quote(listing=listing, start=start, end=end, quantity=quantity)
    lease = Lease.objects.create(
        listing=listing,
        exporter=exporter,
        requested_by=by,
        quantity=quantity,
        start=start,
        end=end,
        goods_description=goods_description,
        message=message,
        state=S.REQUESTED,
        currency=quote.currency,
        unit_price=quote.unit_price,
        storage_amount=quote.storage,
        handling_in_amount=quote.handling_in,
        handling_out_amount=quote.handling_out,
        platform_fee=quote.platform_fee,
        platform_fee_percent=quote.fee_percent,
        total=quote.total,
        hold_expires_at=timezone.now() + timedelta(hours=_rules()["HOLD_HOURS"]),
    )
    escrow_services.escrow_open(lease=lease, currency=lease.currency)
    LeaseEvent.objects.create(lease=lease, actor=by, to_state=S.REQUESTED, note=message[:500])
    if listing.instant_book:
        lease_transition(lease=lease, to=S.ACCEPTED, by=None, note="Instant book")
    else:
        lease_notify(lease=lease, step=S.REQUESTED)
    # Capacity last: the listing row stays locked from here to the commit, so keep that short.
    lease.reservation = capacity_reserve(listing=listing, start=start, end=end, quantity=quantity)
    Lease.objects.filter(pk=lease.pk).update(reservation=lease.reservation)
    return lease


@transaction.atomic
def lease_accept(*, lease: Lease, by: User) -> Lease:
    _require_owner(lease, by)
    _require_verified(lease.listing.warehouse.organisation, "accept a lease")
    trust_services.organisation_require_in_good_standing(lease.listing.warehouse.organisation, "accept a lease")
    locked = _lock(lease)
    return lease_transition(lease=locked.lease, to=S.ACCEPTED, by=by)


@transaction.atomic
def lease_decline(*, lease: Lease, by: User, reason: str) -> Lease:
    _require_owner(lease, by)
    if not reason.strip():
        raise InvalidTransition("Say why you decline, so the exporter can look elsewhere.", code="reason_required")
    locked = _lock(lease)
    locked.lease.decline_reason = reason.strip()[:300]
    return lease_transition(lease=locked.lease, to=S.DECLINED, by=by, note=reason)


@transaction.atomic
def lease_withdraw(*, lease: Lease, by: User) -> Lease:
    """The exporter withdraws a request, or an accepted lease not yet paid. No money has moved."""
    _require_exporter(lease, by)
    locked = _lock(lease)
    if locked.lease.state not in (S.REQUESTED, S.ACCEPTED):
        raise InvalidTransition("Only an unpaid lease can be withdrawn; a paid one is cancelled under its policy.")
    return lease_transition(lease=locked.lease, to=S.CANCELLED, by=by, note="Withdrawn by the exporter")


# --- Paying into escrow -------------------------------------------------------------------


def lease_pay(*, lease: Lease, by: User, payment_method: str) -> Payment:
    """Charge the exporter the lease total into escrow; the lease becomes ``funded``.

    1. Under lock: the lease must be ``accepted``; pick the payment attempt (a retry of an
       attempt with an unknown outcome reuses its idempotency key, so it cannot charge twice).
    2. No locks held: the processor charges.
    3. Re-lock and re-check: fund the escrow and move to ``funded``; if the lease expired or
       was cancelled meanwhile, the money is refunded at once.
    Raises PaymentDeclined or GatewayUnavailable with the lease and ledger unchanged.
    """
    _require_exporter(lease, by)
    _require_verified(lease.exporter, "pay into escrow")
    trust_services.organisation_require_in_good_standing(lease.exporter, "pay into escrow")
    open_escrow = Escrow.objects.filter(lease_id=lease.pk).first()
    if open_escrow is not None:  # an abandoned 3-D Secure attempt is settled first (no locks held)
        settled = escrow_services.payment_open_settle(escrow=open_escrow)
        if settled is not None:
            lease_payment_succeeded(payment=settled, by=by)
            return settled
    with transaction.atomic():
        locked = _lock(lease)
        if locked.lease.state != S.ACCEPTED or locked.escrow is None:
            raise InvalidTransition(f"A lease that is {_name(locked.lease.state)} cannot be paid.")
        payment = escrow_services.payment_start(escrow=locked.escrow, amount=locked.lease.total)
    description = f"Wareshare lease #{lease.pk}"
    if payment.payment_method and payment.payment_method != payment_method:
        payment = escrow_services.payment_settle_unknown(payment=payment, description=description)
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.REQUIRES_ACTION):
        # A fresh attempt takes the card given now; an unknown one is resent with its own card.
        card = payment.payment_method or payment_method
        payment = escrow_services.payment_charge(payment=payment, payment_method=card, description=description)
    if payment.status == "succeeded":
        lease_payment_succeeded(payment=payment, by=by)
    return payment


@transaction.atomic
def lease_payment_succeeded(*, payment: Payment, by: User | None) -> Lease:
    """Record a succeeded payment (from checkout or a webhook). Idempotent, forward only."""
    locked = _lock(payment.escrow.lease)
    lease, escrow = locked.lease, locked.escrow
    assert escrow is not None
    payment.refresh_from_db()
    escrow_services.escrow_fund(escrow=escrow, payment=payment)
    if lease.state == S.ACCEPTED:
        return lease_transition(lease=lease, to=S.FUNDED, by=by, note=f"Paid {payment.amount} {payment.currency}")
    if lease.state in (S.EXPIRED, S.CANCELLED):
        refund = escrow_services.escrow_refund(
            escrow=escrow,
            exporter=lease.exporter,
            amount=payment.amount,
            reason="payment arrived after the lease ended",
            key=f"escrow:{escrow.pk}:refund:late-payment:{payment.pk}",
        )
        _note(lease, by=None, note="Payment arrived after the lease ended; refunded in full.")
        task_dispatch(escrow_tasks.refund_execute, refund.pk)
    return lease


def lease_pay_finalize(*, lease: Lease, by: User, payment_id: str) -> Payment:
    """The browser finished 3-D Secure for the payment ``payment_id`` (the processor's id): read the
    outcome from the processor and, if it succeeded, fund the lease (``lease_payment_succeeded``;
    the ``payment_intent.succeeded`` webhook gets there too, whichever comes first).
    Raises PaymentDeclined if authentication failed."""
    _require_exporter(lease, by)
    payment = Payment.objects.filter(escrow__lease=lease, processor_id=payment_id).first() if payment_id else None
    if payment is None:
        raise NotAllowed("This payment does not belong to this lease.")
    payment = escrow_services.payment_finalize(payment=payment)
    if payment.status == "succeeded":
        lease_payment_succeeded(payment=payment, by=by)
    return payment


# --- Shipments and check-in ---------------------------------------------------------------


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
    _require_exporter(lease, by)
    locked = _lock(lease)
    if locked.lease.state != S.FUNDED:
        raise InvalidShipment("Shipments can be announced once the lease is paid and before check-in.")
    if not lines or any(line.quantity < 1 for line in lines):
        raise InvalidShipment("Declare at least one line with a quantity of 1 or more.")
    if lease.listing.warehouse.customs_status != "general" and not customs_reference.strip():
        raise InvalidShipment("This warehouse is bonded: give the customs reference for the goods.")
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
    _note(locked.lease, by=by, note=f"Shipment announced: {carrier} {tracking_number}, ETA {eta:%d %b %Y}")
    lease_notify(lease=locked.lease, step="shipment_announced")
    return shipment


SHIPMENT_FORWARD: list[str] = [ShipmentStatus.ANNOUNCED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.ARRIVED]


@transaction.atomic
def shipment_mark(*, shipment: InboundShipment, by: User, status: str, note: str = "") -> InboundShipment:
    """The owner moves a shipment forward: in transit, arrived. Never backwards."""
    _require_owner(shipment.lease, by)
    _lock(shipment.lease)
    shipment = InboundShipment.objects.select_for_update().get(pk=shipment.pk)
    current = SHIPMENT_FORWARD.index(shipment.status) if shipment.status in SHIPMENT_FORWARD else len(SHIPMENT_FORWARD)
    if status not in SHIPMENT_FORWARD[current + 1 :]:
        raise InvalidShipment(
            f"A shipment that is {shipment.get_status_display().lower()} cannot be marked {_name(str(status))}."
        )
    shipment.status = status
    shipment.save(update_fields=["status"])
    ShipmentEvent.objects.create(shipment=shipment, status=status, actor=by, note=note)
    if status == ShipmentStatus.ARRIVED:
        _note(shipment.lease, by=by, note=f"Shipment {shipment.tracking_number} arrived")
        lease_notify(lease=shipment.lease, step="shipment_arrived")
    return shipment


def _valid_photos(photos: list) -> list:
    """Run the photo field's validators (type, size, real image) before anything is written."""
    field = CheckInPhoto._meta.get_field("image")
    for image in photos:
        try:
            field.run_validators(image)
        except ValidationError as error:
            raise InvalidShipment(f"{getattr(image, 'name', 'A photo')}: {' '.join(error.messages)}") from error
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
) -> CheckIn:
    """The owner counts the goods in. ``received`` maps each declared line's id to the count.

    Records the difference against what was declared and whether it is within tolerance, then
    moves the lease to ``checked_in``: the exporter's confirmation window starts.
    """
    _require_owner(shipment.lease, by)
    images = _valid_photos(photos or [])
    locked = _lock(shipment.lease)
    shipment = InboundShipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.status != ShipmentStatus.ARRIVED:
        raise InvalidShipment("Mark the shipment as arrived before checking it in.")
    lines = list(shipment.lines.all())
    if set(received) != {line.pk for line in lines} or any(count < 0 for count in received.values()):
        raise InvalidShipment("Give a received count (0 or more) for every declared line.")
    declared_total = sum(line.quantity for line in lines)
    received_total = sum(received.values())
    tolerance = _rules()["CHECKIN_TOLERANCE_PERCENT"]
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
        [CheckInLine(checkin=checkin, line=line, received_quantity=received[line.pk]) for line in lines]
    )
    CheckInPhoto.objects.bulk_create([CheckInPhoto(checkin=checkin, image=image) for image in images])
    shipment.status = ShipmentStatus.CHECKED_IN
    shipment.save(update_fields=["status"])
    ShipmentEvent.objects.create(shipment=shipment, status=ShipmentStatus.CHECKED_IN, actor=by)
    summary = f"Checked in {received_total} of {declared_total} declared" + (
        "" if within else f" — outside the {tolerance}% tolerance"
    )
    lease_transition(lease=locked.lease, to=S.CHECKED_IN, by=by, note=summary)
    return checkin


# --- Confirmation, dispute, release -------------------------------------------------------


def _release(locked: Locked, *, by: User | None, note: str) -> Lease:
    lease, escrow = locked.lease, locked.escrow
    assert escrow is not None
    lease = lease_transition(lease=lease, to=S.ACTIVE, by=by, note=note)
    payout = escrow_services.escrow_release(
        escrow=escrow,
        owner=lease.listing.warehouse.organisation,
        owner_amount=lease.owner_amount,
        platform_fee=lease.platform_fee,
    )
    task_dispatch(escrow_tasks.payout_execute, payout.pk)
    return lease


@transaction.atomic
def lease_confirm(*, lease: Lease, by: User) -> Lease:
    """The exporter confirms the check-in: the escrow is released to the owner."""
    _require_exporter(lease, by)
    locked = _lock(lease)
    if locked.lease.state != S.CHECKED_IN:
        raise InvalidTransition(f"A lease that is {_name(locked.lease.state)} cannot be confirmed.")
    return _release(locked, by=by, note="Check-in confirmed by the exporter")


def lease_dispute_open(lease: Lease) -> bool:
    """Whether a dispute can be opened now: on the check-in while its window is open (the
    exporter), or for damage or loss while the lease is active (either side)."""
    if lease.state == S.ACTIVE:
        return True
    return lease.state == S.CHECKED_IN and (lease.confirm_by is None or lease.confirm_by >= timezone.now())


def lease_dispute(
    *,
    lease: Lease,
    by: User,
    reason: str,
    kind: str = "check_in",
    claimed_amount: Decimal | None = None,
    evidence: Sequence[File] = (),
    organisation: Organisation | None = None,
) -> Lease:
    """Open a dispute; what escrow holds stays there until Wareshare staff resolve it.

    ``kind`` "check_in" (the default): the exporter disputes the check-in within the window.
    ``kind`` "damage_or_loss": either side, on an active lease. The dispute itself (claimed amount,
    evidence, thread) is ``trust.services.dispute_open``; this is the lease-side entry point.
    """
    dispute = trust_services.dispute_open(
        lease=lease,
        by=by,
        reason=reason,
        kind=kind,
        claimed_amount=claimed_amount,
        evidence=evidence,
        organisation=organisation,
    )
    return dispute.lease


# --- Sweeps (idempotent; run by `manage.py run_sweeps` and Celery beat) -------------------


def _sweep(*, state: str, due: Q, act: Callable[[Locked], bool]) -> int:
    """Apply ``act`` to every lease in ``state`` that is ``due``, one transaction each. The lease is
    locked and both conditions are checked again under the lock, so a lease another worker (or
    a person) moved meanwhile is skipped. ``act`` returns whether it handled the lease."""
    handled = 0
    for pk in Lease.objects.filter(due, state=state).values_list("pk", flat=True):
        with transaction.atomic():
            locked = _lock(Lease.objects.get(pk=pk))
            if Lease.objects.filter(due, pk=pk, state=state).exists() and act(locked):
                handled += 1
    return handled


def _to(state: str, note: str) -> Callable[[Locked], bool]:
    def act(locked: Locked) -> bool:
        lease_transition(lease=locked.lease, to=state, by=None, note=note)
        return True

    return act


def leases_expire_holds() -> int:
    """Requests the owner did not answer in time expire and free their capacity."""
    due = Q(hold_expires_at__lte=timezone.now())
    return _sweep(state=S.REQUESTED, due=due, act=_to(S.EXPIRED, "The owner did not answer in time"))


def leases_expire_unpaid() -> int:
    """Accepted leases not paid in time expire and free their capacity."""
    due = Q(payment_due_at__lte=timezone.now())
    return _sweep(state=S.ACCEPTED, due=due, act=_to(S.EXPIRED, "Not paid in time"))


def leases_auto_confirm() -> int:
    """Check-ins the exporter neither confirmed nor disputed in the window confirm themselves."""

    def act(locked: Locked) -> bool:
        if locked.escrow is not None and locked.escrow.frozen:
            return False  # a card dispute is open: nothing is released until it is decided
        _release(locked, by=None, note="Confirmed automatically: the window passed without a dispute")
        return True

    return _sweep(state=S.CHECKED_IN, due=Q(confirm_by__lte=timezone.now()), act=act)


def leases_complete() -> int:
    """Active leases past their end date complete and free their capacity."""
    due = Q(end__lt=timezone.localdate())
    return _sweep(state=S.ACTIVE, due=due, act=_to(S.COMPLETED, "The lease ended"))

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
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy

from accounts.exceptions import OrganisationNotVerified
from accounts.models import Organisation, User
from common.money import Money
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
from warehouses.pricing import Quote, listing_quote
from warehouses.services import capacity_release, capacity_reserve, capacity_reshape, listing_check_booking

from . import schedule
from .choices import (
    OPEN_TRANSFER_STATES,
    CancelledBy,
    GoodsCondition,
    InstalmentStatus,
    LeaseOrigin,
    LeaseState,
    ShipmentStatus,
    TransferState,
)
from .exceptions import InvalidExtension, InvalidShipment, InvalidTransition, NotAllowed, RefundChanged
from .models import (
    CheckIn,
    CheckInLine,
    CheckInPhoto,
    InboundShipment,
    Lease,
    LeaseEvent,
    LeaseTransfer,
    ShipmentEvent,
    ShipmentLine,
)
from .notifications import lease_notify

S = LeaseState
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.ACCEPTED, S.DECLINED, S.EXPIRED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.FUNDED, S.EXPIRED, S.CANCELLED}),
    # funded -> active: the goods were already checked in on the lease this one continues
    # (an extension, or a transfer that carries the goods over).
    S.FUNDED: frozenset({S.CHECKED_IN, S.CANCELLED, S.ACTIVE, S.TRANSFERRED}),
    S.CHECKED_IN: frozenset({S.ACTIVE, S.DISPUTED}),
    S.DISPUTED: frozenset({S.ACTIVE, S.CANCELLED}),
    S.ACTIVE: frozenset({S.COMPLETED, S.TRANSFERRED, S.DISPUTED, S.CANCELLED}),  # disputed: damage or loss
    S.DECLINED: frozenset(),
    S.EXPIRED: frozenset(),
    S.CANCELLED: frozenset(),
    S.COMPLETED: frozenset(),
    S.TRANSFERRED: frozenset(),
}
# Reaching one of these gives the held capacity back to the calendar.
RELEASES_CAPACITY = frozenset({S.DECLINED, S.EXPIRED, S.CANCELLED, S.COMPLETED})
# A lease that ended in one of these never held its days.
ENDED_UNUSED = frozenset({S.DECLINED, S.EXPIRED, S.CANCELLED})
# Reaching one of these ends any open offer to transfer the lease.
ENDS_TRANSFER_OFFERS = frozenset({S.CANCELLED, S.COMPLETED, S.TRANSFERRED, S.DISPUTED, S.EXPIRED})
# Reaching one of these changes a fact a credit rating counts (trust.rating): both sides are re-rated.
RATED = frozenset({S.EXPIRED, S.CANCELLED, S.CHECKED_IN, S.ACTIVE, S.COMPLETED})


def _name(state: str) -> str:
    """A state in the English of the stored timeline notes ("checked in")."""
    return state.replace("_", " ")


# A state in a sentence shown to a person ("A lease that is checked in cannot be paid.").
STATE_WORDS: dict[str, Promise] = {
    S.REQUESTED: pgettext_lazy("a lease that is …", "requested"),
    S.ACCEPTED: pgettext_lazy("a lease that is …", "accepted"),
    S.DECLINED: pgettext_lazy("a lease that is …", "declined"),
    S.EXPIRED: pgettext_lazy("a lease that is …", "expired"),
    S.FUNDED: pgettext_lazy("a lease that is …", "funded"),
    S.CANCELLED: pgettext_lazy("a lease that is …", "cancelled"),
    S.CHECKED_IN: pgettext_lazy("a lease that is …", "checked in"),
    S.DISPUTED: pgettext_lazy("a lease that is …", "disputed"),
    S.ACTIVE: pgettext_lazy("a lease that is …", "active"),
    S.COMPLETED: pgettext_lazy("a lease that is …", "completed"),
    S.TRANSFERRED: pgettext_lazy("a lease that is …", "transferred"),
}


def _state(state: str) -> str:
    return str(STATE_WORDS.get(state, _name(state)))


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


def lease_transition(
    *,
    lease: Lease,
    to: str,
    by: User | None,
    note: str = "",
    notify: bool = True,
    release_capacity: bool = True,
) -> Lease:
    """Move a locked lease to ``to`` if the table allows it; write the event, release capacity
    where the new state says so (unless the caller already reshaped it: ``release_capacity``),
    end open transfer offers, and email after commit (unless ``notify`` is False: the caller
    sends its own message, e.g. a dispute's). Raises InvalidTransition otherwise."""
    if to not in TRANSITIONS[lease.state]:
        raise InvalidTransition(
            _("A lease that is %(state)s cannot become %(to)s.") % {"state": _state(lease.state), "to": _state(to)}
        )
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
    if to in RELEASES_CAPACITY and release_capacity:
        for reservation in lease.reservations.filter(released_at=None):
            capacity_release(reservation=reservation)
    if to in ENDS_TRANSFER_OFFERS:
        _transfers_lapse(lease, by=by, why=f"the lease became {_name(to)}")
    if lease.origin == LeaseOrigin.TRANSFER and to in (S.EXPIRED, S.CANCELLED):
        LeaseTransfer.objects.filter(new_lease=lease, state__in=OPEN_TRANSFER_STATES).update(state=TransferState.LAPSED)
    _extensions_follow(lease, by=by)
    if notify:
        lease_notify(lease=lease, step=to)
    if to in RATED:
        trust_rating.ratings_recompute_later([lease.exporter, lease.owner])
    return lease


def _transfers_lapse(lease: Lease, *, by: User | None, why: str) -> None:
    """Open offers to transfer ``lease`` lapse; a receiver's lease still awaiting payment is
    cancelled (a payment that still arrives is refunded: ``lease_payment_succeeded``)."""
    for transfer in LeaseTransfer.objects.select_for_update().filter(lease=lease, state__in=OPEN_TRANSFER_STATES):
        transfer.state = TransferState.LAPSED
        transfer.save(update_fields=["state", "updated_at"])
        _note(lease, by=by, note=f"The transfer offer lapsed: {why}")
        if transfer.new_lease_id is not None:
            receiver = Lease.objects.select_for_update().get(pk=transfer.new_lease_id)
            if receiver.state == S.ACCEPTED:
                lease_transition(lease=receiver, to=S.CANCELLED, by=by, note=f"The transfer lapsed: {why}")


def _extensions_follow(lease: Lease, *, by: User | None) -> None:
    """Extensions follow the lease they extend: an unpaid one is cancelled when the lease ends
    early (cancelled, transferred); a paid one waiting for its parent's goods (the parent was
    disputed when it was paid) becomes active once the parent is."""
    if lease.state in (S.CANCELLED, S.TRANSFERRED):
        for child in lease.children.select_for_update().filter(
            origin=LeaseOrigin.EXTENSION, state__in=[S.REQUESTED, S.ACCEPTED]
        ):
            lease_transition(lease=child, to=S.CANCELLED, by=by, note=f"Lease #{lease.pk} ended early")
    elif lease.state == S.ACTIVE:
        for child in lease.children.select_for_update().filter(
            origin=LeaseOrigin.EXTENSION, state=S.FUNDED, goods_carried=True
        ):
            lease_carry_in(lease=child, escrow=Escrow.objects.select_for_update().get(lease=child), by=by)


def _note(lease: Lease, *, by: User | None, note: str) -> None:
    LeaseEvent.objects.create(lease=lease, actor=by, from_state=lease.state, to_state=lease.state, note=note[:500])


def _member(user: User, organisation: Organisation) -> bool:
    return user.memberships.filter(organisation=organisation).exists()


def _require_owner(lease: Lease, by: User) -> None:
    if not _member(by, lease.listing.warehouse.organisation):
        raise NotAllowed(_("Only the warehouse owner can do this."))


def _require_exporter(lease: Lease, by: User) -> None:
    if not _member(by, lease.exporter):
        raise NotAllowed(_("Only the exporter who leased the space can do this."))


def _require_verified(organisation: Organisation, action: str) -> None:
    """``action``: one of ``trust.services.BLOCKED_ACTIONS`` (English, translated here)."""
    if not organisation.is_verified:
        raise OrganisationNotVerified(
            _(
                "%(organisation)s must be verified by Wareshare before it can %(action)s. "
                "Submit your organisation's details for verification."
            )
            % {"organisation": organisation, "action": _(action)}
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
        raise NotAllowed(_("%(organisation)s is not set up as an exporter.") % {"organisation": exporter})
    if not _member(by, exporter):
        raise NotAllowed(_("You can only request leases for your own organisation."))
    _require_verified(exporter, "request a lease")
    trust_services.organisation_require_in_good_standing(exporter, "request a lease")
    if listing.warehouse.organisation_id == exporter.pk:
        raise ListingNotBookable(_("You cannot lease your own organisation's space."))
    if not listing.is_bookable:
        raise ListingNotBookable(_("This listing is not taking bookings right now."))
    # An instant-book lease is accepted without the owner acting: the owner must be allowed to take it.
    trust_services.organisation_require_in_good_standing(listing.warehouse.organisation, "take bookings")
    listing_check_booking(listing=listing, start=start, end=end, quantity=quantity)
    quote = listing_quote(listing=listing, start=start, end=end, quantity=quantity)
    return _lease_open(
        Lease(
            listing=listing,
            exporter=exporter,
            requested_by=by,
            quantity=quantity,
            start=start,
            end=end,
            goods_description=goods_description,
            message=message,
        ),
        quote=quote,
        by=by,
    )


def _lease_open(lease: Lease, *, quote: Quote, by: User) -> Lease:
    """Save a new lease request at ``quote``'s price with its escrow and its capacity hold; an
    instant-book listing accepts it at once."""
    lease.state = S.REQUESTED
    lease.currency = quote.currency
    lease.unit_price = quote.unit_price
    lease.storage_amount = quote.storage
    lease.handling_in_amount = quote.handling_in
    lease.handling_out_amount = quote.handling_out
    lease.platform_fee = quote.platform_fee
    lease.platform_fee_percent = quote.fee_percent
    lease.total = quote.total
    lease.hold_expires_at = timezone.now() + timedelta(hours=_rules()["HOLD_HOURS"])
    lease.save()
    escrow_services.escrow_open(lease=lease, currency=lease.currency)
    LeaseEvent.objects.create(lease=lease, actor=by, to_state=S.REQUESTED, note=lease.message[:500])
    if lease.listing.instant_book:
        lease_transition(lease=lease, to=S.ACCEPTED, by=None, note=gettext_noop("Instant book"))
    else:
        lease_notify(lease=lease, step=S.REQUESTED)
    # Capacity last: the listing row stays locked from here to the commit, so keep that short.
    lease.reservations.add(
        capacity_reserve(listing=lease.listing, start=lease.start, end=lease.end, quantity=lease.quantity)
    )
    return lease


@transaction.atomic
def lease_extend(*, lease: Lease, by: User, end: date, message: str = "") -> Lease:
    """The exporter asks to keep the space after ``lease.end`` until ``end``: a new lease (an
    extension, continuing this one) is requested for the extra days at the listing's price, without
    handling fees (the goods are already in). Its capacity is held now; the owner accepts it (or the
    listing books instantly); once it is paid, it is active at once (the check-in carries over)."""
    _require_exporter(lease, by)
    _require_verified(lease.exporter, "extend a lease")
    trust_services.organisation_require_in_good_standing(lease.exporter, "extend a lease")
    locked = _lock(lease)
    lease = locked.lease
    if lease.state != S.ACTIVE:
        raise InvalidTransition(_("A lease can be extended once its goods are checked in and confirmed (active)."))
    if end <= lease.end:
        raise InvalidExtension(
            _("Choose an end date after %(date)s, the lease's current end.")
            % {"date": formats.date_format(lease.end, "DATE_FORMAT")}
        )
    extension = lease.children.filter(origin=LeaseOrigin.EXTENSION).exclude(state__in=ENDED_UNUSED).first()
    if extension is not None and extension.state in (S.REQUESTED, S.ACCEPTED):
        raise InvalidExtension(_("An extension of this lease is already waiting for the owner or for payment."))
    if extension is not None:
        raise InvalidExtension(
            _("Lease #%(lease)s already extends this lease: extend that one instead.") % {"lease": extension.pk}
        )
    quantity = _held_on(lease, lease.end)
    if quantity < 1:
        raise InvalidExtension(_("Nothing of this lease is left on its last day to extend."))
    start = lease.end + timedelta(days=1)
    quote = listing_quote(listing=lease.listing, start=start, end=end, quantity=quantity, handling=False)
    return _lease_open(
        Lease(
            listing=lease.listing,
            exporter=lease.exporter,
            requested_by=by,
            quantity=quantity,
            start=start,
            end=end,
            goods_description=lease.goods_description,
            message=message or f"Extension of lease #{lease.pk}",
            origin=LeaseOrigin.EXTENSION,
            parent=lease,
            goods_carried=True,
        ),
        quote=quote,
        by=by,
    )


def _held_by_day(lease: Lease, start: date, end: date | None = None) -> dict[date, int]:
    """Units the lease holds on each day of ``start..end`` (default: its end) from its live holds; a
    transfer may have moved some out, and a day no hold covers holds nothing."""
    end = end or lease.end
    held = {start + timedelta(days=n): 0 for n in range((end - start).days + 1)}
    for reservation in lease.reservations.filter(released_at=None, start__lte=end, end__gte=start):
        for day in held:
            if reservation.start <= day <= reservation.end:
                held[day] += reservation.quantity
    return held


def _held_on(lease: Lease, day: date) -> int:
    """Units the lease holds on ``day``."""
    return _held_by_day(lease, day, day)[day]


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
        raise InvalidTransition(_("Say why you decline, so the exporter can look elsewhere."), code="reason_required")
    locked = _lock(lease)
    locked.lease.decline_reason = reason.strip()[:300]
    return lease_transition(lease=locked.lease, to=S.DECLINED, by=by, note=reason)


@transaction.atomic
def lease_withdraw(*, lease: Lease, by: User) -> Lease:
    """The exporter withdraws a request, or an accepted lease not yet paid. No money has moved."""
    _require_exporter(lease, by)
    locked = _lock(lease)
    if locked.lease.state not in (S.REQUESTED, S.ACCEPTED):
        raise InvalidTransition(_("Only an unpaid lease can be withdrawn; a paid one is cancelled under its policy."))
    return lease_transition(lease=locked.lease, to=S.CANCELLED, by=by, note=gettext_noop("Withdrawn by the exporter"))


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
            raise InvalidTransition(
                _("A lease that is %(state)s cannot be paid.") % {"state": _state(locked.lease.state)}
            )
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


def lease_carry_in(*, lease: Lease, escrow: Escrow, by: User | None) -> Lease:
    """A paid lease that continues another whose goods are already checked in (an extension, a
    transfer carrying the goods) is active at once; its instalments are released as they begin."""
    assert lease.parent is not None
    lease = lease_transition(
        lease=lease, to=S.ACTIVE, by=by, note=f"The goods checked in on lease #{lease.parent_id} carry over"
    )
    schedule.instalments_release_due(lease=lease, escrow=escrow, today=timezone.localdate())
    return lease


@transaction.atomic
def lease_payment_succeeded(*, payment: Payment, by: User | None) -> Lease:
    """Record a succeeded payment (from checkout or a webhook). Idempotent, forward only."""
    locked = _lock(payment.escrow.lease)
    lease, escrow = locked.lease, locked.escrow
    assert escrow is not None
    payment.refresh_from_db()
    escrow_services.escrow_fund(escrow=escrow, payment=payment)
    if lease.state == S.ACCEPTED:
        lease = lease_transition(lease=lease, to=S.FUNDED, by=by, note=f"Paid {payment.amount} {payment.currency}")
        schedule.instalments_create(lease)
        if lease.origin == LeaseOrigin.TRANSFER:
            from . import transfers  # transfers builds on this module; resolved at call time

            return transfers.transfer_complete(lease=lease, escrow=escrow, by=by)
        if lease.goods_carried and lease.parent is not None and lease.parent.state in (S.ACTIVE, S.COMPLETED):
            return lease_carry_in(lease=lease, escrow=escrow, by=by)
        return lease
    if lease.state in (S.EXPIRED, S.CANCELLED):
        refund = escrow_services.escrow_refund(
            escrow=escrow,
            exporter=lease.exporter,
            amount=payment.amount,
            reason=gettext_noop("payment arrived after the lease ended"),
            key=f"escrow:{escrow.pk}:refund:late-payment:{payment.pk}",
        )
        _note(lease, by=None, note=gettext_noop("Payment arrived after the lease ended; refunded in full."))
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
        raise NotAllowed(_("This payment does not belong to this lease."))
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
        raise InvalidShipment(_("Shipments can be announced once the lease is paid and before check-in."))
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
        to = dict(ShipmentStatus.choices).get(status, _name(str(status)))
        raise InvalidShipment(
            _("A shipment that is %(status)s cannot be marked %(to)s.")
            % {"status": shipment.get_status_display().lower(), "to": str(to).lower()}
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
        raise InvalidShipment(_("Mark the shipment as arrived before checking it in."))
    if locked.lease.state not in (S.FUNDED, S.ACTIVE):
        raise InvalidTransition(
            _("Goods cannot be checked in on a lease that is %(state)s.") % {"state": _state(locked.lease.state)}
        )
    lines = list(shipment.lines.all())
    if set(received) != {line.pk for line in lines} or any(count < 0 for count in received.values()):
        raise InvalidShipment(_("Give a received count (0 or more) for every declared line."))
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
        _note(locked.lease, by=by, note=summary + more)
        lease_notify(lease=locked.lease, step="part_checked_in")
    return checkin


def shipments_waiting(lease: Lease) -> int:
    """Announced shipments of ``lease`` not checked in yet."""
    return lease.shipments.exclude(status=ShipmentStatus.CHECKED_IN).count()


# --- Confirmation, dispute, release -------------------------------------------------------


def _release(locked: Locked, *, by: User | None, note: str) -> Lease:
    """The check-in is confirmed: the lease is active and escrow releases the first instalment
    (the whole price of a lease up to 30 days) and any other whose month has begun."""
    lease, escrow = locked.lease, locked.escrow
    assert escrow is not None
    lease = lease_transition(lease=lease, to=S.ACTIVE, by=by, note=note)
    schedule.instalments_release_due(lease=lease, escrow=escrow, today=timezone.localdate(), first=True)
    return lease


def lease_confirmable(lease: Lease) -> bool:
    """Whether the exporter can confirm now: the check-in, or with shipments still to come, what
    arrived so far (at least one shipment checked in)."""
    if lease.state == S.CHECKED_IN:
        return True
    return lease.state == S.FUNDED and lease.shipments.filter(status=ShipmentStatus.CHECKED_IN).exists()


@transaction.atomic
def lease_confirm(*, lease: Lease, by: User) -> Lease:
    """The exporter confirms the check-in (or, with shipments still to come, what arrived so far):
    the escrow is released to the owner."""
    _require_exporter(lease, by)
    locked = _lock(lease)
    if not lease_confirmable(locked.lease):
        raise InvalidTransition(
            _("A lease that is %(state)s cannot be confirmed.") % {"state": _state(locked.lease.state)}
        )
    if locked.lease.state == S.FUNDED:
        waiting = shipments_waiting(locked.lease)
        lease_transition(
            lease=locked.lease,
            to=S.CHECKED_IN,
            by=by,
            note=f"The exporter confirms what arrived; {waiting} announced shipment(s) not checked in",
            notify=False,
        )
    return _release(locked, by=by, note=gettext_noop("Check-in confirmed by the exporter"))


# --- Cancellation ---------------------------------------------------------------------------

CANCELLABLE = {CancelledBy.EXPORTER: (S.FUNDED, S.ACTIVE), CancelledBy.OWNER: (S.ACCEPTED, S.FUNDED)}


def lease_cancel_side(lease: Lease, organisation: Organisation) -> str | None:
    """Which side ``organisation`` may cancel ``lease`` as now, if any (owners only before the start)."""
    if organisation.pk == lease.exporter_id and lease.state in CANCELLABLE[CancelledBy.EXPORTER]:
        return CancelledBy.EXPORTER
    owner_may = lease.state in CANCELLABLE[CancelledBy.OWNER] and timezone.localdate() < lease.start
    if organisation.pk == lease.owner.pk and owner_may:
        return CancelledBy.OWNER
    return None


def lease_cancel_quote(*, lease: Lease, side: str) -> schedule.CancellationQuote:
    """The refund a cancellation by ``side`` would make now: shown before the person confirms."""
    return schedule.cancellation_quote(lease, side=side)


@transaction.atomic
def lease_cancel(*, lease: Lease, by: User, side: str, expected_refund: Decimal | None = None) -> Lease:
    """Cancel a paid (or, by the owner, an accepted) lease under the listing's policy.

    The exporter: before check-in, or after it for the months not yet released. The owner: any
    time before the start, refunding everything (it counts against the owner's rating). Money
    escrow holds is refunded and released as ``lease_cancel_quote`` says; if ``expected_refund``
    (the amount the person saw) is no longer right, nothing happens (RefundChanged). On an active
    lease the space already paid for stays held until the end of its last released month.
    """
    _require_exporter(lease, by) if side == CancelledBy.EXPORTER else _require_owner(lease, by)
    locked = _lock(lease)
    lease, escrow = locked.lease, locked.escrow
    organisation = lease.exporter if side == CancelledBy.EXPORTER else lease.owner
    if lease_cancel_side(lease, organisation) != side:
        if side == CancelledBy.OWNER:
            detail = _("The owner cannot cancel a lease that is %(state)s before the lease starts.")
        else:
            detail = _("The exporter cannot cancel a lease that is %(state)s.")
        raise InvalidTransition(detail % {"state": _state(lease.state)})
    if escrow is not None and escrow.frozen:
        raise InvalidTransition(_("This lease's payment is under a card dispute: it cannot be cancelled now."))
    quote = schedule.cancellation_quote(lease, side=side)
    if expected_refund is not None and quote.refund != expected_refund:
        raise RefundChanged(
            _(
                "The refund is now %(refund)s, not %(shown)s: a deadline of the cancellation policy has passed. "
                "Review the new amount and confirm again."
            )
            % {"refund": quote.money("refund"), "shown": Money(expected_refund, lease.currency)}
        )
    if quote.lines:
        assert escrow is not None
        schedule.cancellation_settle(lease=lease, escrow=escrow, quote=quote)
    kept = quote.keep_until is not None and quote.keep_until >= timezone.localdate()
    if quote.keep_until is not None and kept:
        _capacity_keep_until(lease, quote.keep_until)
    lease.cancelled_by = side
    if quote.lines:
        note = f"Cancelled by the {side}; refund {quote.money('refund')}"
    elif side == CancelledBy.OWNER:
        note = gettext_noop("Cancelled by the owner")
    else:
        note = gettext_noop("Cancelled by the exporter")
    return lease_transition(lease=lease, to=S.CANCELLED, by=by, note=note, release_capacity=not kept)


def _capacity_keep_until(lease: Lease, last_day: date) -> None:
    """Give back the lease's capacity after ``last_day`` (inside the locked transaction)."""
    for reservation in lease.reservations.filter(released_at=None):
        if reservation.end <= last_day:
            continue
        parts = [(reservation.start, last_day, reservation.quantity)] if reservation.start <= last_day else []
        lease.reservations.add(*capacity_reshape(reservation=reservation, parts=parts))


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
    for pk in Lease.objects.filter(due, state=state).order_by("pk").values_list("pk", flat=True).distinct():
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
    return _sweep(state=S.REQUESTED, due=due, act=_to(S.EXPIRED, gettext_noop("The owner did not answer in time")))


def leases_expire_unpaid() -> int:
    """Accepted leases not paid in time expire and free their capacity."""
    due = Q(payment_due_at__lte=timezone.now())
    return _sweep(state=S.ACCEPTED, due=due, act=_to(S.EXPIRED, gettext_noop("Not paid in time")))


def leases_auto_confirm() -> int:
    """Check-ins the exporter neither confirmed nor disputed in the window confirm themselves."""

    def act(locked: Locked) -> bool:
        if locked.escrow is not None and locked.escrow.frozen:
            return False  # a card dispute is open: nothing is released until it is decided
        _release(locked, by=None, note=gettext_noop("Confirmed automatically: the window passed without a dispute"))
        return True

    return _sweep(state=S.CHECKED_IN, due=Q(confirm_by__lte=timezone.now()), act=act)


def leases_release_due() -> int:
    """Active leases released month by month: each month's instalment is released at its start."""
    today = timezone.localdate()

    def act(locked: Locked) -> bool:
        if locked.escrow is None or locked.escrow.frozen:
            return False
        return bool(schedule.instalments_release_due(lease=locked.lease, escrow=locked.escrow, today=today))

    due = Q(instalments__status=InstalmentStatus.SCHEDULED, instalments__start__lte=today)
    return _sweep(state=S.ACTIVE, due=due, act=act)


def leases_complete() -> int:
    """Active leases past their end date complete and free their capacity (any instalment still
    held is released first)."""
    today = timezone.localdate()

    def act(locked: Locked) -> bool:
        if locked.escrow is not None:
            if locked.escrow.frozen:
                return False
            # The lease ended: whatever escrow still holds for it is due.
            schedule.instalments_release_due(lease=locked.lease, escrow=locked.escrow, today=date.max)
        lease_transition(lease=locked.lease, to=S.COMPLETED, by=None, note=gettext_noop("The lease ended"))
        return True

    return _sweep(state=S.ACTIVE, due=Q(end__lt=today), act=act)

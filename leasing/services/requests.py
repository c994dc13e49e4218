"""Requesting a lease, and the owner's answer: accept, decline; the exporter's withdrawal."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Organisation, User
from accounts.selectors import user_is_member
from common.drill import drill_pause
from escrow import services as escrow_services
from warehouses.exceptions import ListingNotBookable
from warehouses.models import Listing
from warehouses.pricing import Quote, listing_quote
from warehouses.services import capacity_reserve, listing_check_booking

from .. import rules
from ..choices import Billing
from ..choices import LeaseState as S
from ..core import (
    lease_lock,
    lease_settings,
    lease_transition,
    require_exporter,
    require_owner,
    require_verified,
    standing_require,
)
from ..exceptions import InvalidTransition, NotAllowed
from ..models import Lease, LeaseEvent
from ..notifications import lease_notify
from .billing import billing_check


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
    billing: str = Billing.UPFRONT,
) -> Lease:
    """Hold capacity and create a lease request with its price frozen.

    Instant-book listings go straight to ``accepted``. ``billing`` monthly: pay month by month
    (``billing.billing_allowed``). Raises OrganisationNotVerified, ListingNotBookable, InvalidDates,
    CapacityUnavailable or InvalidTransition (monthly not allowed), leaving nothing behind.
    """
    if not exporter.is_exporter:
        raise NotAllowed(_("%(organisation)s is not set up as an exporter.") % {"organisation": exporter})
    if not user_is_member(by, exporter):
        raise NotAllowed(_("You can only request leases for your own organisation."))
    require_verified(exporter, "request a lease")
    # An instant-book lease is accepted without the owner acting: the owner must be allowed to take
    # it. Both sides' standing in one check (one query), the exporter's refusal first.
    standing_require(exporter, "request a lease", (listing.warehouse.organisation, "take bookings"))
    if listing.warehouse.organisation_id == exporter.pk:
        raise ListingNotBookable(_("You cannot lease your own organisation's space."))
    if not listing.is_bookable:
        raise ListingNotBookable(_("This listing is not taking bookings right now."))
    listing_check_booking(listing=listing, start=start, end=end, quantity=quantity)
    quote = listing_quote(listing=listing, start=start, end=end, quantity=quantity)
    lease = Lease(
        listing=listing,
        exporter=exporter,
        requested_by=by,
        quantity=quantity,
        start=start,
        end=end,
        goods_description=goods_description,
        message=message,
        billing=billing,
    )
    billing_check(lease, billing)
    return lease_open(lease, quote=quote, by=by)


def lease_open(lease: Lease, *, quote: Quote, by: User) -> Lease:
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
    lease.hold_expires_at = timezone.now() + timedelta(hours=lease_settings()["HOLD_HOURS"])
    lease.save()
    escrow_services.escrow_open(lease_id=lease.pk, currency=lease.currency)
    LeaseEvent.objects.create(lease=lease, actor=by, to_state=S.REQUESTED, note=lease.message[:500])
    if lease.listing.instant_book:
        lease_transition(lease=lease, to=S.ACCEPTED, by=None, note=gettext_noop("Instant book"))
    else:
        lease_notify(lease=lease, step=S.REQUESTED)
    # Capacity last: the listing row stays locked from here to the commit, so keep that short.
    lease.reservations.add(
        capacity_reserve(listing=lease.listing, start=lease.start, end=lease.end, quantity=lease.quantity)
    )
    drill_pause("lease_reserved", lease=lease.pk)  # written, not yet committed
    return lease


@transaction.atomic
def lease_accept(*, lease: Lease, by: User) -> Lease:
    require_owner(lease, by)
    require_verified(lease.listing.warehouse.organisation, "accept a lease")
    standing_require(lease.listing.warehouse.organisation, "accept a lease")
    locked = lease_lock(lease)
    rules.accept(locked.lease, rules.OWNER).require()
    return lease_transition(lease=locked.lease, to=S.ACCEPTED, by=by)


@transaction.atomic
def lease_decline(*, lease: Lease, by: User, reason: str) -> Lease:
    require_owner(lease, by)
    if not reason.strip():
        raise InvalidTransition(_("Say why you decline, so the exporter can look elsewhere."), code="reason_required")
    locked = lease_lock(lease)
    rules.decline(locked.lease, rules.OWNER).require()
    locked.lease.decline_reason = reason.strip()[:300]
    return lease_transition(lease=locked.lease, to=S.DECLINED, by=by, note=reason)


@transaction.atomic
def lease_withdraw(*, lease: Lease, by: User) -> Lease:
    """The exporter withdraws a request, or an accepted lease not yet paid. No money has moved."""
    require_exporter(lease, by)
    locked = lease_lock(lease)
    rules.withdraw(locked.lease, rules.EXPORTER).require()
    return lease_transition(lease=locked.lease, to=S.CANCELLED, by=by, note=gettext_noop("Withdrawn by the exporter"))

"""Walk leases through the real services to any state: used by the demo seed and the tests."""

from collections.abc import Callable
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organisation, User
from escrow.models import Payment, Payout
from warehouses.choices import CancellationPolicy
from warehouses.dates import warehouse_today
from warehouses.models import Listing
from warehouses.services import capacity_reshape

from . import services, transfers
from .choices import Billing, InstalmentStatus, TransferGoods, TransferState
from .choices import LeaseState as S
from .models import CheckIn, InboundShipment, Instalment, Lease, LeaseEvent, ShipmentEvent


class LeaseWalker:
    """Moves a lease forward as its owner and exporter would, one real service call per step."""

    def __init__(self, *, owner: User, exporter: User) -> None:
        self.owner = owner
        self.exporter = exporter

    def accept(self, lease: Lease) -> None:
        if lease.state == S.REQUESTED:  # instant-book leases start accepted
            services.lease_accept(lease=lease, by=self.owner)

    def decline(self, lease: Lease) -> None:
        services.lease_decline(lease=lease, by=self.owner, reason="Fully booked for a regular customer")

    def withdraw(self, lease: Lease) -> None:
        services.lease_withdraw(lease=lease, by=self.exporter)

    def pay(self, lease: Lease, payment_method: str = "pm_card_visa") -> None:
        services.lease_pay(lease=lease, by=self.exporter, payment_method=payment_method)

    def announce(self, lease: Lease) -> InboundShipment:
        return services.shipment_announce(
            lease=lease,
            by=self.exporter,
            carrier="Maersk",
            tracking_number=f"MSKU{lease.pk:07d}",
            eta=lease.start,
            lines=[
                services.DeclaredLine(description="Folding chairs", quantity=40, sku="CH-1"),
                services.DeclaredLine(description="Garden tables", quantity=10, sku="TB-1"),
            ],
            customs_reference=f"MRN-{lease.pk:06d}",
        )

    def check_in(self, lease: Lease, *, short: int = 0) -> None:
        shipment = self.announce(lease)
        services.shipment_mark(shipment=shipment, by=self.owner, status="in_transit")
        services.shipment_mark(shipment=shipment, by=self.owner, status="arrived")
        lines = list(shipment.lines.all())
        received = {line.pk: line.quantity for line in lines}
        received[lines[0].pk] -= short
        services.checkin_record(shipment=shipment, by=self.owner, received=received)

    def confirm(self, lease: Lease) -> None:
        services.lease_confirm(lease=lease, by=self.exporter)

    def expire(self, lease: Lease) -> None:
        Lease.objects.filter(pk=lease.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
        services.leases_expire_holds()

    def complete(self, lease: Lease) -> None:
        """Pretend the lease has run its course, then let the completion sweep end it."""
        today = warehouse_today(lease.listing.warehouse)
        Lease.objects.filter(pk=lease.pk).update(
            start=today - timedelta(days=lease.days), end=today - timedelta(days=1)
        )
        services.leases_complete()

    def steps_to(self, state: str) -> list[Callable[[Lease], object]]:
        paid: list[Callable[[Lease], object]] = [self.accept, self.pay]
        steps: dict[str, list[Callable[[Lease], object]]] = {
            S.REQUESTED: [],
            S.ACCEPTED: [self.accept],
            S.DECLINED: [self.decline],
            S.EXPIRED: [self.expire],
            S.CANCELLED: [self.withdraw],
            S.FUNDED: paid,
            S.CHECKED_IN: [*paid, self.check_in],
            S.ACTIVE: [*paid, self.check_in, self.confirm],
            S.COMPLETED: [*paid, self.check_in, self.confirm, self.complete],
        }
        return steps[state]

    def walk(self, lease: Lease, state: str) -> Lease:
        for step in self.steps_to(state):
            step(lease)
            lease.refresh_from_db()
        return lease


DEMO_STATES = [
    S.REQUESTED,
    S.REQUESTED,
    S.ACCEPTED,
    S.FUNDED,
    S.CHECKED_IN,
    S.ACTIVE,
    S.COMPLETED,
    S.DECLINED,
    S.EXPIRED,
    S.CANCELLED,
]


def seed_leases(*, listings: list[Listing], owners: dict[int, User], exporters: list[tuple[User, Organisation]]) -> int:
    """One lease per demo state, spread over listings and exporters (skipped if leases exist),
    then the flexible leases of issue #7 (each skipped if it exists). Returns the leases made."""
    made = 0 if Lease.objects.exists() else _seed_states(listings=listings, owners=owners, exporters=exporters)
    return made + seed_flexible(listings=listings, owners=owners, exporters=exporters)


def _seed_states(
    *, listings: list[Listing], owners: dict[int, User], exporters: list[tuple[User, Organisation]]
) -> int:
    listings = [listing for listing in listings if not listing.instant_book]
    for index, state in enumerate(DEMO_STATES):
        listing = listings[index % len(listings)]
        today = warehouse_today(listing.warehouse)
        exporter, organisation = exporters[index % len(exporters)]
        start = today + timedelta(days=5 + index)
        lease = services.lease_request(
            listing=listing,
            exporter=organisation,
            by=exporter,
            start=start,
            end=start + timedelta(days=29),
            quantity=5 + index,
            goods_description=["Garden furniture", "Consumer electronics", "Apparel", "Toys"][index % 4],
            message="Goods leave Ningbo next week by sea.",
        )
        walker = LeaseWalker(owner=owners[listing.warehouse.organisation_id], exporter=exporter)
        walker.walk(lease, state)
    return len(DEMO_STATES)


# --- Transfers, cancellations with refunds, long leases released month by month ------------------

# The goods of each flexible demo lease: how the seed finds it again (a transfer's lease copies them).
TRANSFERRED = "Bluetooth speakers, 120 cartons"
PART_TRANSFERRED = "LED desk lamps, 80 cartons"
CANCELLED_WITH_REFUND = "Kitchen textiles, 60 cartons"
LONG_MONTHLY = "Outdoor cushions, season stock"
AWAITING_CONSENT = "Phone accessories, 200 cartons"
SHORT_TRANSFERRED = "Yoga mats, 40 cartons"  # a 25-day lease, paid out to the owner at check-in, handed on
MONTHLY_BILLED = "Solar garden lights, billed monthly"


def _backdate(lease: Lease, days: int) -> Lease:
    """Demo only: a lease requested today, not yet paid, moved ``days`` into the past (as if it had
    started then), so its release schedule is made with past months. Its calendar hold keeps only
    the days still to come: past days are not bookable anyway."""
    shift = timedelta(days=days)
    Lease.objects.filter(pk=lease.pk).update(start=lease.start - shift, end=lease.end - shift)
    for reservation in lease.reservations.filter(released_at=None):
        end = reservation.end - shift
        parts = [(reservation.start, end, reservation.quantity)] if end >= reservation.start else []
        lease.reservations.remove(reservation)
        lease.reservations.add(*capacity_reshape(reservation=reservation, parts=parts))
    lease.refresh_from_db()
    return lease


def _history_backdated(lease: Lease, walked: datetime) -> None:
    """Demo only: date a backdated lease's history up to ``walked`` (walked through just now) to
    just before its start, and each release to the start of its month. Runs after the demo
    commits, once the payouts have been made, so their times are the last written."""
    start = datetime.combine(lease.start, time(9), tzinfo=timezone.get_current_timezone())
    shift = walked - start + timedelta(days=2)
    escrow = lease.escrow
    until = {"created_at__lte": walked}
    Lease.objects.filter(pk=lease.pk).update(created_at=F("created_at") - shift, confirm_by=F("confirm_by") - shift)
    LeaseEvent.objects.filter(lease=lease, **until).update(created_at=F("created_at") - shift)
    InboundShipment.objects.filter(lease=lease, **until).update(created_at=F("created_at") - shift)
    ShipmentEvent.objects.filter(shipment__lease=lease, **until).update(created_at=F("created_at") - shift)
    CheckIn.objects.filter(shipment__lease=lease, **until).update(created_at=F("created_at") - shift)
    Payment.objects.filter(escrow=escrow, **until).update(created_at=F("created_at") - shift)
    for instalment in lease.instalments.filter(status=InstalmentStatus.RELEASED, settled_at__lte=walked):
        if instalment.sequence == 1:
            when = walked - shift
        else:
            when = datetime.combine(instalment.start, time(6), tzinfo=start.tzinfo)
        Instalment.objects.filter(pk=instalment.pk).update(settled_at=when)
        Payout.objects.filter(escrow=escrow, sequence=instalment.sequence).update(created_at=when, paid_at=when)


def _long_active(
    *,
    listing: Listing,
    owner: User,
    exporter: tuple[User, Organisation],
    goods: str,
    quantity: int,
    days: int,
    ago: int,
) -> Lease:
    """A lease of ``days`` days that started ``ago`` days ago, checked in and confirmed: the months
    begun are released, the later ones held (the release sweep runs too, as the demo's loop would)."""
    user, organisation = exporter
    today = warehouse_today(listing.warehouse)
    lease = services.lease_request(
        listing=listing,
        exporter=organisation,
        by=user,
        start=today,
        end=today + timedelta(days=days - 1),
        quantity=quantity,
        goods_description=goods,
        message="A season's stock; we keep it close to our buyers.",
    )
    lease = _backdate(lease, ago)
    LeaseWalker(owner=owner, exporter=user).walk(lease, S.ACTIVE)
    services.leases_release_due()
    walked = timezone.now()
    transaction.on_commit(lambda: _history_backdated(lease, walked))
    return lease


def _transfer(
    lease: Lease, *, offerer: User, receiver: tuple[User, Organisation], owner: User, quantity: int, after: int = 0
) -> None:
    """Offer ``quantity`` units from ``after`` days after the earliest day (today) to ``receiver``
    at what they cost the offerer, who accepts; the owner approves and the receiver pays: the
    transfer completes (days already paid out are paid back from the receiver's payment)."""
    user, organisation = receiver
    start = transfers.transfer_earliest(lease) + timedelta(days=after)
    value = transfers.transfer_value(lease, quantity=quantity, start=start)
    transfer = transfers.transfer_offer(
        lease=lease,
        by=offerer,
        quantity=quantity,
        start=start,
        price=value.cost,
        goods=TransferGoods.CARRY,
        to_organisation=organisation,
        message="Our season ended early: the goods are sold with the space.",
    )
    transfers.transfer_accept(transfer=transfer, by=user, organisation=organisation)
    transfer.refresh_from_db()
    if transfer.state == TransferState.ACCEPTED:
        transfers.transfer_consent(transfer=transfer, by=owner, approve=True)
        transfer.refresh_from_db()
    assert transfer.new_lease is not None
    services.lease_pay(lease=transfer.new_lease, by=user, payment_method="pm_card_visa")


def _monthly_billed(*, listing: Listing, owner: User, exporter: tuple[User, Organisation]) -> Lease:
    """Issue #18: a 100-day lease billed monthly, starting in 4 days, with two months paid: the first
    payment (month 1, the card saved) and month 2 paid early by hand; months 3 and 4 are charged to
    the saved card by the sweep 7 days before each starts."""
    user, organisation = exporter
    start = warehouse_today(listing.warehouse) + timedelta(days=4)
    lease = services.lease_request(
        listing=listing,
        exporter=organisation,
        by=user,
        start=start,
        end=start + timedelta(days=99),
        quantity=4,
        goods_description=MONTHLY_BILLED,
        message="We pay month by month while the season shows how it sells.",
        billing=Billing.MONTHLY,
    )
    LeaseWalker(owner=owner, exporter=user).walk(lease, S.FUNDED)
    services.instalment_pay(lease=lease, by=user, payment_method="pm_card_visa")
    return lease


def _made(goods: str) -> bool:
    return Lease.objects.filter(goods_description=goods, parent=None).exists()


def seed_flexible(
    *, listings: list[Listing], owners: dict[int, User], exporters: list[tuple[User, Organisation]]
) -> int:
    """The leases of issue #7, on the first owner's listings, by the first exporter, handed on to
    the second: a transfer of a whole lease and one of part of a lease, a cancellation with a
    policy refund, a long lease released month by month, a transfer awaiting the owner's consent,
    and a short lease already paid out to the owner handed on.
    Each is made once (found again by its goods). Returns how many leases were made."""
    owner_org = listings[0].warehouse.organisation
    owner = owners[owner_org.pk]
    mine = [item for item in listings if item.warehouse.organisation_id == owner_org.pk and not item.instant_book]
    first, second = exporters[0], exporters[1]
    by_policy = {item.cancellation_policy: item for item in reversed(mine)}
    made = 0
    if not _made(LONG_MONTHLY):
        _long_active(listing=mine[0], owner=owner, exporter=first, goods=LONG_MONTHLY, quantity=12, days=100, ago=40)
        made += 1
    if not _made(TRANSFERRED):
        listing = mine[1 % len(mine)]
        lease = _long_active(
            listing=listing, owner=owner, exporter=first, goods=TRANSFERRED, quantity=8, days=75, ago=20
        )
        _transfer(lease, offerer=first[0], receiver=second, owner=owner, quantity=8)
        made += 2
    if not _made(PART_TRANSFERRED):
        listing = mine[2 % len(mine)]
        lease = _long_active(
            listing=listing, owner=owner, exporter=first, goods=PART_TRANSFERRED, quantity=10, days=90, ago=15
        )
        _transfer(lease, offerer=first[0], receiver=second, owner=owner, quantity=4)
        made += 2
    if not _made(CANCELLED_WITH_REFUND):
        listing = by_policy.get(CancellationPolicy.MODERATE, mine[0])
        user, organisation = second
        start = warehouse_today(listing.warehouse) + timedelta(days=5)
        lease = services.lease_request(
            listing=listing,
            exporter=organisation,
            by=user,
            start=start,
            end=start + timedelta(days=29),
            quantity=6,
            goods_description=CANCELLED_WITH_REFUND,
            message="Spring collection, arriving by rail.",
        )
        LeaseWalker(owner=owner, exporter=user).walk(lease, S.FUNDED)
        quote = services.lease_cancel_quote(lease=lease, side="exporter")
        services.lease_cancel(lease=lease, by=user, side="exporter", expected_refund=quote.refund)
        made += 1
    if not _made(MONTHLY_BILLED):
        _monthly_billed(listing=mine[0], owner=owner, exporter=second)
        made += 1
    if not _made(AWAITING_CONSENT):
        user, organisation = first
        start = warehouse_today(mine[-1].warehouse) + timedelta(days=6)
        lease = services.lease_request(
            listing=mine[-1],
            exporter=organisation,
            by=user,
            start=start,
            end=start + timedelta(days=59),
            quantity=9,
            goods_description=AWAITING_CONSENT,
            message="Peak season stock for the EU market.",
        )
        LeaseWalker(owner=owner, exporter=user).walk(lease, S.FUNDED)
        receiver_user, receiver = second
        transfer = transfers.transfer_offer(
            lease=lease,
            by=user,
            quantity=5,
            start=start + timedelta(days=14),
            price=transfers.transfer_value(lease, quantity=5, start=start + timedelta(days=14)).cost,
            to_organisation=receiver,
            message="Our forecast changed: five units are free from the third week.",
        )
        transfers.transfer_accept(transfer=transfer, by=receiver_user, organisation=receiver)
        made += 1
    if not _made(SHORT_TRANSFERRED):
        # Issue #18: a lease of 30 days or less is paid out to the owner at check-in; it is handed
        # on all the same, the receiver's payment paying the first exporter back.
        listing = mine[3 % len(mine)]
        lease = _long_active(
            listing=listing, owner=owner, exporter=first, goods=SHORT_TRANSFERRED, quantity=6, days=25, ago=5
        )
        _transfer(lease, offerer=first[0], receiver=second, owner=owner, quantity=6, after=1)
        made += 2
    return made

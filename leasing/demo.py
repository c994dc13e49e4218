"""Walk leases through the real services to any state: used by the demo seed and the tests."""

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from accounts.models import Organisation, User
from warehouses.models import Listing

from . import services
from .choices import LeaseState as S
from .models import InboundShipment, Lease


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

    def dispute(self, lease: Lease) -> None:
        services.lease_dispute(lease=lease, by=self.exporter, reason="Two boxes of tables are missing")

    def expire(self, lease: Lease) -> None:
        Lease.objects.filter(pk=lease.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
        services.leases_expire_holds()

    def complete(self, lease: Lease) -> None:
        """Pretend the lease has run its course, then let the completion sweep end it."""
        today = timezone.localdate()
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
            S.DISPUTED: [*paid, self.check_in, self.dispute],
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
    S.DISPUTED,
    S.ACTIVE,
    S.COMPLETED,
    S.DECLINED,
    S.EXPIRED,
    S.CANCELLED,
]


def seed_leases(*, listings: list[Listing], owners: dict[int, User], exporters: list[tuple[User, Organisation]]) -> int:
    """One lease per demo state, spread over listings and exporters. Skipped if leases exist."""
    if Lease.objects.exists():
        return 0
    listings = [listing for listing in listings if not listing.instant_book]
    today = timezone.localdate()
    for index, state in enumerate(DEMO_STATES):
        listing = listings[index % len(listings)]
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

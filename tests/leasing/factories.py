"""Leases in any state, built through the real services so the ledger and calendar agree."""

from datetime import date

from django.utils import timezone

from accounts.models import Organisation, User
from escrow.services import payout_account_connect_simulated
from leasing import services
from leasing.choices import LeaseState
from leasing.models import InboundShipment, Lease
from tests.accounts.factories import ExporterOrganisationFactory, OwnerOrganisationFactory, member_of
from tests.warehouses.factories import ListingFactory, WarehouseFactory, days_from_now
from warehouses.models import Listing


class Parties:
    """An owner with a listing and an exporter, each with one admin user."""

    def __init__(self, *, listing: Listing | None = None, **listing_fields: object) -> None:
        if listing is None:
            self.owner_org: Organisation = OwnerOrganisationFactory()
            listing = ListingFactory(warehouse=WarehouseFactory(organisation=self.owner_org), **listing_fields)
        else:
            self.owner_org = listing.warehouse.organisation
        self.listing = listing
        self.owner: User = member_of(self.owner_org)
        self.exporter_org: Organisation = ExporterOrganisationFactory()
        self.exporter: User = member_of(self.exporter_org)
        payout_account_connect_simulated(organisation=self.owner_org, holder_name="Owner BV", iban="NL00BANK0123456789")

    def request(self, *, start: date | None = None, end: date | None = None, quantity: int = 2) -> Lease:
        return services.lease_request(
            listing=self.listing,
            exporter=self.exporter_org,
            by=self.exporter,
            start=start or days_from_now(3),
            end=end or days_from_now(12),
            quantity=quantity,
            goods_description="Garden furniture, flat-packed",
            message="Arriving by sea",
        )

    def lease_in(self, state: str, **kwargs: object) -> Lease:
        """A lease walked through the real services up to ``state``."""
        lease = self.request(**kwargs)  # type: ignore[arg-type]
        steps = {
            LeaseState.REQUESTED: [],
            LeaseState.ACCEPTED: [self.accept],
            LeaseState.DECLINED: [lambda lease: services.lease_decline(lease=lease, by=self.owner, reason="Full")],
            LeaseState.EXPIRED: [self.expire],
            LeaseState.CANCELLED: [lambda lease: services.lease_withdraw(lease=lease, by=self.exporter)],
            LeaseState.FUNDED: [self.accept, self.pay],
            LeaseState.CHECKED_IN: [self.accept, self.pay, self.check_in],
            LeaseState.DISPUTED: [
                self.accept,
                self.pay,
                self.check_in,
                lambda lease: services.lease_dispute(lease=lease, by=self.exporter, reason="Two boxes missing"),
            ],
            LeaseState.ACTIVE: [self.accept, self.pay, self.check_in, self.confirm],
            LeaseState.COMPLETED: [self.accept, self.pay, self.check_in, self.confirm, self.complete],
        }[state]
        for step in steps:
            step(lease)
            lease.refresh_from_db()
        return lease

    def accept(self, lease: Lease) -> Lease:
        return services.lease_accept(lease=lease, by=self.owner)

    def pay(self, lease: Lease, payment_method: str = "pm_card_visa"):
        return services.lease_pay(lease=lease, by=self.exporter, payment_method=payment_method)

    def announce(self, lease: Lease) -> InboundShipment:
        return services.shipment_announce(
            lease=lease,
            by=self.exporter,
            carrier="Maersk",
            tracking_number="MSKU1234567",
            eta=days_from_now(2),
            lines=[
                services.DeclaredLine(description="Chairs", quantity=40, sku="CH-1"),
                services.DeclaredLine(description="Tables", quantity=10, sku="TB-1"),
            ],
            customs_reference="MRN-24NL0001",
        )

    def check_in(self, lease: Lease, *, short: int = 0):
        shipment = self.announce(lease)
        services.shipment_mark(shipment=shipment, by=self.owner, status="in_transit")
        services.shipment_mark(shipment=shipment, by=self.owner, status="arrived")
        lines = list(shipment.lines.all())
        received = {line.pk: line.quantity for line in lines}
        received[lines[0].pk] -= short
        return services.checkin_record(shipment=shipment, by=self.owner, received=received)

    def confirm(self, lease: Lease) -> Lease:
        return services.lease_confirm(lease=lease, by=self.exporter)

    def expire(self, lease: Lease) -> None:
        Lease.objects.filter(pk=lease.pk).update(hold_expires_at=timezone.now())
        services.leases_expire_holds()

    def complete(self, lease: Lease) -> None:
        Lease.objects.filter(pk=lease.pk).update(end=days_from_now(-1), start=days_from_now(-10))
        services.leases_complete()

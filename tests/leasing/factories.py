"""Leases in any state, built through the real services so the ledger and calendar agree."""

from datetime import date

from accounts.models import Organisation, User
from escrow.services import payout_account_connect_simulated
from leasing import services
from leasing.choices import LeaseState
from leasing.demo import LeaseWalker
from leasing.models import Lease
from tests.accounts.factories import ExporterOrganisationFactory, OwnerOrganisationFactory, member_of
from tests.warehouses.factories import ListingFactory, WarehouseFactory, days_from_now
from trust import services as trust_services
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

    @property
    def walker(self) -> LeaseWalker:
        return LeaseWalker(owner=self.owner, exporter=self.exporter)

    def lease_in(self, state: str, **kwargs: object) -> Lease:
        """A lease walked through the real services up to ``state`` (a dispute is opened by trust's service)."""
        if state == LeaseState.DISPUTED:
            lease = self.walker.walk(self.request(**kwargs), LeaseState.CHECKED_IN)  # type: ignore[arg-type]
            trust_services.dispute_open(lease=lease, by=self.exporter, reason="Two boxes of tables are missing")
            lease.refresh_from_db()
            return lease
        return self.walker.walk(self.request(**kwargs), state)  # type: ignore[arg-type]

    def accept(self, lease: Lease) -> Lease:
        return services.lease_accept(lease=lease, by=self.owner)

    def pay(self, lease: Lease, payment_method: str = "pm_card_visa"):
        return services.lease_pay(lease=lease, by=self.exporter, payment_method=payment_method)

    def check_in(self, lease: Lease, *, short: int = 0):
        self.walker.check_in(lease, short=short)
        return lease.shipments.get().checkin

    def confirm(self, lease: Lease) -> Lease:
        return services.lease_confirm(lease=lease, by=self.exporter)

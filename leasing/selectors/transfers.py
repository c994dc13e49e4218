"""Reads for transfer pages: who sees an offer, its figures, who may receive it; the extension price."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from accounts.choices import VerificationStatus
from accounts.models import Organisation
from warehouses.pricing import Quote, listing_quote

from .. import rules, transfers
from ..choices import LeaseState
from ..choices import TransferState as T
from ..core import held_on
from ..exceptions import InvalidTransfer
from ..hooks import transfer_page_extras
from ..models import (
    Lease,
    LeaseTransfer,
)
from ..rules import OWNER

if TYPE_CHECKING:
    pass

S = LeaseState


OFFERER, RECEIVER = "offerer", "receiver"


def with_transfer_parties(queryset: QuerySet[LeaseTransfer]) -> QuerySet[LeaseTransfer]:
    return queryset.select_related(
        "lease__listing__warehouse__organisation", "lease__exporter", "to_organisation", "receiver", "new_lease"
    )


def transfer_visible_to(*, organisation: Organisation, key: str = "") -> QuerySet[LeaseTransfer]:
    """Transfers ``organisation`` takes part in: as the offering exporter, the owner, the named or
    actual receiver; and, for an exporter holding its link (``key``), an open offer to anyone while
    nobody has taken it."""
    parties = (
        Q(lease__exporter=organisation)
        | Q(lease__listing__warehouse__organisation=organisation)
        | Q(to_organisation=organisation)
        | Q(receiver=organisation)
    )
    if organisation.is_exporter and key:
        parties |= Q(to_organisation=None, state=T.OFFERED, token=key)
    return with_transfer_parties(LeaseTransfer.objects.filter(parties))


def transfer_owned_by(*, organisation: Organisation) -> QuerySet[LeaseTransfer]:
    """Transfers of leases on ``organisation``'s listings (the owner consents to them)."""
    return with_transfer_parties(LeaseTransfer.objects.filter(lease__listing__warehouse__organisation=organisation))


def transfer_offered_by(*, organisation: Organisation) -> QuerySet[LeaseTransfer]:
    """Transfers ``organisation`` offered, as the exporter of the lease handed on."""
    return with_transfer_parties(LeaseTransfer.objects.filter(lease__exporter=organisation))


@dataclass
class TransferDetail:
    transfer: LeaseTransfer
    role: str  # OFFERER, OWNER or RECEIVER (the named receiver, the one who took it, or an open offer's reader)
    value: transfers.TransferValue | None = None  # what the offering exporter gets back, while it is open
    value_problem: str = ""  # why the terms no longer hold, if they do not
    can_accept: bool = False
    can_consent: bool = False
    can_withdraw: bool = False
    can_pay: bool = False
    # What apps above leasing add (``hooks.transfer_page_extras``): inventory adds ``stock_lines``.
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def lease(self) -> Lease:
        return self.transfer.lease

    @property
    def end(self) -> date:
        return self.transfer.lease.end

    @property
    def days(self) -> int:
        return (self.transfer.lease.end - self.transfer.start).days + 1

    @property
    def owner_share(self) -> Decimal | None:
        """Of the price, what is the receiver's own lease, paid to the owner (the rest pays the
        offering exporter back for days already paid out)."""
        return None if self.value is None else self.value.owner_share(self.transfer.price)


def transfer_detail_get(*, transfer: LeaseTransfer, organisation: Organisation) -> TransferDetail:
    """What the transfer page shows to ``organisation`` (which can see it: ``transfer_visible_to``)."""
    lease = transfer.lease
    if organisation.pk == lease.exporter_id:
        role = OFFERER
    elif organisation.pk == lease.owner.pk:
        role = OWNER
    else:
        role = RECEIVER
    detail = TransferDetail(transfer=transfer, role=role)
    detail.can_accept = (
        role == RECEIVER and organisation.is_exporter and bool(rules.transfer_take(transfer, organisation.pk))
    )
    detail.can_consent = role == OWNER and bool(rules.transfer_consent(transfer, rules.OWNER))
    detail.can_withdraw = role == OFFERER and bool(rules.transfer_withdraw(transfer, rules.EXPORTER))
    new_lease = transfer.new_lease
    detail.can_pay = (
        role == RECEIVER
        and transfer.receiver_id == organisation.pk
        and transfer.state == T.APPROVED
        and new_lease is not None
        and new_lease.state == S.ACCEPTED
    )
    if role in (OFFERER, OWNER) and transfer.is_open:
        try:
            detail.value = transfers.transfer_value(
                lease, quantity=transfer.quantity, start=transfer.start, price=transfer.price
            )
        except InvalidTransfer as error:
            detail.value_problem = error.detail
    detail.extras = transfer_page_extras(transfer, organisation)
    return detail


def transfer_value_or_none(
    lease: Lease, *, quantity: int | None, start: date | None, price: Decimal | None = None
) -> transfers.TransferValue | None:
    """The value of handing on ``quantity`` from ``start`` at ``price``, or None if the terms are not allowed."""
    if not quantity or not start:
        return None
    try:
        return transfers.transfer_value(lease, quantity=quantity, start=start, price=price)
    except InvalidTransfer:
        return None


def lease_units_on(lease: Lease, day: date) -> int:
    """Units ``lease`` holds on ``day`` (a transfer may have moved some of them out)."""
    return held_on(lease, day)


def transfer_receivers(*, lease: Lease) -> QuerySet[Organisation]:
    """Organisations a transfer of ``lease`` can be offered to: verified exporters, other than the
    lease's own exporter and owner."""
    return (
        Organisation.objects.filter(is_exporter=True, verification_status=VerificationStatus.VERIFIED)
        .exclude(pk__in=[lease.exporter_id, lease.listing.warehouse.organisation_id])
        .order_by("name")
    )


def extension_quote(lease: Lease, *, end: date) -> Quote | None:
    """The price of keeping the units the lease holds on its last day until ``end`` (no handling:
    the goods are already in), as ``services.lease_extend`` will charge it; None if it holds none."""
    quantity = held_on(lease, lease.end)
    if quantity < 1:
        return None
    return listing_quote(
        listing=lease.listing, start=lease.end + timedelta(days=1), end=end, quantity=quantity, handling=False
    )

"""What an organisation may see of leases and shipments, and the words and links every lease page uses."""

from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organisation
from warehouses.pricing import Quote

from ..choices import LeaseState, ShipmentStatus
from ..models import (
    InboundShipment,
    Lease,
)
from ..rules import EXPORTER, OWNER

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

S = LeaseState


# The badge colour of each state: ok (money and goods where they should be), warn (someone must
# act), bad (ended without a lease). Unlisted states get the plain badge.
STATE_TONE: dict[str, str] = {
    S.REQUESTED: "warn",
    S.ACCEPTED: "warn",
    S.FUNDED: "ok",
    S.CHECKED_IN: "warn",
    S.DISPUTED: "bad",
    S.ACTIVE: "ok",
    S.DECLINED: "bad",
    S.EXPIRED: "bad",
    S.CANCELLED: "bad",
}


OPEN_STATES = (S.ACCEPTED, S.FUNDED, S.CHECKED_IN, S.DISPUTED, S.ACTIVE)


CLOSED_STATES = (S.DECLINED, S.EXPIRED, S.CANCELLED, S.COMPLETED, S.TRANSFERRED)


# The clock that runs in each state: the lease field holding the time, and what it means to each side.
DEADLINES: dict[str, tuple[str, dict[str, "StrOrPromise"]]] = {
    S.REQUESTED: (
        "hold_expires_at",
        {OWNER: gettext_lazy("Answer by"), EXPORTER: gettext_lazy("The owner answers by")},
    ),
    S.ACCEPTED: ("payment_due_at", {OWNER: gettext_lazy("The exporter pays by"), EXPORTER: gettext_lazy("Pay by")}),
    S.CHECKED_IN: (
        "confirm_by",
        {OWNER: gettext_lazy("The exporter confirms by"), EXPORTER: gettext_lazy("Confirm or dispute by")},
    ),
}


SHIPMENTS_TO_RECEIVE = (ShipmentStatus.ANNOUNCED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.ARRIVED)


# What the viewer does next, per (side, state); None where the other side or nobody acts.
NEXT_STEP: dict[tuple[str, str], "StrOrPromise"] = {
    (OWNER, S.REQUESTED): gettext_lazy("Accept or decline"),
    (OWNER, S.FUNDED): gettext_lazy("Receive the shipment"),
    (OWNER, S.DISPUTED): gettext_lazy("Wareshare is reviewing"),
    (EXPORTER, S.REQUESTED): gettext_lazy("Waiting for the owner"),
    (EXPORTER, S.ACCEPTED): gettext_lazy("Pay into escrow"),
    (EXPORTER, S.FUNDED): gettext_lazy("Announce your shipment"),
    (EXPORTER, S.TRANSFERRED): gettext_lazy("Handed on to another exporter"),
    (EXPORTER, S.CHECKED_IN): gettext_lazy("Confirm or dispute the check-in"),
    (EXPORTER, S.DISPUTED): gettext_lazy("Wareshare is reviewing"),
    (OWNER, S.ACCEPTED): gettext_lazy("Waiting for payment"),
    (OWNER, S.CHECKED_IN): gettext_lazy("Waiting for the exporter to confirm"),
}


def lease_visible_to(*, organisation: Organisation) -> QuerySet[Lease]:
    """Leases ``organisation`` takes part in, as exporter or as the warehouse owner."""
    return Lease.objects.filter(Q(exporter=organisation) | Q(listing__warehouse__organisation=organisation))


def lease_owned_by(*, organisation: Organisation) -> QuerySet[Lease]:
    return Lease.objects.filter(listing__warehouse__organisation=organisation)


def lease_exported_by(*, organisation: Organisation) -> QuerySet[Lease]:
    return Lease.objects.filter(exporter=organisation)


def shipment_owned_by(*, organisation: Organisation) -> QuerySet[InboundShipment]:
    return InboundShipment.objects.filter(lease__listing__warehouse__organisation=organisation).select_related(
        "lease__listing__warehouse", "lease__exporter"
    )


def with_parties(queryset: QuerySet[Lease]) -> QuerySet[Lease]:
    return queryset.select_related("listing__warehouse__organisation", "exporter")


def lease_breakdown(lease: Lease) -> Quote:
    """The lease's frozen price, in the shape of a quote so one template shows both."""
    return Quote(
        currency=lease.currency,
        quantity=lease.quantity,
        days=lease.days,
        unit_price=lease.unit_price,
        storage=lease.storage_amount,
        handling_in=lease.handling_in_amount,
        handling_out=lease.handling_out_amount,
        platform_fee=lease.platform_fee,
        fee_percent=lease.platform_fee_percent,
        # a transfer's receiver: what of the price pays the transferring exporter back
        carried=lease.total
        - lease.storage_amount
        - lease.handling_in_amount
        - lease.handling_out_amount
        - lease.platform_fee,
    )


def lease_url(lease: Lease) -> str:
    return reverse("leasing:lease_detail", args=[lease.pk])


def date_text(day: date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def note_text(note: str) -> str:
    """A lease event's note in the reader's language. Notes are stored text, written in English:
    the fixed ones the platform writes (``gettext_noop`` in the services: "Instant book", "Not
    paid in time"…) are in the catalogue and read translated; a person's words, and notes with
    names or figures in them, are shown as written."""
    return _(note) if note else note

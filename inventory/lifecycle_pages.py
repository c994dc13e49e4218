"""What the pages show of goods over a lease's life (``inventory.lifecycle``): the lease page's
end-of-lease banner, the transfer page's goods, the exporter's leases ending with goods, and the
staff console's overstays. Reads only; each runs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.decorators import staff_required
from accounts.models import Organisation
from leasing.choices import LeaseState, TransferGoods
from leasing.core import lease_today
from leasing.models import Lease, LeaseTransfer
from leasing.selectors import with_parties
from warehouses.dates import today_range

from .lifecycle import REMIND_DAYS, on_hand_of, paid_extensions, transfer_is_whole
from .models import StockLevel
from .models_lifecycle import Overstay, TransferStockLine

S = LeaseState


@dataclass
class LeaseEnd:
    """The lease page's banner: goods remain as the end nears, or overstayed it."""

    units: int
    end: date
    days_left: int  # days to the last day at the warehouse (0: it is the last day)
    overstay: Overstay | None = None

    @property
    def overstayed(self) -> bool:
        return self.overstay is not None and self.overstay.is_open


def lease_end_of(lease: Lease) -> LeaseEnd | None:
    """The banner for ``lease``, if it needs one: an active lease with goods from ``REMIND_DAYS``
    before its end at the warehouse, unless a paid extension takes them over; a completed one with an
    overstay (open or resolved). At most two queries; none for leases in other states."""
    if lease.state == S.ACTIVE:
        days_left = (lease.end - lease_today(lease)).days
        if days_left > REMIND_DAYS:
            return None
        units = on_hand_of(lease)
        if not units or paid_extensions(lease).exists():  # a paid extension takes the goods over
            return None
        return LeaseEnd(units=units, end=lease.end, days_left=max(days_left, 0))
    if lease.state == S.COMPLETED:
        overstay = Overstay.objects.filter(lease=lease).select_related("extension").first()
        if overstay is None:
            return None
        return LeaseEnd(units=on_hand_of(lease), end=lease.end, days_left=0, overstay=overstay)
    return None


def lease_page_extras(lease: Lease, organisation: Organisation) -> dict[str, Any]:
    """``lease_end``: the banner both sides see (``leasing.hooks.lease_page_extras_register``)."""
    return {"lease_end": lease_end_of(lease)}


@dataclass
class TransferGoodsView:
    goods: str  # TransferGoods
    lines: list[TransferStockLine]
    units: int  # offered units in all
    left: int | None  # remove: units of the offered share still on the lease (None: not known here)

    @property
    def carry(self) -> bool:
        return self.goods == TransferGoods.CARRY


def transfer_page_extras(transfer: LeaseTransfer, organisation: Organisation) -> dict[str, Any]:
    """``transfer_goods``: the SKUs and units the offer carries (or must see removed first)."""
    lines = list(transfer.stock_lines.select_related("product"))
    left = None
    if transfer.goods == TransferGoods.REMOVE and transfer.is_open:
        on_hand = dict(
            StockLevel.objects.filter(lease_id=transfer.lease_id).values_list("product_id", "on_hand").order_by()
        )
        whole = transfer_is_whole(transfer)
        if whole:
            left = sum(on_hand.values())
        else:
            left = sum(
                max(on_hand.get(line.product_id, 0) - (line.on_hand_at_offer - line.quantity), 0) for line in lines
            )
    if not lines and left is None:
        return {}
    view = TransferGoodsView(goods=transfer.goods, lines=lines, units=sum(line.quantity for line in lines), left=left)
    return {"transfer_goods": view}


def _on_hand_sum() -> Subquery:
    units = (
        StockLevel.objects.filter(lease=OuterRef("pk"))
        .order_by()
        .values("lease")
        .annotate(n=Sum("on_hand"))
        .values("n")
    )
    return Subquery(units, output_field=IntegerField())


def leases_ending_with_goods(organisation: Organisation) -> list[Lease]:
    """``organisation``'s leases (as exporter or owner) with goods on hand that end within
    ``REMIND_DAYS`` at their warehouse (and no paid extension takes the goods over), or that
    overstayed (an open ``Overstay``); soonest end first.
    Each has ``units`` (on hand), ``days_left`` and ``overstay_since`` (a date, or None). Two queries."""
    latest = today_range()[1]
    open_overstay = Overstay.objects.filter(lease=OuterRef("pk"), resolved_at=None)
    ending = Q(state=S.ACTIVE, end__lte=latest + timedelta(days=REMIND_DAYS)) & ~Exists(paid_extensions(OuterRef("pk")))
    overstayed = Q(state=S.COMPLETED) & Exists(open_overstay)
    mine = Q(exporter=organisation) | Q(listing__warehouse__organisation=organisation)
    leases = list(
        with_parties(Lease.objects.filter(mine).filter(ending | overstayed))
        .annotate(
            units=Coalesce(_on_hand_sum(), 0),
            overstay_since=Subquery(open_overstay.values("since")[:1]),
        )
        .filter(units__gt=0)
        .order_by("end", "pk")
    )
    found: list[Lease] = []
    for lease in leases:
        days_left = (lease.end - lease_today(lease)).days
        lease.days_left = days_left  # type: ignore[attr-defined]
        if lease.overstay_since is not None or days_left <= REMIND_DAYS:
            found.append(lease)
    return found


def overstays_for_staff() -> QuerySet[Overstay]:
    """Every overstay, open ones first (oldest first), then the resolved, latest first."""
    return Overstay.objects.select_related(
        "lease__exporter", "lease__listing__warehouse__organisation", "extension"
    ).order_by(F("resolved_at").desc(nulls_first=True), "since", "pk")


@staff_required
def staff_overstays(request: HttpRequest) -> HttpResponse:
    """Staff console: goods that overstayed their lease (read-only)."""
    page = Paginator(overstays_for_staff(), 25).get_page(request.GET.get("page"))
    units = {}
    ids = [overstay.lease_id for overstay in page.object_list]
    for lease_id, n in (
        StockLevel.objects.filter(lease_id__in=ids)
        .order_by()
        .values("lease_id")
        .annotate(n=Sum("on_hand"))
        .values_list("lease_id", "n")
    ):
        units[lease_id] = n
    for overstay in page.object_list:
        overstay.units_now = units.get(overstay.lease_id, 0)  # type: ignore[attr-defined]
    return render(request, "staff/overstays.html", {"page": page})


__all__ = [
    "LeaseEnd",
    "TransferGoodsView",
    "lease_end_of",
    "lease_page_extras",
    "leases_ending_with_goods",
    "overstays_for_staff",
    "staff_overstays",
    "transfer_page_extras",
]

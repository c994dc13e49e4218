"""Demo goods, through the real services (docs/inventory.md): the first demo exporter's products,
stock in two warehouses received at check-ins (one line with damaged units), an order shipped with
its tracking number, one waiting for the owner, an adjustment with a photo, and a lease near its end
with goods left. The demo warehouses get drawn photos. Idempotent: each part is made once, found
again by its lease's goods description."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile

from accounts.demo import DemoPeople
from accounts.models import Organisation, User
from leasing import services as leasing
from leasing.choices import LeaseState
from leasing.demo import LeaseWalker
from leasing.models import Lease
from warehouses.dates import warehouse_today
from warehouses.demo_photos import damaged_carton_picture, warehouse_photos_seed
from warehouses.models import Listing

from . import services
from .models import Product

# sku, description, units per carton, unit weight (kg), HS code, unit value (USD)
PRODUCTS = [
    ("TW-PLATE-27", "Stoneware dinner plate 27 cm, set of 6", 4, "4.200", "6912.00", "18.50"),
    ("TW-BOWL-15", "Stoneware bowl 15 cm, set of 6", 6, "2.600", "6912.00", "12.00"),
    ("LAMP-DESK-LED", "LED desk lamp, black", 8, "1.100", "9405.21", "14.90"),
    ("SPK-BT-MINI", "Bluetooth mini speaker, blue", 24, "0.350", "8518.22", "9.80"),
    ("CUSH-OUT-45", "Outdoor cushion 45 × 45 cm, grey", 10, "0.600", "9404.90", "6.40"),
]
# The goods of each demo lease with stock: how the seed finds it again.
TABLEWARE_STOCK = "Tableware and desk lamps, 60 cartons (SKU-tracked)"
NEAR_END_STOCK = "Speakers and outdoor cushions, end of season (SKU-tracked)"
CONSIGNEE = {
    "consignee_name": "Jansen Wonen B.V.",
    "consignee_address": "Oudegracht 112",
    "consignee_city": "Utrecht",
    "consignee_country": "NL",
    "consignee_phone": "+31 30 231 0000",
}


@dataclass
class Party:
    owner: User
    exporter: User
    organisation: Organisation


def _products(organisation: Organisation, by: User) -> dict[str, Product]:
    have = {product.sku: product for product in Product.objects.filter(organisation=organisation)}
    for sku, description, carton, weight, hs_code, value in PRODUCTS:
        if sku not in have:
            have[sku] = services.product_create(
                organisation=organisation,
                by=by,
                sku=sku,
                description=description,
                units_per_carton=carton,
                weight_kg=weight,
                hs_code=hs_code,
                origin_country="CN",
                unit_value=value,
                currency="USD",
            )
    return have


def _checked_in(
    party: Party, listing: Listing, *, goods: str, lines: list[tuple[str, int]], days: int, damaged: int = 0
) -> Lease:
    """A lease from today for ``days`` days, paid, its shipment of ``lines`` (SKU, units) checked in
    (the first line ``damaged`` units short of perfect), and confirmed: the goods are in the ledger."""
    today = warehouse_today(listing.warehouse)
    lease = leasing.lease_request(
        listing=listing,
        exporter=party.organisation,
        by=party.exporter,
        start=today,
        end=today + timedelta(days=days - 1),
        quantity=4,
        goods_description=goods,
        message="Cartons labelled by SKU; the packing list follows by email.",
    )
    LeaseWalker(owner=party.owner, exporter=party.exporter).walk(lease, LeaseState.FUNDED)
    names = dict((sku, description) for sku, description, *_ in PRODUCTS)
    shipment = leasing.shipment_announce(
        lease=lease,
        by=party.exporter,
        carrier="COSCO",
        tracking_number=f"CSNU{lease.pk:07d}",
        eta=today,
        lines=[leasing.DeclaredLine(description=names[sku], quantity=units, sku=sku) for sku, units in lines],
        customs_reference=f"MRN-{lease.pk:06d}",
    )
    leasing.shipment_mark(shipment=shipment, by=party.owner, status="arrived")
    declared = list(shipment.lines.all())
    leasing.checkin_record(
        shipment=shipment,
        by=party.owner,
        received={line.pk: line.quantity for line in declared},
        damaged={declared[0].pk: damaged} if damaged else None,
        notes="Counted by SKU at the dock." + (" Some cartons crushed in transit." if damaged else ""),
    )
    leasing.lease_confirm(lease=lease, by=party.exporter)
    lease.refresh_from_db()
    return lease


def _orders(party: Party, lease: Lease, products: dict[str, Product]) -> None:
    """One order shipped with its tracking number, one waiting for the owner; one adjustment with a photo."""
    shipped = services.order_create(
        lease=lease,
        by=party.exporter,
        kind="ship",
        lines=[(products["TW-PLATE-27"], 12), (products["LAMP-DESK-LED"], 6)],
        reference="SO-10041",
        **CONSIGNEE,
    )
    services.order_accept(order=shipped, by=party.owner)
    services.order_pick(order=shipped, by=party.owner)
    services.order_ship(order=shipped, by=party.owner, carrier="DHL Parcel", tracking_number="JVGL0600123456789012")
    services.order_create(
        lease=lease,
        by=party.exporter,
        kind="pickup",
        lines=[(products["TW-BOWL-15"], 20)],
        reference="SO-10042 (collected by DSV)",
    )
    photo = ContentFile(damaged_carton_picture(), name="damaged-carton.jpg")
    services.stock_adjust(
        lease=lease,
        product=products["LAMP-DESK-LED"],
        by=party.owner,
        kind="damaged",
        quantity=2,
        reason="Carton crushed by a forklift in aisle 4; lamps broken.",
        photos=[photo],
    )


def seed_inventory(*, people: DemoPeople, listings: list[Listing]) -> int:
    """The demo's goods (see the module's docstring); returns the leases made (0 on a second run)."""
    warehouse_photos_seed()
    owner_org = listings[0].warehouse.organisation
    mine = [item for item in listings if item.warehouse.organisation_id == owner_org.pk and not item.instant_book]
    by_warehouse: dict[int, Listing] = {}
    for item in mine:  # the first listing of each of the owner's warehouses, in order
        by_warehouse.setdefault(item.warehouse_id, item)
    first, second = (list(by_warehouse.values()) * 2)[:2]
    exporter_org = people.exporters[0]
    party = Party(
        owner=owner_org.memberships.get().user,
        exporter=exporter_org.memberships.get().user,
        organisation=exporter_org,
    )
    products = _products(exporter_org, party.exporter)
    made = 0
    if not Lease.objects.filter(goods_description=TABLEWARE_STOCK).exists():
        lines = [("TW-PLATE-27", 60), ("TW-BOWL-15", 48), ("LAMP-DESK-LED", 40)]
        lease = _checked_in(party, first, goods=TABLEWARE_STOCK, lines=lines, days=90, damaged=3)
        _orders(party, lease, products)
        made += 1
    if not Lease.objects.filter(goods_description=NEAR_END_STOCK).exists():
        lines = [("SPK-BT-MINI", 120), ("CUSH-OUT-45", 30)]
        _checked_in(party, second, goods=NEAR_END_STOCK, lines=lines, days=8)  # ends in a week, goods left
        made += 1
    return made

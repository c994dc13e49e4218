"""Leases with goods on hand, built through the real services (check-in feeds the ledger)."""

from inventory.models import Product, StockLevel
from leasing.choices import LeaseState
from leasing.models import Lease


def lease_with_goods(p, state: str = LeaseState.ACTIVE) -> Lease:
    """A lease of ``p`` walked to ``state`` through a check-in: 40 × CH-1 (chairs), 10 × TB-1 (tables)."""
    return p.lease_in(state)


def product(lease: Lease, sku: str) -> Product:
    return Product.objects.get(organisation=lease.exporter, sku=sku)


def level(lease: Lease, sku: str) -> StockLevel:
    return StockLevel.objects.get(lease=lease, product__sku=sku)

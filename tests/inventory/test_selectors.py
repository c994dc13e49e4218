"""Reads in a fixed number of queries, and another organisation's objects are a 404."""

import pytest
from django.http import Http404

from inventory import selectors, services
from tests.leasing.factories import Parties

from .factories import lease_with_goods, product

pytestmark = pytest.mark.django_db


def orders(p, lease, count):
    chairs = product(lease, "CH-1")
    return [services.order_create(lease=lease, by=p.exporter, kind="pickup", lines=[(chairs, 1)]) for _ in range(count)]


@pytest.mark.parametrize("leases", [1, 3])
def test_lists_take_a_fixed_number_of_queries(p, leases, django_assert_num_queries):
    for _ in range(leases):
        lease = lease_with_goods(p)
        orders(p, lease, 2)
    exporter, owner = p.exporter_org, p.owner_org
    with django_assert_num_queries(1):
        levels = list(selectors.stock_levels_of(exporter))
        [(level.lease.listing.warehouse.name, level.product.sku) for level in levels]
    assert len(levels) == 2 * leases
    with django_assert_num_queries(1):
        rows = selectors.stock_by_product(exporter)
    assert {row["sku"]: row["on_hand"] for row in rows} == {"CH-1": 40 * leases, "TB-1": 10 * leases}
    with django_assert_num_queries(1):
        found = list(selectors.movements_of(exporter))
        [(m.product.sku, m.lease.listing.warehouse.name) for m in found]
    with django_assert_num_queries(1):
        mine = list(selectors.orders_of_exporter(exporter))
        [(o.lease.listing.warehouse.name, o.lease.exporter.name) for o in mine]
    with django_assert_num_queries(1):
        queue = list(selectors.outbound_queue(owner))
    assert len(mine) == len(queue) == 2 * leases
    with django_assert_num_queries(1):
        assert len(selectors.lease_stock(lease)) == 2


def test_another_organisations_objects_are_not_found(p):
    lease = lease_with_goods(p)
    order = orders(p, lease, 1)[0]
    chairs = product(lease, "CH-1")
    stranger = Parties()
    assert selectors.product_visible(p.exporter_org, chairs.pk) == chairs
    assert selectors.order_visible(p.exporter_org, order.pk) == order
    assert selectors.order_visible(p.owner_org, order.pk) == order
    for call in (
        lambda: selectors.product_visible(stranger.exporter_org, chairs.pk),
        lambda: selectors.product_visible(p.owner_org, chairs.pk),
        lambda: selectors.order_visible(stranger.exporter_org, order.pk),
        lambda: selectors.order_visible(stranger.owner_org, order.pk),
        lambda: selectors.order_visible(p.exporter_org, "x1"),
    ):
        with pytest.raises(Http404):
            call()
    assert list(selectors.stock_levels_of(stranger.exporter_org)) == []

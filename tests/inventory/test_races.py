"""Acceptance 1: 32 threads on one SKU's stock on PostgreSQL — no negative stock, no unit shipped
twice, exactly the orders the stock covers succeed."""

import threading

import pytest
from django.db import connection
from django.db.models import Sum

from inventory import services
from inventory.choices import MovementKind, OrderStatus
from inventory.exceptions import InsufficientStock
from inventory.models import OutboundOrder, StockLevel, StockMovement
from leasing.choices import LeaseState
from tests.leasing.factories import Parties

from .factories import product

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks and concurrent connections"
    ),
    pytest.mark.django_db(transaction=True),
]
THREADS = 32


def race(*actions):
    """Run the actions at the same moment in threads; return each one's result or exception."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(i, action):
        barrier.wait()
        try:
            results[i] = action()
        except Exception as error:
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def stocked(units):
    """A lease with ``units`` chairs (CH-1) on hand."""
    p = Parties(capacity=100)
    lease = p.lease_in(LeaseState.ACTIVE)
    chairs = product(lease, "CH-1")
    services.stock_adjust(lease=lease, product=chairs, by=p.owner, kind="found", quantity=units - 40, reason="Recount")
    return p, lease, chairs


def out_through(p, order):
    services.order_accept(order=order, by=p.owner)
    services.order_pick(order=order, by=p.owner)
    return services.order_ship(order=order, by=p.owner, carrier="DHL", tracking_number=f"T{order.pk}")


def assert_shipped_once(lease, chairs, orders_shipped, each):
    level = StockLevel.objects.get(lease=lease, product=chairs)
    assert level.on_hand >= 0
    assert level.held == 0
    shipped = StockMovement.objects.filter(lease=lease, product=chairs, kind=MovementKind.SHIPPED)
    assert shipped.count() == orders_shipped  # one movement per shipped order: none twice
    assert shipped.values("order").distinct().count() == orders_shipped
    assert -(shipped.aggregate(total=Sum("quantity"))["total"] or 0) == orders_shipped * each
    total = StockMovement.objects.filter(lease=lease, product=chairs).aggregate(total=Sum("quantity"))["total"]
    assert level.on_hand == total


def test_32_threads_ordering_and_shipping_one_skus_stock():
    """100 chairs, 32 exporters' requests of 4 at once, each accepted, picked and shipped at once:
    exactly 25 go out, the 7 others are refused at creation (units already on order)."""
    p, lease, chairs = stocked(100)

    def order_and_ship():
        order = services.order_create(lease=lease, by=p.exporter, kind="pickup", lines=[(chairs, 4)])
        return out_through(p, order)

    results = race(*[order_and_ship for _ in range(THREADS)])
    shipped = [r for r in results if isinstance(r, OutboundOrder)]
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert (len(shipped), len(refused)) == (25, 7), [r for r in results if not isinstance(r, OutboundOrder)]
    assert {r.status for r in shipped} == {OrderStatus.SHIPPED}
    assert_shipped_once(lease, chairs, 25, 4)
    assert StockLevel.objects.get(lease=lease, product=chairs).on_hand == 0


def test_32_threads_accepting_orders_for_more_than_is_left():
    """160 chairs ordered in 32 orders of 5; 60 are then lost, so 100 are left: of 32 owners'
    accept-pick-ship runs at once exactly 20 succeed, 12 are refused for stock and hold nothing."""
    p, lease, chairs = stocked(160)
    orders = [
        services.order_create(lease=lease, by=p.exporter, kind="pickup", lines=[(chairs, 5)]) for _ in range(THREADS)
    ]
    services.stock_adjust(lease=lease, product=chairs, by=p.owner, kind="lost", quantity=60, reason="Flood")

    results = race(*[lambda order=order: out_through(p, order) for order in orders])
    shipped = [r for r in results if isinstance(r, OutboundOrder)]
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert (len(shipped), len(refused)) == (20, 12), [r for r in results if not isinstance(r, OutboundOrder)]
    assert OutboundOrder.objects.filter(lease=lease, status=OrderStatus.REQUESTED).count() == 12
    assert_shipped_once(lease, chairs, 20, 5)
    assert StockLevel.objects.get(lease=lease, product=chairs).on_hand == 0

import pytest

from inventory import services
from inventory.choices import MovementKind, OrderStatus
from inventory.models import StockMovement

from .factories import lease_with_goods, level, product

pytestmark = pytest.mark.django_db


def test_checkin_receives_then_order_ships(p):
    lease = lease_with_goods(p)
    assert level(lease, "CH-1").on_hand == 40
    chairs = product(lease, "CH-1")
    order = services.order_create(lease=lease, by=p.exporter, kind="pickup", lines=[(chairs, 15)], reference="PO-1")
    services.order_accept(order=order, by=p.owner)
    assert level(lease, "CH-1").held == 15
    services.order_pick(order=order, by=p.owner)
    services.order_ship(order=order, by=p.owner, carrier="DHL", tracking_number="123")
    chairs_level = level(lease, "CH-1")
    assert (chairs_level.on_hand, chairs_level.held) == (25, 0)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert StockMovement.objects.filter(order=order, kind=MovementKind.SHIPPED).get().quantity == -15

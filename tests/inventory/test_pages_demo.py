"""The demo's goods (inventory/demo.py through seed_demo) are all there, made once; and the inventory
pages speak Simplified Chinese to a user who chose it."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from inventory.choices import MovementKind, OrderStatus
from inventory.demo import NEAR_END_STOCK, TABLEWARE_STOCK
from inventory.models import AdjustmentPhoto, OutboundOrder, Product, StockLevel, StockMovement
from leasing.models import CheckInLine, Lease
from warehouses.demo import SITES
from warehouses.models import Warehouse, WarehousePhoto

from .test_pages import goods  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    models = (Product, StockLevel, StockMovement, OutboundOrder, AdjustmentPhoto, WarehousePhoto, Lease)
    return tuple(model.objects.count() for model in models)


def test_the_demo_has_goods_orders_and_photos_and_is_made_once(client):
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first

    tableware = Lease.objects.get(goods_description=TABLEWARE_STOCK)
    near_end = Lease.objects.get(goods_description=NEAR_END_STOCK)
    assert tableware.listing.warehouse_id != near_end.listing.warehouse_id
    shipped = OutboundOrder.objects.get(lease=tableware, status=OrderStatus.SHIPPED)
    assert shipped.tracking_number
    assert OutboundOrder.objects.filter(lease=tableware, status=OrderStatus.REQUESTED).exists()
    adjustment = StockMovement.objects.get(lease=tableware, kind=MovementKind.DAMAGED, checkin_line=None)
    assert adjustment.photos.count() == 1
    assert CheckInLine.objects.filter(checkin__shipment__lease=tableware, damaged_quantity=3).exists()
    assert (near_end.end - near_end.start).days == 7
    assert sum(level.on_hand for level in near_end.stock_levels.all()) == 150
    assert not near_end.outbound_orders.exists()
    demo_warehouses = Warehouse.objects.filter(name__in=[site[0] for site in SITES])
    assert WarehousePhoto.objects.filter(warehouse__in=demo_warehouses).count() == 2 * len(SITES)

    client.force_login(User.objects.get(email="exporter@wareshare.test"))
    page = client.get(reverse("inventory:stock")).content.decode()
    assert "TW-PLATE-27" in page
    assert "SPK-BT-MINI" in page
    client.force_login(User.objects.get(email="owner@wareshare.test"))
    queue = client.get(reverse("inventory:outbound_queue")).content.decode()
    assert "SO-10042" in queue


def test_the_pages_speak_chinese(client, p, goods):  # noqa: F811
    _, order = goods
    for user, url, english, chinese in [
        (p.exporter, reverse("inventory:stock"), ["Last movements", "By warehouse"], ["最近的库存流水", "按仓库"]),
        (p.owner, reverse("inventory:outbound_queue"), ["Outbound queue", "Refuse…"], ["出库队列", "拒绝"]),
        (p.owner, reverse("inventory:order_detail", args=[order.pk]), ["Status timeline"], ["状态时间线"]),
    ]:
        User.objects.filter(pk=user.pk).update(language="zh-hans")
        client.force_login(user)
        page = client.get(url).content.decode()
        assert '<html lang="zh-hans">' in page
        for words in english:
            assert words not in page, (url, words)
        for words in chinese:
            assert words in page, (url, words)

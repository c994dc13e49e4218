"""Goods over a lease's life on PostgreSQL with real threads: one reminder however many sweeps run,
and a transfer carrying the goods while the owner ships an order from them never moves a unit twice."""

import pytest
from django.db import connection

from inventory import services as inventory_services
from inventory.lifecycle import lease_end_remind
from inventory.models import LeaseEndReminder
from leasing import services, transfers
from leasing.choices import LeaseState as S
from leasing.choices import TransferState
from leasing.consistency import consistency_check
from tests.inventory.lifecycle_helpers import put, stock
from tests.leasing.factories import Parties
from tests.leasing.test_flex import receiver_of
from tests.leasing.test_races import race
from tests.warehouses.factories import days_from_now

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks and concurrent connections"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.parametrize("attempt", range(3))
def test_two_sweeps_at_once_remind_once(attempt):
    p = Parties()
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(6), quantity=2)
    put(lease, "SOFA-1", 3)

    first, second = race(lease_end_remind, lease_end_remind)

    assert sorted([first, second]) == [0, 1]
    assert LeaseEndReminder.objects.filter(lease=lease).count() == 1


@pytest.mark.parametrize("attempt", range(3))
def test_a_transfer_carrying_the_goods_while_an_order_ships_moves_each_unit_once(attempt):
    p = Parties(capacity=10, transfers_need_consent=False)
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(90), quantity=4)
    sofa = put(lease, "SOFA-1", 10)
    before = stock(lease)
    order = inventory_services.order_create(lease=lease, by=p.exporter, kind="pickup", lines=[(sofa, 4)])
    order = inventory_services.order_pick(order=inventory_services.order_accept(order=order, by=p.owner), by=p.owner)
    start = transfers.transfer_earliest(lease)
    price = transfers.transfer_value(lease, quantity=4, start=start).value
    transfer = transfers.transfer_offer(lease=lease, by=p.exporter, quantity=4, start=start, price=price)
    organisation, user = receiver_of(None)
    transfer = transfers.transfer_accept(transfer=transfer, by=user, organisation=organisation)
    assert transfer.stock_lines.get(product=sofa).quantity == before["SOFA-1"]

    paid, shipped = race(
        lambda: services.lease_pay(lease=transfer.new_lease, by=user, payment_method="pm_card_visa"),
        lambda: inventory_services.order_ship(order=order, by=p.owner, carrier="DHL", tracking_number="JD1"),
    )

    assert not isinstance(paid, Exception), paid
    assert not isinstance(shipped, Exception), shipped
    transfer.refresh_from_db()
    assert transfer.state == TransferState.COMPLETED
    # The 4 held units shipped from the old lease; the other 6 moved, whichever came first.
    assert stock(transfer.new_lease) == {"SOFA-1": before["SOFA-1"] - 4} | {
        sku: units for sku, units in before.items() if sku != "SOFA-1"
    }
    assert stock(lease) == {}
    assert consistency_check(only=("stock",)).ok

"""Outbound orders through the services: the happy paths, and every refusal with nothing written."""

import pytest
from django.core import mail

from inventory import services
from inventory.choices import MovementKind, OrderStatus
from inventory.exceptions import InsufficientStock, InvalidOrder, OrderStepNotAllowed
from inventory.hooks import order_changed, stock_moved
from inventory.models import OrderEvent, OutboundOrder, StockMovement
from leasing.choices import LeaseState
from leasing.exceptions import NotAllowed
from tests.accounts.factories import ExporterOrganisationFactory, member_of
from tests.leasing.factories import Parties

from .factories import lease_with_goods, level, product

pytestmark = pytest.mark.django_db

CONSIGNEE = {
    "consignee_name": "Hamburg Garden GmbH",
    "consignee_address": "Am Hafen 1",
    "consignee_city": "Hamburg",
    "consignee_country": "DE",
    "consignee_phone": "+49 40 123456",
}


def ship_order(p, lease, lines, **extra):
    return services.order_create(lease=lease, by=p.exporter, kind="ship", lines=lines, **{**CONSIGNEE, **extra})


def nothing_written(lease, orders_before, movements_before):
    assert OutboundOrder.objects.filter(lease=lease).count() == orders_before
    assert StockMovement.objects.filter(lease=lease).count() == movements_before


def test_an_order_walks_accepted_picked_shipped_delivered_with_a_timeline(p, django_capture_on_commit_callbacks):
    lease = lease_with_goods(p)
    chairs, tables = product(lease, "CH-1"), product(lease, "TB-1")
    changes, moves = [], []
    order_changed.connect(
        lambda **kw: changes.append((kw["from_status"], kw["to_status"])), weak=False, dispatch_uid="t1"
    )
    stock_moved.connect(lambda **kw: moves.append(kw["movement"].kind), weak=False, dispatch_uid="t2")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            order = ship_order(p, lease, [(chairs, 12), (tables, 10)], reference="PO-7")
            services.order_accept(order=order, by=p.owner)
            assert (level(lease, "CH-1").held, level(lease, "TB-1").held) == (12, 10)
            services.order_pick(order=order, by=p.owner)
            services.order_ship(order=order, by=p.owner, carrier="DHL", tracking_number="JD0001")
            services.order_deliver(order=order, by=p.exporter)
    finally:
        order_changed.disconnect(dispatch_uid="t1")
        stock_moved.disconnect(dispatch_uid="t2")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert (order.carrier, order.tracking_number, order.consignee_country) == ("DHL", "JD0001", "DE")
    assert [e.status for e in OrderEvent.objects.filter(order=order)] == [
        "requested", "accepted", "picked", "shipped", "delivered",
    ]  # fmt: skip
    assert changes == [(None, "requested"), ("requested", "accepted"), ("accepted", "picked"),
                       ("picked", "shipped"), ("shipped", "delivered")]  # fmt: skip
    assert moves == [MovementKind.SHIPPED, MovementKind.SHIPPED]
    chairs_level, tables_level = level(lease, "CH-1"), level(lease, "TB-1")
    assert (chairs_level.on_hand, chairs_level.held, tables_level.on_hand, tables_level.held) == (28, 0, 0, 0)
    subjects = [message.subject for message in mail.outbox]
    assert any("New outbound order" in s for s in subjects)
    assert any("Your goods were shipped" in s for s in subjects)


def test_a_removal_takes_everything_on_hand_not_already_ordered(p):
    lease = lease_with_goods(p, LeaseState.COMPLETED)
    first = ship_order(p, lease, [(product(lease, "CH-1"), 5)])
    removal = services.order_create(lease=lease, by=p.exporter, kind="removal", lines=[])
    assert {(line.product.sku, line.quantity) for line in removal.lines.all()} == {("CH-1", 35), ("TB-1", 10)}
    for order in (first, removal):
        services.order_accept(order=order, by=p.owner)
        services.order_pick(order=order, by=p.owner)
    services.order_ship(order=removal, by=p.owner, carrier="Own truck", tracking_number="")
    assert set(StockMovement.objects.filter(order=removal).values_list("kind", flat=True)) == {MovementKind.REMOVED}
    assert (level(lease, "CH-1").on_hand, level(lease, "CH-1").held, level(lease, "TB-1").on_hand) == (5, 5, 0)
    with pytest.raises(InvalidOrder, match="nothing is left to remove"):
        services.order_create(lease=lease, by=p.exporter, kind="removal", lines=[])


def test_cancel_before_picking_releases_the_hold_and_not_after(p):
    lease = lease_with_goods(p)
    chairs = product(lease, "CH-1")
    order = ship_order(p, lease, [(chairs, 10)])
    services.order_accept(order=order, by=p.owner)
    services.order_cancel(order=order, by=p.exporter)
    assert level(lease, "CH-1").held == 0
    picked = ship_order(p, lease, [(chairs, 10)])
    services.order_accept(order=picked, by=p.owner)
    services.order_pick(order=picked, by=p.owner)
    with pytest.raises(OrderStepNotAllowed, match="already picked"):
        services.order_cancel(order=picked, by=p.exporter)
    assert level(lease, "CH-1").held == 10


def test_refusing_needs_a_reason_and_releases_the_hold(p):
    lease = lease_with_goods(p)
    order = ship_order(p, lease, [(product(lease, "CH-1"), 10)])
    services.order_accept(order=order, by=p.owner)
    services.order_pick(order=order, by=p.owner)
    with pytest.raises(InvalidOrder, match="reason"):
        services.order_refuse(order=order, by=p.owner, reason="  ")
    services.order_refuse(order=order, by=p.owner, reason="The consignee's address does not exist")
    order.refresh_from_db()
    assert (order.status, order.refuse_reason) == (OrderStatus.REFUSED, "The consignee's address does not exist")
    assert level(lease, "CH-1").held == 0
    with pytest.raises(OrderStepNotAllowed):
        services.order_accept(order=order, by=p.owner)


@pytest.mark.parametrize(
    ("quantity", "error", "message"),
    [
        (41, InsufficientStock, "Only 40 units of CH-1 are on hand"),
        (0, InvalidOrder, "1 or more"),
        (-3, InvalidOrder, "1 or more"),
    ],
)
def test_bad_quantities_are_refused_and_nothing_is_written(p, quantity, error, message):
    lease = lease_with_goods(p)
    before = (OutboundOrder.objects.count(), StockMovement.objects.filter(lease=lease).count())
    with pytest.raises(error, match=message):
        ship_order(p, lease, [(product(lease, "CH-1"), quantity)])
    nothing_written(lease, *before)


def test_units_already_on_open_orders_cannot_be_ordered_again(p):
    """Handling out is paid once per unit on the lease: open orders count against what is on hand."""
    lease = lease_with_goods(p)
    chairs = product(lease, "CH-1")
    ship_order(p, lease, [(chairs, 30)])
    with pytest.raises(InsufficientStock, match="30 are already on open orders, so at most 10 more") as caught:
        ship_order(p, lease, [(chairs, 11)])
    assert caught.value.code == "beyond_paid_units"
    ship_order(p, lease, [(chairs, 10)])


def test_another_organisations_product_or_lease_is_refused(p):
    lease = lease_with_goods(p)
    other = Parties(listing=p.listing)
    other_lease = lease_with_goods(other)
    before = (OutboundOrder.objects.count(), StockMovement.objects.filter(lease=lease).count())
    with pytest.raises(InvalidOrder, match="Unknown product") as caught:
        ship_order(p, lease, [(product(other_lease, "CH-1"), 1)])
    assert caught.value.code == "unknown_product"
    with pytest.raises(NotAllowed):
        services.order_create(
            lease=other_lease, by=p.exporter, kind="pickup", lines=[(product(other_lease, "CH-1"), 1)]
        )
    stranger = member_of(ExporterOrganisationFactory())
    with pytest.raises(NotAllowed):
        services.order_create(lease=lease, by=stranger, kind="pickup", lines=[(product(lease, "CH-1"), 1)])
    nothing_written(lease, *before)


def test_the_consignee_and_the_lease_state_are_checked(p):
    lease = lease_with_goods(p)
    chairs = product(lease, "CH-1")
    with pytest.raises(InvalidOrder, match="not a country"):
        ship_order(p, lease, [(chairs, 1)], consignee_country="Atlantis")
    with pytest.raises(InvalidOrder, match="consignee"):
        ship_order(p, lease, [(chairs, 1)], consignee_phone="")
    with pytest.raises(InvalidOrder, match="twice"):
        ship_order(p, lease, [(chairs, 1), (chairs, 2)])
    with pytest.raises(InvalidOrder, match="at least one"):
        services.order_create(lease=lease, by=p.exporter, kind="pickup", lines=[])
    unpaid = p.lease_in(LeaseState.ACCEPTED)
    with pytest.raises(InvalidOrder, match="no goods"):
        services.order_create(lease=unpaid, by=p.exporter, kind="pickup", lines=[(chairs, 1)])
    assert OutboundOrder.objects.count() == 0


def test_accepting_holds_all_lines_or_none(p):
    lease = lease_with_goods(p)
    chairs, tables = product(lease, "CH-1"), product(lease, "TB-1")
    order = ship_order(p, lease, [(chairs, 5), (tables, 10)])
    services.stock_adjust(lease=lease, product=tables, by=p.owner, kind="lost", quantity=1, reason="Forklift")
    with pytest.raises(InsufficientStock, match="Only 9 units of TB-1 are available"):
        services.order_accept(order=order, by=p.owner)
    assert (level(lease, "CH-1").held, level(lease, "TB-1").held) == (0, 0)
    order.refresh_from_db()
    assert order.status == OrderStatus.REQUESTED


def test_sides_take_only_their_own_steps(p):
    lease = lease_with_goods(p)
    order = ship_order(p, lease, [(product(lease, "CH-1"), 1)])
    with pytest.raises(NotAllowed):
        services.order_accept(order=order, by=p.exporter)
    with pytest.raises(NotAllowed):
        services.order_cancel(order=order, by=p.owner)
    services.order_accept(order=order, by=p.owner)
    with pytest.raises(OrderStepNotAllowed):
        services.order_ship(order=order, by=p.owner, carrier="DHL", tracking_number="1")  # not picked yet
    services.order_pick(order=order, by=p.owner)
    with pytest.raises(InvalidOrder, match="tracking"):
        services.order_ship(order=order, by=p.owner, carrier="DHL", tracking_number=" ")
    services.order_ship(order=order, by=p.owner, carrier="DHL", tracking_number="1")
    services.order_deliver(order=order, by=p.owner)
    assert OutboundOrder.objects.get(pk=order.pk).status == OrderStatus.DELIVERED

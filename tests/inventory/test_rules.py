"""What the rules offer each side is exactly what the services accept (like leasing's parity test)."""

import pytest
from django.db import transaction

from common.exceptions import ApplicationError
from inventory import rules, services
from inventory.choices import OrderStatus
from leasing.choices import LeaseState

from .factories import lease_with_goods, product

pytestmark = pytest.mark.django_db

# How to walk a new order to each status.
PATHS = {
    OrderStatus.REQUESTED: [],
    OrderStatus.ACCEPTED: ["accept"],
    OrderStatus.PICKED: ["accept", "pick"],
    OrderStatus.SHIPPED: ["accept", "pick", "ship"],
    OrderStatus.DELIVERED: ["accept", "pick", "ship", "deliver"],
    OrderStatus.REFUSED: ["refuse"],
    OrderStatus.CANCELLED: ["cancel"],
}


def take(p, order, step, side):
    user = p.owner if side == rules.OWNER else p.exporter
    extra = {
        "ship": {"carrier": "DHL", "tracking_number": "1"},
        "refuse": {"reason": "No"},
    }.get(step, {})
    getattr(services, f"order_{step}")(order=order, by=user, **extra)


@pytest.mark.parametrize("status", list(PATHS))
def test_offers_equal_what_the_services_accept(p, status):
    lease = lease_with_goods(p)
    order = services.order_create(lease=lease, by=p.exporter, kind="pickup", lines=[(product(lease, "CH-1"), 3)])
    for step in PATHS[status]:
        take(p, order, step, rules.ORDER_STEPS[step][0][0])
        order.refresh_from_db()
    assert order.status == status
    for side in rules.SIDES:
        offered = rules.order_allowed(order, side)
        accepted = []
        for step in rules.ORDER_STEPS:
            try:
                with transaction.atomic():
                    take(p, order, step, side)
                    transaction.set_rollback(True)
                accepted.append(step)
            except ApplicationError:
                pass
            order.refresh_from_db()
        assert offered == accepted, (status, side)


def test_orders_and_adjustments_need_a_lease_with_goods(p):
    lease = lease_with_goods(p, LeaseState.CHECKED_IN)
    owner_id, exporter_id = lease.listing.warehouse.organisation_id, lease.exporter_id
    assert rules.order_create_allowed(lease, exporter_id)
    assert not rules.order_create_allowed(lease, owner_id)
    assert rules.adjust_allowed(lease, owner_id)
    assert not rules.adjust_allowed(lease, exporter_id)
    unpaid = p.lease_in(LeaseState.ACCEPTED)
    assert rules.order_create_allowed(unpaid, exporter_id).code == "no_goods"
    assert not rules.adjust_allowed(unpaid, owner_id)
    funded = p.lease_in(LeaseState.FUNDED)
    verdict = rules.order_create_allowed(funded, exporter_id)
    assert not verdict
    assert "Nothing is on hand" in verdict.reason

"""Goods over a lease's life in the browser: the end-of-lease and overstay banners on both sides'
lease page, the goods a transfer offer carries, the staff console's overstays — at desktop and
phone width, no overflow, no serious axe-core violation; screenshots under
var/test-artifacts/browser/lifecycle/ to be looked at."""

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest

from leasing import services, transfers
from leasing.choices import LeaseState as S
from tests.browser.test_layout import WIDTHS, _signed_in
from tests.inventory.lifecycle_helpers import put
from tests.leasing.factories import Parties
from tests.trust.factories import staff_user
from tests.warehouses.factories import days_from_now

from .helpers import axe_violations, shot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("size", WIDTHS)
def test_lifecycle_pages_fit_and_are_accessible(new_context, live_server, clock, size):
    width = WIDTHS[size]
    p = Parties(capacity=20, transfers_need_consent=False)
    ending = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(10), quantity=3)
    put(ending, "SOFA-1", 12)
    put(ending, "LAMP-2", 4)
    over = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(8), quantity=3)
    put(over, "SOFA-1", 5)
    long = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(90), quantity=4)
    put(long, "SOFA-1", 10)
    put(long, "LAMP-2", 3)
    start = transfers.transfer_earliest(long)
    offer = transfers.transfer_offer(lease=long, by=p.exporter, quantity=2, start=start, price=Decimal("100.00"))
    clock.set(datetime.combine(days_from_now(9), time(12), tzinfo=UTC))
    services.leases_complete()  # ``over`` completes with goods: it overstays

    pages = {
        p.exporter: [
            ("lease-ending-exporter", f"/leases/{ending.pk}/"),
            ("lease-overstayed-exporter", f"/leases/{over.pk}/"),
            ("transfer-goods", f"/transfers/{offer.pk}/"),
        ],
        p.owner: [("lease-overstayed-owner", f"/leases/{over.pk}/")],
        staff_user(): [("staff-overstays", "/staff/inventory/overstays/")],
    }
    problems = []
    for user, targets in pages.items():
        context = _signed_in(new_context, live_server, user, width)
        page = context.new_page()
        for name, path in targets:
            response = page.goto(path)
            assert response is not None
            assert response.status == 200, f"{path}: {response.status}"
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                problems.append(f"{name} at {width}px: {overflow}px too wide")
            problems += [f"{name} at {width}px: axe {v['impact']} {v['id']} {v['nodes']}" for v in axe_violations(page)]
            shot(page, "lifecycle", f"{name}@{size}")
        context.close()
    assert not problems, "\n".join(problems)

"""Every main page at desktop (1280 px) and phone (390 px) width: nothing makes the page wider
than the screen (wide tables scroll in their own box), axe-core finds no serious or critical
violation at phone width (the journeys check the desktop pages), and a full-page screenshot of
each is kept under var/test-artifacts/browser/pages/ to be looked at."""

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext

from leasing.choices import LeaseState as S
from tests.leasing.factories import Parties
from tests.trust.factories import disputed, staff_user, unverified_organisation, verification_submitted

from .helpers import axe_violations, shot

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": 1280, "phone": 390}


def _signed_in(new_context: Any, live_server: Any, user: Any, width: int) -> BrowserContext:
    """A context carrying ``user``'s session: the journeys test the sign-in pages, this one the layout."""
    client = Client()
    client.force_login(user)
    context = new_context(viewport={"width": width, "height": 844})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context


@pytest.mark.parametrize("size", WIDTHS)  # one test per width: they run side by side under xdist
def test_main_pages_fit_desktop_and_phone_screens(new_context, live_server, size):
    width = WIDTHS[size]
    p = Parties(capacity=100)
    dispute = disputed(p)
    accepted = p.lease_in(S.ACCEPTED, quantity=1)
    funded = p.lease_in(S.FUNDED, quantity=1)
    verification_submitted(*unverified_organisation(name="Hamburg Cold Chain"))
    staff = staff_user()
    listing, warehouse = p.listing, p.listing.warehouse
    pages: dict[Any, list[tuple[str, str]]] = {
        None: [
            ("landing", "/"),
            ("search", "/search/?port=NLRTM&radius=300"),
            ("listing", f"/listings/{listing.pk}/"),
            ("sign-in", "/accounts/login/"),
        ],
        p.owner: [
            ("owner-dashboard", "/owner/"),
            ("warehouses", "/owner/warehouses/"),
            ("warehouse", f"/owner/warehouses/{warehouse.pk}/"),
            ("listings", "/owner/listings/"),
            ("occupancy", f"/owner/listings/{listing.pk}/calendar/"),
            ("lease-owner", f"/leases/{funded.pk}/"),
            ("notifications", "/notifications/"),
        ],
        p.exporter: [
            ("exporter-dashboard", "/exporter/"),
            ("checkout", f"/leases/{accepted.pk}/pay/"),
            ("announce-shipment", f"/leases/{funded.pk}/shipments/new/"),
            ("lease-exporter", f"/leases/{dispute.lease_id}/"),
            ("dispute", f"/disputes/{dispute.pk}/"),
        ],
        staff: [
            ("staff-console", "/staff/"),
            ("staff-verifications", "/staff/verifications/"),
            ("staff-dispute", f"/staff/disputes/{dispute.pk}/"),
            ("staff-blacklist", "/staff/blacklist/"),
            ("staff-audit", "/staff/audit/"),
        ],
    }
    problems = []
    for user, targets in pages.items():
        if user is None:
            context = new_context(viewport={"width": width, "height": 844})
        else:
            context = _signed_in(new_context, live_server, user, width)
        page = context.new_page()
        for name, path in targets:
            response = page.goto(path)
            assert response is not None
            assert response.status == 200, f"{path}: {response.status} at {page.url}"
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                problems.append(f"{name} at {width}px: {overflow}px too wide")
            if size == "phone":
                problems += [
                    f"{name} at {width}px: axe {v['impact']} {v['id']} {v['nodes']}" for v in axe_violations(page)
                ]
            shot(page, "pages", f"{name}@{size}")
        context.close()
    assert not problems, "\n".join(problems)

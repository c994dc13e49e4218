"""The main pages under the Content-Security-Policy, as a visitor, an owner, an exporter and staff:
each answers with the policy, shows no violation, is styled by the static CSS and runs the static
scripts (a broken policy shows as an unstyled page or dead buttons). The API docs (Swagger UI and
Redoc) render too. Screenshots under var/test-artifacts/browser/csp/.
(Every other browser test also fails on a violation: conftest.py ``new_context``.)"""

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from leasing.choices import LeaseState as S
from tests.leasing.factories import Parties
from tests.trust.factories import disputed, staff_user

from .helpers import ARTIFACTS, csp_violations, shot

pytestmark = pytest.mark.django_db(transaction=True)


def _context_for(new_context: Any, live_server: Any, user: Any) -> BrowserContext:
    context = new_context()
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context


def _site_page_works(page: Page) -> None:
    """app.css applied (the header's rule) and the deferred scripts ran (htmx, table-scroll.js)."""
    border = page.evaluate("() => getComputedStyle(document.querySelector('.site-header')).borderBottomStyle")
    assert border == "solid", "app.css is not applied"
    assert page.evaluate("() => typeof window.htmx === 'object'"), "htmx did not run"
    if page.locator("main table:not(.occupancy)").count():
        expect(page.locator("main .table-scroll").first).to_be_attached()


def test_main_pages_show_no_policy_violation_and_still_work(new_context, live_server):
    p = Parties(capacity=100)
    dispute = disputed(p)
    funded = p.lease_in(S.FUNDED, quantity=1)
    staff = staff_user()
    site: dict[Any, list[tuple[str, str]]] = {
        None: [
            ("landing", "/"),
            ("search", "/search/?port=NLRTM&radius=300"),
            ("listing", f"/listings/{p.listing.pk}/"),
            ("sign-in", "/accounts/login/"),
            ("sign-up", "/accounts/signup/"),
        ],
        p.owner: [
            ("owner-dashboard", "/owner/"),
            ("lease-owner", f"/leases/{funded.pk}/"),
            ("owner-profile", f"/organisations/{p.owner_org.pk}/"),
        ],
        p.exporter: [
            ("exporter-dashboard", "/exporter/"),
            ("lease-exporter", f"/leases/{dispute.lease_id}/"),
        ],
        staff: [("staff-console", "/staff/"), ("staff-dispute", f"/staff/disputes/{dispute.pk}/")],
    }
    seen = []
    for user, targets in site.items():
        page = _context_for(new_context, live_server, user).new_page()
        for name, path in targets:
            response = page.goto(path)
            assert response is not None
            assert response.status == 200, f"{path}: {response.status} at {page.url}"
            policy = response.headers["content-security-policy"]
            assert "'unsafe-inline'" not in policy, policy
            page.wait_for_load_state("load")
            _site_page_works(page)
            shot(page, "csp", name)
            seen += [f"{name}: {v}" for v in csp_violations(page)]

    page = _context_for(new_context, live_server, None).new_page()
    response = page.goto("/api/v1/docs/")
    assert response is not None
    assert response.status == 200
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Wareshare API")
    expect(page.locator(".opblock").first).to_be_visible()  # the schema was fetched and rendered
    shot(page, "csp", "api-docs")
    seen += [f"api-docs: {v}" for v in csp_violations(page)]

    response = page.goto("/api/v1/redoc/")
    assert response is not None
    assert response.status == 200
    script_src = next(d for d in response.headers["content-security-policy"].split(";") if "script-src" in d)
    assert "'unsafe-inline'" not in script_src
    expect(page.get_by_role("heading", name="Wareshare API (1.0.0)")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "csp" / "api-redoc.png")  # the visible part: Redoc's full page is huge
    seen += [f"api-redoc: {v}" for v in csp_violations(page)]

    assert not seen, "\n".join(seen)

"""Walking a lease over HTTP as its people would: shared by the production smoke (scripts/prod_smoke.py)
and the fault drill (scripts/fault_drill.py).

``Browser`` signs in through allauth's login form (CSRF cookie and token, as a browser) behind a
pretend TLS proxy (``X-Forwarded-Proto: https``), so the production settings (SSL redirect, secure
cookies, strict CSRF origin checks) are exercised unchanged. The step functions drive one lease
from request to confirmation through the pages and check each outcome in the database (Django ORM:
call ``django.setup()`` before importing this module).
"""

import http.client
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date
from typing import Any

from leasing.models import InboundShipment, Lease

OWNER = "owner@wareshare.test"
EXPORTER = "exporter@wareshare.test"
PASSWORD = "wareshare-demo"  # the demo seed's password (accounts.demo.DEMO_PASSWORD)
TIMEOUT = 20


class WalkFailure(Exception):
    pass


@dataclass(frozen=True)
class Reply:
    """One HTTP exchange: ``status`` 0 when no response came (connection refused or reset)."""

    status: int
    location: str  # the redirect's path, or ""
    body: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """A cookie-keeping HTTP client behind a pretend TLS proxy. Secure cookies are sent over
    the loopback's plain HTTP, as the proxy would have sent them over its own hop."""

    def __init__(self, base: str, timeout: float = TIMEOUT) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.origin = "https://" + urllib.parse.urlsplit(self.base).netloc
        self.jar = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "http")))
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def send(self, path: str, data: dict[str, Any] | None = None) -> Reply:
        """One request, redirects not followed, errors returned rather than raised."""
        headers = {"X-Forwarded-Proto": "https", "User-Agent": "wareshare-lease-walk"}
        body = None
        if data is not None:
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf(), **data}).encode()
            headers |= {"Origin": self.origin, "Referer": self.origin + path, "X-CSRFToken": self.csrf()}
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return Reply(response.status, "", response.read().decode())
        except urllib.error.HTTPError as error:
            location = urllib.parse.urlsplit(error.headers.get("Location", "")).path
            return Reply(error.code, location, error.read().decode(errors="replace"))
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError):
            return Reply(0, "", "")

    def _follow(self, path: str, data: dict[str, Any] | None) -> tuple[str, str]:
        method = "GET" if data is None else "POST"
        for _ in range(5):
            reply = self.send(path, data)
            if reply.status in (301, 302, 303) and reply.location:
                path, data = reply.location, None
                continue
            if reply.status != 200:
                raise WalkFailure(f"{method} {path}: HTTP {reply.status or 'no response'}")
            return path, reply.body
        raise WalkFailure(f"{method} {path}: too many redirects")

    def get(self, path: str) -> tuple[str, str]:
        """GET, following redirects: (final path, body); raises WalkFailure unless it ends in a 200."""
        return self._follow(path, None)

    def post(self, path: str, **data: Any) -> tuple[str, str]:
        """POST, then follow the redirect as a browser does: (final path, body)."""
        return self._follow(path, data)

    def csrf(self) -> str:
        for cookie in self.jar:
            if cookie.name == "csrftoken" and cookie.value:
                return cookie.value
        raise WalkFailure("no CSRF cookie: GET a page with a form first")

    def sign_in(self, email: str) -> None:
        self.get("/accounts/login/")
        url, body = self.post("/accounts/login/", login=email, password=PASSWORD)
        if url.startswith("/accounts/login"):
            raise WalkFailure(f"sign-in as {email} failed: {page_errors(body)}")


def page_errors(body: str) -> str:
    found = re.findall(r'class="[^"]*(?:error|errorlist)[^"]*"[^>]*>(.*?)<', body, re.S)
    return "; ".join(text.strip() for text in found if text.strip())[:300] or "no error shown"


def expect_state(lease_pk: int, state: str, body: str = "") -> None:
    actual = Lease.objects.get(pk=lease_pk).state
    if actual != state:
        raise WalkFailure(f"lease {lease_pk} is {actual}, expected {state}. Page said: {page_errors(body)}")


def request_form(start: date, end: date, description: str, quantity: int = 1) -> dict[str, Any]:
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "quantity": quantity,
        "goods_description": description,
        "message": "From the lease walk",
    }


def lease_request(exporter: Browser, listing_pk: int, start: date, end: date, description: str) -> int:
    """The exporter requests a lease; returns its id."""
    exporter.get(f"/listings/{listing_pk}/request/")
    url, body = exporter.post(f"/listings/{listing_pk}/request/", **request_form(start, end, description))
    match = re.fullmatch(r"/leases/(\d+)/", url)
    if not match:
        raise WalkFailure(f"the request did not lead to a lease page ({url}): {page_errors(body)}")
    lease_pk = int(match.group(1))
    expect_state(lease_pk, "requested", body)
    return lease_pk


def lease_accept(owner: Browser, lease_pk: int) -> None:
    owner.get(f"/leases/{lease_pk}/")
    _, body = owner.post(f"/leases/{lease_pk}/accept/")
    expect_state(lease_pk, "accepted", body)


def lease_pay(exporter: Browser, lease_pk: int) -> None:
    """Pay into escrow with the simulated gateway's test card."""
    exporter.get(f"/leases/{lease_pk}/pay/")
    _, body = exporter.post(f"/leases/{lease_pk}/pay/", payment_method="pm_card_visa")
    expect_state(lease_pk, "funded", body)


def shipment_announce(exporter: Browser, lease_pk: int, eta: date) -> InboundShipment:
    exporter.get(f"/leases/{lease_pk}/shipments/new/")
    _, body = exporter.post(
        f"/leases/{lease_pk}/shipments/new/",
        carrier="Maersk",
        tracking_number=f"WALK{lease_pk:07d}",
        eta=eta.isoformat(),
        weight_kg="",
        customs_reference=f"MRN-WALK-{lease_pk}",
        **{
            "lines-TOTAL_FORMS": 1,
            "lines-INITIAL_FORMS": 0,
            "lines-MIN_NUM_FORMS": 1,
            "lines-MAX_NUM_FORMS": 1000,
            "lines-0-description": "Cartons",
            "lines-0-sku": "WLK-1",
            "lines-0-quantity": 12,
            "lines-0-weight_kg": "",
        },
    )
    shipment = InboundShipment.objects.filter(lease_id=lease_pk).first()
    if shipment is None:
        raise WalkFailure(f"no shipment was announced: {page_errors(body)}")
    return shipment


def shipment_check_in(owner: Browser, lease_pk: int, shipment: InboundShipment) -> None:
    """The owner marks the shipment in transit and arrived, then checks every declared line in."""
    for status in ("in_transit", "arrived"):
        owner.post(f"/shipments/{shipment.pk}/mark/", status=status)
    _, body = owner.get(f"/shipments/{shipment.pk}/checkin/")
    counts = {f"received_{line.pk}": line.quantity for line in shipment.lines.all()}
    if not all(f'name="{name}"' in body for name in counts):
        raise WalkFailure("the check-in form does not ask for every declared line")
    _, body = owner.post(f"/shipments/{shipment.pk}/checkin/", condition="good", notes="All there", **counts)
    expect_state(lease_pk, "checked_in", body)


def lease_confirm(exporter: Browser, lease_pk: int) -> str:
    """The exporter confirms the check-in: the escrow is released. Returns the lease page."""
    _, body = exporter.post(f"/leases/{lease_pk}/confirm/")
    expect_state(lease_pk, "active", body)
    return exporter.get(f"/leases/{lease_pk}/")[1]


def lease_to_checked_in(exporter: Browser, owner: Browser, listing_pk: int, start: date, end: date, text: str) -> int:
    """Request, accept, pay, announce and check in a lease: ready for the exporter to confirm."""
    lease_pk = lease_request(exporter, listing_pk, start, end, text)
    lease_accept(owner, lease_pk)
    lease_pay(exporter, lease_pk)
    shipment_check_in(owner, lease_pk, shipment_announce(exporter, lease_pk, start))
    return lease_pk

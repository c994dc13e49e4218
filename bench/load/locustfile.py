"""Load test: exporters searching, opening listings, and one whole lease journey: request, pay into
escrow, announce the shipment; the owner marks it in transit and arrived and checks it in; the
exporter confirms (the escrow is released).

Runs against gunicorn with the production settings on 127.0.0.1 and a seeded PostgreSQL; see
bench/load/run.sh (which starts everything) and the "Load" section of bench/RESULTS.md.

Each demo exporter signs in once at the start through allauth's login form (CSRF and all), and
the simulated users share those sessions (so do the two demo owners, for the check-in): the
measured mix is search, listing page and the lease journey, not password hashing (a sign-in costs a deliberate ~0.3 s of PBKDF2 CPU;
fifty of them at once would swamp two cores and the figures). Each user sends its own client
address in X-Forwarded-For (the server trusts one proxy, as behind a load balancer). Requests
carry ``X-Forwarded-Proto: https`` as the TLS proxy would; secure cookies are sent over the loopback.

A request refused because the dates are full is a normal answer (a 200 page saying so), counted
as a success; an HTTP error, a timeout or an unexpected page is a failure.

With LOAD_EVENTS set to a file path, every request is also written there as one CSV line (start
time, name, milliseconds, failed): bench/load/run.sh --fault splits them into before, during and
after the fault.
"""

import csv
import os
import random
import re
from datetime import date, timedelta
from itertools import count
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task
from locust.clients import HttpSession

EXPORTERS = ["exporter@wareshare.test", "exporter2@wareshare.test"]
OWNERS = ["owner@wareshare.test", "owner2@wareshare.test"]
PASSWORD = "wareshare-demo"  # nosec B105 (the demo seed's published password)
PORTS = ["NLRTM", "DEHAM", "BEANR", "GBFXT"]
SORTS = ["price", "distance", "rating", "newest"]
_client_numbers = count(1)

# Filled once at test start: listing id -> instant book? (from the public pages); signed-in cookies.
LISTINGS: dict[int, bool] = {}
SESSIONS: list[dict[str, str]] = []
OWNER_OF: dict[int, dict[str, str]] = {}  # listing id -> its owner's signed-in cookies
_events_file = open(os.environ["LOAD_EVENTS"], "a", newline="", buffering=1) if os.environ.get("LOAD_EVENTS") else None  # noqa: SIM115
_events = csv.writer(_events_file) if _events_file else None


@events.request.add_listener
def record(request_type, name, response_time, exception, start_time=None, **kwargs):
    if _events is not None:
        _events.writerow(
            [f"{start_time or 0:.3f}", f"{request_type} {name}", f"{response_time:.1f}", int(bool(exception))]
        )


@events.quitting.add_listener
def close_events(environment, **kwargs):
    if _events_file is not None:
        _events_file.close()


def _sign_in(*, session_factory, base: str, email: str) -> dict[str, str]:
    """Sign in through the login form; return the session's cookies."""
    session = session_factory()
    session.headers.update({"X-Forwarded-Proto": "https", "Origin": base.replace("http://", "https://")})
    session.get(f"{base}/accounts/login/", timeout=30)
    token = session.cookies.get("csrftoken", "")
    response = session.post(
        f"{base}/accounts/login/",
        data={"login": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Cookie": f"csrftoken={token}"},  # requests keeps Secure cookies for https only
        allow_redirects=False,
        timeout=60,
    )
    if response.status_code != 302 or "/accounts/login" in response.headers.get("Location", ""):
        raise RuntimeError(f"sign-in as {email} failed: HTTP {response.status_code}")
    return {name: value for name, value in session.cookies.items() if value}


@events.test_start.add_listener
def discover_listings(environment, **kwargs):
    import requests

    base = environment.host
    session = requests.Session()
    session.headers["X-Forwarded-Proto"] = "https"
    ids: set[int] = set()
    for port in PORTS:
        page = session.get(f"{base}/search/", params={"port": port, "radius": 2000}, timeout=30).text
        ids |= {int(pk) for pk in re.findall(r"/listings/(\d+)/", page)}
    for pk in sorted(ids):
        page = session.get(f"{base}/listings/{pk}/", timeout=30).text
        LISTINGS[pk] = "<dd>Instant book</dd>" in page
    for email in EXPORTERS:
        SESSIONS.append(_sign_in(session_factory=requests.Session, base=base, email=email))
    for email in OWNERS:
        cookies = _sign_in(session_factory=requests.Session, base=base, email=email)
        page = session.get(f"{base}/owner/listings/", cookies=cookies, timeout=30).text
        for pk in re.findall(r"/owner/listings/(\d+)/edit/", page):
            OWNER_OF[int(pk)] = cookies
    instant = sum(LISTINGS.values())
    print(f"load: {len(LISTINGS)} listings found, {instant} instant-book")
    if not instant:
        raise RuntimeError("no instant-book listing to pay for: seed the database (manage.py seed_demo)")
    if not all(pk in OWNER_OF for pk, instant in LISTINGS.items() if instant):
        raise RuntimeError("an instant-book listing has no demo owner to check the goods in")


def _dates() -> tuple[str, str]:
    start = date.today() + timedelta(days=random.randint(7, 300))
    return start.isoformat(), (start + timedelta(days=random.randint(7, 30))).isoformat()


class Exporter(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self._owners: dict[int, HttpSession] = {}
        n = next(_client_numbers)
        self.client.headers.update(
            {
                "X-Forwarded-Proto": "https",
                # The address the load balancer saw (the last entry is the one the trusted proxy adds).
                # TEST-NET-3: a header value only, never a destination.
                "X-Forwarded-For": f"203.0.113.{n % 250 + 1}",
                "Origin": self.host.replace("http://", "https://"),
            }
        )
        host = urlsplit(self.host).hostname
        for name, value in SESSIONS[n % len(SESSIONS)].items():
            # Host-only cookies, as the server sets them; not marked Secure: sent over the loopback.
            self.client.cookies.set(name, value, domain=host, path="/")

    # Secure cookies over the loopback: requests keeps them for https only, so after each response
    # the jar's cookies are marked sendable over http (the TLS proxy's hop in production).
    # Redirects are followed by hand for the same reason.
    @staticmethod
    def _unsecure(client) -> None:
        for cookie in client.cookies:
            cookie.secure = False

    def _get(self, path: str, client=None, **kwargs):
        client = client or self.client
        response = client.get(path, allow_redirects=False, **kwargs)
        self._unsecure(client)
        return response

    def _post(self, path: str, data: dict, name: str, client=None):
        client = client or self.client
        token = next((cookie.value for cookie in client.cookies if cookie.name == "csrftoken"), "")
        data = {**data, "csrfmiddlewaretoken": token}
        response = client.post(path, data=data, allow_redirects=False, name=name, catch_response=True)
        self._unsecure(client)
        return response

    def _owner(self, listing_pk: int):
        """This user's client signed in as the listing's owner (one per owner, made on first use)."""
        cookies = OWNER_OF[listing_pk]
        key = id(cookies)
        if key not in self._owners:
            client = HttpSession(base_url=self.host, request_event=self.environment.events.request, user=self)
            client.headers.update(self.client.headers)
            host = urlsplit(self.host).hostname
            for name, value in cookies.items():
                client.cookies.set(name, value, domain=host, path="/")
            self._owners[key] = client
        return self._owners[key]

    @task(6)
    def search(self) -> None:
        start, end = _dates()
        params = {
            "port": random.choice(PORTS),
            "radius": random.choice([100, 500, 2000]),
            "start": start,
            "end": end,
            "quantity": random.randint(1, 20),
            "sort": random.choice(SORTS),
        }
        self._get("/search/", params=params, name="/search/")

    @task(3)
    def listing(self) -> None:
        pk = random.choice(list(LISTINGS))
        start, end = _dates()
        self._get(f"/listings/{pk}/", params={"start": start, "end": end, "quantity": 1}, name="/listings/[id]/")

    @task(1)
    def journey(self) -> None:
        """One unit on an instant-book listing (accepted at once) from request to release: pay into
        escrow, announce the shipment; the owner marks it in transit and arrived and checks it in;
        the exporter confirms. Each step stops the journey when it fails."""
        pk = random.choice([pk for pk, instant in LISTINGS.items() if instant])
        start, end = _dates()
        self._get(
            f"/listings/{pk}/request/",
            params={"start": start, "end": end, "quantity": 1},
            name="/listings/[id]/request/",
        )
        data = {"start": start, "end": end, "quantity": 1, "goods_description": "Load test cartons", "message": ""}
        with self._post(f"/listings/{pk}/request/", data, name="/listings/[id]/request/ [POST]") as response:
            lease = re.fullmatch(r"/leases/(\d+)/", response.headers.get("Location", ""))
            if response.status_code == 200 and "Not enough free capacity" in response.text:
                response.success()  # CapacityUnavailable: the page says the dates are full, correctly
                return
            if response.status_code != 302 or lease is None:
                response.failure(f"the request neither made a lease nor explained why ({response.status_code})")
                return
        lease_pk = lease.group(1)
        page = f"/leases/{lease_pk}/"
        self._get(f"/leases/{lease_pk}/pay/", name="/leases/[id]/pay/")
        data = {"payment_method": "pm_card_visa"}
        if not self._done(f"/leases/{lease_pk}/pay/", data, "/leases/[id]/pay/ [POST]", page):
            return
        self._get(f"/leases/{lease_pk}/shipments/new/", name="/leases/[id]/shipments/new/")
        data = {
            "carrier": "Maersk",
            "tracking_number": f"LOAD{lease_pk:0>7}",
            "eta": start,
            "weight_kg": "",
            "customs_reference": f"MRN-LOAD-{lease_pk}",
            "lines-TOTAL_FORMS": 1,
            "lines-INITIAL_FORMS": 0,
            "lines-MIN_NUM_FORMS": 1,
            "lines-MAX_NUM_FORMS": 1000,
            "lines-0-description": "Cartons",
            "lines-0-sku": "LD-1",
            "lines-0-quantity": 12,
            "lines-0-weight_kg": "",
        }
        if not self._done(f"/leases/{lease_pk}/shipments/new/", data, "/leases/[id]/shipments/new/ [POST]", page):
            return
        owner = self._owner(pk)
        shipment = re.search(
            r"/shipments/(\d+)/mark/", self._get(page, client=owner, name="/leases/[id]/ (owner)").text
        )
        if shipment is None:
            self.environment.events.request.fire(
                request_type="GET",
                name="/leases/[id]/ (owner)",
                response_time=0,
                response_length=0,
                exception=RuntimeError("the owner's lease page offers no shipment to mark"),
                context={},
            )
            return
        shipment_pk = shipment.group(1)
        for status in ("in_transit", "arrived"):
            data = {"status": status}
            if not self._done(f"/shipments/{shipment_pk}/mark/", data, "/shipments/[id]/mark/ [POST]", page, owner):
                return
        form = self._get(f"/shipments/{shipment_pk}/checkin/", client=owner, name="/shipments/[id]/checkin/")
        received = {name: 12 for name in re.findall(r'name="(received_\d+)"', form.text)}
        if not received:
            self.environment.events.request.fire(
                request_type="GET",
                name="/shipments/[id]/checkin/",
                response_time=0,
                response_length=0,
                exception=RuntimeError(f"the check-in form asks for no line ({form.status_code})"),
                context={},
            )
            return
        data = {"condition": "good", "notes": "All there", **received}
        if not self._done(f"/shipments/{shipment_pk}/checkin/", data, "/shipments/[id]/checkin/ [POST]", page, owner):
            return
        if not self._done(f"/leases/{lease_pk}/confirm/", {}, "/leases/[id]/confirm/ [POST]", page):
            return
        self._get(page, name="/leases/[id]/")

    def _done(self, path: str, data: dict, name: str, expected: str, client=None) -> bool:
        """POST a form; it succeeded when it redirects to ``expected`` (the lease page)."""
        with self._post(path, data, name=name, client=client) as response:
            if response.status_code != 302 or response.headers.get("Location") != expected:
                response.failure(f"did not return to the lease page ({response.status_code})")
                return False
        return True

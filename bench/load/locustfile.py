"""Load test: exporters searching, opening listings, requesting leases and paying into escrow.

Runs against gunicorn with the production settings on 127.0.0.1 and a seeded PostgreSQL; see
bench/load/run.sh (which starts everything) and the "Load" section of bench/RESULTS.md.

Each demo exporter signs in once at the start through allauth's login form (CSRF and all), and
the simulated users share those sessions: the measured mix is search, listing page, lease
request and payment, not password hashing (a sign-in costs a deliberate ~0.3 s of PBKDF2 CPU;
fifty of them at once would swamp two cores and the figures). Each user sends its own client
address in X-Forwarded-For (the server trusts one proxy, as behind a load balancer). Requests
carry ``X-Forwarded-Proto: https`` as the TLS proxy would; secure cookies are sent over the loopback.

A request refused because the dates are full is a normal answer (a 200 page saying so), counted
as a success; an HTTP error, a timeout or an unexpected page is a failure.
"""

import random
import re
from datetime import date, timedelta
from itertools import count
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task

EXPORTERS = ["exporter@wareshare.test", "exporter2@wareshare.test"]
PASSWORD = "wareshare-demo"  # nosec B105 (the demo seed's published password)
PORTS = ["NLRTM", "DEHAM", "BEANR", "GBFXT"]
SORTS = ["price", "distance", "rating", "newest"]
_client_numbers = count(1)

# Filled once at test start: listing id -> instant book? (from the public pages); signed-in cookies.
LISTINGS: dict[int, bool] = {}
SESSIONS: list[dict[str, str]] = []


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
    instant = sum(LISTINGS.values())
    print(f"load: {len(LISTINGS)} listings found, {instant} instant-book")
    if not instant:
        raise RuntimeError("no instant-book listing to pay for: seed the database (manage.py seed_demo)")


def _dates() -> tuple[str, str]:
    start = date.today() + timedelta(days=random.randint(7, 300))
    return start.isoformat(), (start + timedelta(days=random.randint(7, 30))).isoformat()


class Exporter(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
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
    def _unsecure(self) -> None:
        for cookie in self.client.cookies:
            cookie.secure = False

    def _get(self, path: str, **kwargs):
        response = self.client.get(path, allow_redirects=False, **kwargs)
        self._unsecure()
        return response

    def _post(self, path: str, data: dict, name: str):
        token = next((cookie.value for cookie in self.client.cookies if cookie.name == "csrftoken"), "")
        data = {**data, "csrfmiddlewaretoken": token}
        response = self.client.post(path, data=data, allow_redirects=False, name=name, catch_response=True)
        self._unsecure()
        return response

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
    def request_and_pay(self) -> None:
        """Request one unit on an instant-book listing (accepted at once), then pay into escrow."""
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
        self._get(f"/leases/{lease_pk}/pay/", name="/leases/[id]/pay/")
        data = {"payment_method": "pm_card_visa"}
        with self._post(f"/leases/{lease_pk}/pay/", data, name="/leases/[id]/pay/ [POST]") as response:
            if response.status_code != 302 or response.headers.get("Location") != f"/leases/{lease_pk}/":
                response.failure(f"payment did not return to the lease page ({response.status_code})")
                return
        self._get(f"/leases/{lease_pk}/", name="/leases/[id]/")

"""Lease transfers through the API: the same services, rules and errors as the transfer pages.

The happy chain (offer → accept → consent → the receiver's lease paid), the open offer taken by
its key, and every bad input, wrong side and wrong state answering a 4xx with a code and
writing nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest

from api.models import WebhookDelivery
from leasing import rules, transfers
from leasing.choices import LeaseState as S
from leasing.choices import TransferState
from leasing.models import Lease, LeaseEvent, LeaseTransfer
from tests.accounts.factories import ExporterOrganisationFactory, member_of
from tests.api.conftest import client_with, key_for
from tests.api.factories import WebhookEndpointFactory
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now

pytestmark = pytest.mark.django_db


def _ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def _long_active(p: Parties, quantity: int = 4) -> Lease:
    """Active for 90 days from in 3 days: the first month is released, the later ones held."""
    return p.lease_in(S.ACTIVE, start=days_from_now(3), end=days_from_now(92), quantity=quantity)


class World:
    def __init__(self, **listing: object) -> None:
        self.p = Parties(capacity=10, **listing)
        self.lease = _long_active(self.p)
        self.receiver_org = ExporterOrganisationFactory()
        self.receiver_user = member_of(self.receiver_org)
        self.owner = client_with(key_for(self.p.owner_org, user=self.p.owner))
        self.exporter = client_with(key_for(self.p.exporter_org, user=self.p.exporter))
        self.receiver = client_with(key_for(self.receiver_org, user=self.receiver_user))

    def offer_body(self, **changes: object) -> dict:
        start = transfers.transfer_earliest(self.lease)
        value = transfers.transfer_value(self.lease, quantity=4, start=start)
        body = {
            "to_organisation": self.receiver_org.pk,
            "quantity": 4,
            "start": start.isoformat(),
            "price": str(value.value),
            "goods": "carry",
            "message": "Our season ended early",
        }
        return {**body, **changes}

    def offer(self, **changes: object) -> dict:
        path = f"/api/v1/leases/{self.lease.pk}/transfers/"
        return _ok(self.exporter.post(path, self.offer_body(**changes), format="json"), 201)


@pytest.fixture
def w() -> World:
    return World(transfers_need_consent=True)


def test_offer_consent_accept_and_the_receivers_lease_through_the_api(w):
    hooks = {
        name: WebhookEndpointFactory(organisation=org)
        for name, org in (("exporter", w.p.exporter_org), ("owner", w.p.owner_org), ("receiver", w.receiver_org))
    }
    quote = _ok(w.exporter.get(f"/api/v1/leases/{w.lease.pk}/transfer-quote/"))
    earliest = transfers.transfer_earliest(w.lease)
    value = transfers.transfer_value(w.lease, quantity=4, start=earliest)
    assert (quote["allowed"], quote["code"], quote["earliest"], quote["held"]) == (True, "", earliest.isoformat(), 4)
    assert Decimal(quote["value"]["refund"]) == value.refund
    assert w.receiver_org.pk in [row["id"] for row in quote["receivers"]]
    assert w.p.owner_org.pk not in [row["id"] for row in quote["receivers"]]
    assert "transfer" in _ok(w.exporter.get(f"/api/v1/leases/{w.lease.pk}/"))["actions"]

    offered = _ok(
        w.exporter.post(
            f"/api/v1/leases/{w.lease.pk}/transfers/", w.offer_body(price=quote["value"]["value"]), format="json"
        ),
        201,
    )
    assert (offered["state"], offered["role"], offered["actions"], offered["key"]) == (
        "offered",
        "offerer",
        ["transfer_withdraw"],
        None,  # offered to a named exporter: no key to pass on
    )
    assert Decimal(offered["estimate"]["refund"]) == value.refund
    url = f"/api/v1/transfers/{offered['id']}/"
    assert [t["id"] for t in _ok(w.exporter.get(f"/api/v1/leases/{w.lease.pk}/transfers/"))["results"]] == [
        offered["id"]
    ]

    mine = _ok(w.receiver.get("/api/v1/transfers/", {"role": "receiver", "state": "offered"}))["results"]
    assert [(row["id"], row["role"], row["actions"]) for row in mine] == [
        (offered["id"], "receiver", ["transfer_accept"])
    ]
    assert _ok(w.receiver.get("/api/v1/transfers/", {"role": "offerer"}))["results"] == []
    assert _ok(w.receiver.get(url))["estimate"] is None  # what comes back is the offering exporter's business

    taken = _ok(w.receiver.post(f"{url}accept/", {}, format="json"))
    assert (taken["state"], taken["receiver"]["id"], taken["actions"]) == ("accepted", w.receiver_org.pk, [])
    assert _ok(w.owner.get(url))["actions"] == ["transfer_consent"]
    approved = _ok(w.owner.post(f"{url}consent/", {"decision": "approve"}, format="json"))
    assert approved["state"] == "approved"
    new_lease = approved["new_lease"]

    lease = _ok(w.receiver.get(f"/api/v1/leases/{new_lease}/"))
    assert (lease["state"], lease["origin"], lease["side"], lease["actions"]) == (
        "accepted",
        "transfer",
        "exporter",
        rules.lease_allowed(Lease.objects.get(pk=new_lease), rules.EXPORTER),
    )
    assert "pay" in lease["actions"]
    paid = _ok(w.receiver.post(f"/api/v1/leases/{new_lease}/pay/", {"payment_method": "pm_card_visa"}, format="json"))
    assert paid["lease"]["state"] == "active"  # the goods carry over

    done = _ok(w.exporter.get(url))
    assert (done["state"], Decimal(done["refund"]), done["actions"]) == ("completed", value.refund, [])
    assert _ok(w.exporter.get(f"/api/v1/leases/{w.lease.pk}/"))["state"] == "transferred"

    events = {
        name: list(WebhookDelivery.objects.filter(endpoint=hook).order_by("pk").values_list("event_type", flat=True))
        for name, hook in hooks.items()
    }
    chain = ["transfer.offered", "transfer.accepted", "transfer.approved", "transfer.completed"]
    for name in hooks:
        assert [e for e in events[name] if e.startswith("transfer.")] == chain, name
    assert "lease.transferred" in events["exporter"]
    assert "lease.transferred" in events["owner"]
    assert "refund.pending" in events["exporter"]  # the unused part, less the transfer fee
    assert "refund.pending" not in events["owner"]
    assert "lease.funded" in events["receiver"]
    body = WebhookDelivery.objects.get(endpoint=hooks["receiver"], event_type="transfer.approved").body
    assert f'"new_lease":{new_lease}' in body
    assert '"from_state":"accepted"' in body
    assert LeaseTransfer.objects.get().token not in "".join(WebhookDelivery.objects.values_list("body", flat=True))


def test_an_open_offer_is_read_and_taken_with_its_key():
    w = World(transfers_need_consent=False)
    offered = w.offer(to_organisation=None)
    key = offered["key"]
    assert key
    assert len(key) <= 43
    url = f"/api/v1/transfers/{offered['id']}/"
    assert _ok(w.owner.get(url))["key"] is None  # only the offering exporter passes it on
    assert w.receiver.get(url).status_code == 404
    assert w.receiver.get(url, {"key": "wrong"}).status_code == 404
    seen = _ok(w.receiver.get(url, {"key": key}))
    assert (seen["role"], seen["actions"], seen["key"]) == ("receiver", ["transfer_accept"], None)
    assert w.receiver.post(f"{url}accept/", {}, format="json").status_code == 404
    taken = _ok(w.receiver.post(f"{url}accept/", {"key": key}, format="json"))
    assert taken["state"] == "approved"  # the listing needs no consent and the price covers escrow's part
    assert taken["new_lease"] is not None
    assert _ok(w.receiver.get(url))["receiver"]["id"] == w.receiver_org.pk  # its own now, without the key


def _nothing_written(w: World, transfers_before: int = 0) -> None:
    assert LeaseTransfer.objects.count() == transfers_before
    assert Lease.objects.filter(origin="transfer").count() == 0


@pytest.mark.parametrize(
    ("changes", "status", "code", "fields"),
    [
        ({"quantity": None}, 400, "invalid", ["quantity"]),
        ({"quantity": 0}, 400, "invalid", ["quantity"]),
        ({"quantity": "many"}, 400, "invalid", ["quantity"]),
        ({"start": "soon"}, 400, "invalid", ["start"]),
        ({"price": "0"}, 400, "invalid", ["price"]),
        ({"price": "1.234"}, 400, "invalid", ["price"]),
        ({"goods": "sell"}, 400, "invalid", ["goods"]),
        ({"message": "x" * 501}, 400, "invalid", ["message"]),
        ({"to_organisation": 999999}, 400, "invalid", ["to_organisation"]),
        ({"to_organisation": "owner"}, 400, "invalid", ["to_organisation"]),
        ({"to_organisation": "self"}, 400, "invalid", ["to_organisation"]),
        ({"to_organisation": "unverified"}, 400, "invalid", ["to_organisation"]),
        ({"quantity": 5}, 400, "invalid_transfer", None),
        ({"start": "first day"}, 400, "invalid_transfer", None),
        ({"start": "after the end"}, 400, "invalid_transfer", None),
    ],
)
def test_bad_offers_answer_a_code_and_write_nothing(w, changes, status, code, fields):
    special = {
        "owner": w.p.owner_org.pk,
        "self": w.p.exporter_org.pk,
        "unverified": ExporterOrganisationFactory(verification_status="unverified").pk,
        "first day": (w.lease.start - timedelta(days=1)).isoformat(),
        "after the end": (w.lease.end + timedelta(days=1)).isoformat(),
    }
    changes = {name: special.get(value, value) if isinstance(value, str) else value for name, value in changes.items()}
    body = {name: value for name, value in w.offer_body(**changes).items() if value is not None}
    response = w.exporter.post(f"/api/v1/leases/{w.lease.pk}/transfers/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (status, code), response.content
    if fields is not None:
        assert list(response.json()["fields"]) == fields
    _nothing_written(w)


def test_an_empty_offer_names_every_required_field(w):
    response = w.exporter.post(f"/api/v1/leases/{w.lease.pk}/transfers/", {}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert set(response.json()["fields"]) == {"quantity", "start", "price"}
    _nothing_written(w)


def test_offers_the_lease_does_not_allow(w):
    owner = w.owner.post(f"/api/v1/leases/{w.lease.pk}/transfers/", w.offer_body(), format="json")
    assert (owner.status_code, owner.json()["code"]) == (403, "not_allowed")
    unpaid = w.p.request(start=days_from_now(100), end=days_from_now(110), quantity=1)
    response = w.exporter.post(f"/api/v1/leases/{unpaid.pk}/transfers/", w.offer_body(quantity=1), format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_transfer")
    quote = _ok(w.exporter.get(f"/api/v1/leases/{unpaid.pk}/transfer-quote/"))
    assert (quote["allowed"], quote["code"], quote["receivers"]) == (False, "invalid_transfer", [])
    assert quote["reason"] == rules.transfer(unpaid, rules.EXPORTER).reason
    _nothing_written(w)
    w.offer()
    again = w.exporter.post(f"/api/v1/leases/{w.lease.pk}/transfers/", w.offer_body(), format="json")
    assert (again.status_code, again.json()["code"]) == (400, "invalid_transfer")
    _nothing_written(w, 1)


def test_a_bad_quote_query_is_a_field_error(w):
    response = w.exporter.get(f"/api/v1/leases/{w.lease.pk}/transfer-quote/", {"quantity": 0, "start": "x"})
    assert (response.status_code, set(response.json()["fields"])) == (400, {"quantity", "start"})
    early = _ok(
        w.exporter.get(
            f"/api/v1/leases/{w.lease.pk}/transfer-quote/", {"start": (w.lease.start - timedelta(days=1)).isoformat()}
        )
    )
    assert early["value"] is None
    assert "A transfer of this lease can start from" in early["problem"]


def _state(transfer_id: int) -> str:
    return LeaseTransfer.objects.get(pk=transfer_id).state


def test_each_step_is_its_own_sides_and_the_others_are_refused(w):
    offered = w.offer()
    url = f"/api/v1/transfers/{offered['id']}/"
    timeline = LeaseEvent.objects.count()
    refusals = [
        (w.exporter, "accept/", {}, 403, "not_allowed"),  # its own offer
        (w.owner, "accept/", {}, 403, "not_allowed"),  # not an exporter
        (w.receiver, "consent/", {"decision": "approve"}, 403, "not_allowed"),
        (w.exporter, "consent/", {"decision": "approve"}, 403, "not_allowed"),
        (w.owner, "consent/", {"decision": "approve"}, 409, "transfer_not_open"),  # nobody took it yet
        (w.receiver, "withdraw/", {}, 403, "not_allowed"),
        (w.owner, "withdraw/", {}, 403, "not_allowed"),
        (w.owner, "consent/", {"decision": "maybe"}, 400, "invalid"),
        (w.receiver, "accept/", {"key": "k" * 44}, 400, "invalid"),
    ]
    for client, step, body, status, code in refusals:
        response = client.post(f"{url}{step}", body, format="json")
        assert (response.status_code, response.json()["code"]) == (status, code), (step, response.content)
        assert _state(offered["id"]) == TransferState.OFFERED
    assert LeaseEvent.objects.count() == timeline

    _ok(w.receiver.post(f"{url}accept/", {}, format="json"))
    again = w.receiver.post(f"{url}accept/", {}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "transfer_not_open")
    no_reason = w.owner.post(f"{url}consent/", {"decision": "refuse", "reason": "  "}, format="json")
    assert (no_reason.status_code, no_reason.json()["code"]) == (400, "invalid_transfer")
    assert _state(offered["id"]) == TransferState.ACCEPTED
    refused = _ok(w.owner.post(f"{url}consent/", {"decision": "refuse", "reason": "Not this client"}, format="json"))
    assert (refused["state"], refused["decline_reason"]) == ("declined", "Not this client")
    late = w.exporter.post(f"{url}withdraw/", {}, format="json")
    assert (late.status_code, late.json()["code"]) == (409, "transfer_not_open")
    _nothing_written(w, 1)


def test_the_offering_exporter_withdraws_and_the_receivers_unpaid_lease_is_cancelled(w):
    offered = w.offer()
    url = f"/api/v1/transfers/{offered['id']}/"
    _ok(w.receiver.post(f"{url}accept/", {}, format="json"))
    new_lease = _ok(w.owner.post(f"{url}consent/", {"decision": "approve"}, format="json"))["new_lease"]
    withdrawn = _ok(w.exporter.post(f"{url}withdraw/", {}, format="json", HTTP_IDEMPOTENCY_KEY="w-1"))
    replay = w.exporter.post(f"{url}withdraw/", {}, format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    assert (replay.status_code, replay.json(), replay["Idempotent-Replayed"]) == (200, withdrawn, "true")
    assert withdrawn["state"] == "withdrawn"
    assert _ok(w.receiver.get(f"/api/v1/leases/{new_lease}/"))["state"] == "cancelled"
    assert w.lease.transfers.count() == 1


def test_another_organisation_sees_no_transfer(w):
    offered = w.offer()
    stranger = client_with(key_for(ExporterOrganisationFactory()))
    for path in (f"/api/v1/transfers/{offered['id']}/", f"/api/v1/leases/{w.lease.pk}/transfers/"):
        assert stranger.get(path).status_code == 404
    assert stranger.get("/api/v1/transfers/").json()["results"] == []
    for step in ("accept/", "consent/", "withdraw/"):
        response = stranger.post(f"/api/v1/transfers/{offered['id']}/{step}", {"decision": "approve"}, format="json")
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert _state(offered["id"]) == TransferState.OFFERED


def test_the_api_offers_a_transfer_step_exactly_when_the_page_does(w):
    """``actions`` (rules.transfer_allowed) against the transfer page's selector, for each party and state."""
    from leasing.selectors import transfer_detail_get

    offered = w.offer()
    transfer = LeaseTransfer.objects.get(pk=offered["id"])
    organisations = {"exporter": w.p.exporter_org, "owner": w.p.owner_org, "receiver": w.receiver_org}
    clients = {"exporter": w.exporter, "owner": w.owner, "receiver": w.receiver}
    url = f"/api/v1/transfers/{transfer.pk}/"

    def compare() -> None:
        for name, organisation in organisations.items():
            detail = transfer_detail_get(transfer=LeaseTransfer.objects.get(pk=transfer.pk), organisation=organisation)
            page = {
                "transfer_accept": detail.can_accept,
                "transfer_consent": detail.can_consent,
                "transfer_withdraw": detail.can_withdraw,
            }
            assert _ok(clients[name].get(url))["actions"] == [step for step, offered in page.items() if offered], name

    compare()
    _ok(w.receiver.post(f"{url}accept/", {}, format="json"))
    compare()
    _ok(w.owner.post(f"{url}consent/", {"decision": "approve"}, format="json"))
    compare()
    _ok(w.exporter.post(f"{url}withdraw/", {}, format="json"))
    compare()

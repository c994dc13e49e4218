"""Issue #18 through the API: the quote and the offer of a lease whose days are already paid out
to the owner; the refund quoted is the refund made."""

from datetime import timedelta
from decimal import Decimal

import pytest

from escrow.models import Refund
from leasing.choices import LeaseState as S
from tests.accounts.factories import ExporterOrganisationFactory, member_of
from tests.api.conftest import client_with, key_for
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now

pytestmark = pytest.mark.django_db


def _ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def test_a_short_paid_out_lease_is_quoted_offered_and_handed_on_through_the_api():
    p = Parties(transfers_need_consent=False)
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(20), quantity=4)
    receiver_org = ExporterOrganisationFactory()
    exporter = client_with(key_for(p.exporter_org, user=p.exporter))
    receiver = client_with(key_for(receiver_org, user=member_of(receiver_org)))
    start = lease.start + timedelta(days=4)
    path = f"/api/v1/leases/{lease.pk}/transfer-quote/"

    full = _ok(exporter.get(path, {"quantity": 2, "start": start.isoformat()}))
    assert full["allowed"] is True
    assert full["earliest"] == lease.start.isoformat()  # the days already paid out can be handed on
    value = {name: Decimal(amount) for name, amount in full["value"].items() if name != "currency"}
    assert value["held"] == 0
    assert value["paid"] == value["carry"] == value["cost"] == value["value"] > 0
    assert value["refund"] == value["value"] - value["fee"]

    price = (value["cost"] / 2).quantize(Decimal("0.01"))
    cheap = _ok(exporter.get(path, {"quantity": 2, "start": start.isoformat(), "price": str(price)}))["value"]
    assert Decimal(cheap["carry"]) == price  # a lower price is all that comes back for paid-out days
    body = {"to_organisation": receiver_org.pk, "quantity": 2, "start": start.isoformat(), "price": str(price)}
    offered = _ok(exporter.post(f"/api/v1/leases/{lease.pk}/transfers/", body, format="json"), 201)
    assert Decimal(offered["refund"]) == Decimal(offered["estimate"]["refund"]) == Decimal(cheap["refund"])

    url = f"/api/v1/transfers/{offered['id']}/"
    approved = _ok(receiver.post(f"{url}accept/", {}, format="json"))
    assert approved["state"] == "approved"  # the owner is paid no less: no consent needed here
    new_lease = approved["new_lease"]
    _ok(receiver.post(f"/api/v1/leases/{new_lease}/pay/", {"payment_method": "pm_card_visa"}, format="json"))

    done = _ok(exporter.get(url))
    assert (done["state"], Decimal(done["refund"])) == ("completed", Decimal(cheap["refund"]))
    assert Refund.objects.get(escrow=lease.escrow).amount == Decimal(cheap["refund"])
    assert _ok(exporter.get(f"/api/v1/leases/{lease.pk}/"))["state"] == "active"  # 2 units stay


def test_a_bad_quote_price_is_a_field_error():
    p = Parties()
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(20), quantity=4)
    exporter = client_with(key_for(p.exporter_org, user=p.exporter))
    response = exporter.get(f"/api/v1/leases/{lease.pk}/transfer-quote/", {"price": "0"})
    assert (response.status_code, set(response.json()["fields"])) == (400, {"price"})

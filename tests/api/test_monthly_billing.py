"""Issue #18 through the API: the billing choice at request, the instalments with their payment status,
and paying the next month (exporter only, 404 for another organisation's lease)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from escrow.models import Payment
from leasing import schedule
from leasing.choices import InstalmentStatus
from leasing.models import Lease
from tests.accounts.factories import ExporterOrganisationFactory, member_of
from tests.warehouses.factories import days_from_now

from .conftest import client_with, key_for

pytestmark = pytest.mark.django_db


def request_body(parties, *, days: int, billing: str = "monthly") -> dict:
    start = days_from_now(5)
    return {
        "listing": parties.listing.pk,
        "start": start.isoformat(),
        "end": (start + timedelta(days=days - 1)).isoformat(),
        "quantity": 2,
        "goods_description": "Garden furniture",
        "billing": billing,
    }


def monthly_paid(parties, exporter_api, owner_api) -> dict:
    created = exporter_api.post("/api/v1/leases/", request_body(parties, days=100), format="json")
    assert created.status_code == 201, created.content
    lease_id = created.json()["id"]
    if created.json()["state"] == "requested":
        assert owner_api.post(f"/api/v1/leases/{lease_id}/accept/", {}, format="json").status_code == 200
    paid = exporter_api.post(f"/api/v1/leases/{lease_id}/pay/", {"payment_method": "pm_card_visa"}, format="json")
    assert paid.status_code == 200, paid.content
    return paid.json()


def test_a_monthly_lease_is_requested_paid_for_its_first_month_and_lists_its_instalments(
    parties, exporter_api, owner_api
):
    paid = monthly_paid(parties, exporter_api, owner_api)
    lease = Lease.objects.get(pk=paid["lease"]["id"])
    assert paid["lease"]["billing"] == "monthly"
    assert (paid["payment"]["instalment"], Decimal(paid["payment"]["amount"])) == (
        1,
        schedule.first_payment_amount(lease),
    )
    body = exporter_api.get(f"/api/v1/leases/{lease.pk}/").json()
    rows = body["instalments"]
    assert [row["status"] for row in rows] == ["scheduled", "due", "due", "due"]
    assert [row["payment_status"] for row in rows] == ["succeeded", "", "", ""]
    assert rows[1]["charge_from"] == (lease.instalments.get(sequence=2).start - timedelta(days=7)).isoformat()
    assert rows[0]["charge_from"] is None
    assert sum(Decimal(row["gross"]) for row in rows) == lease.total
    assert "pay_instalment" in body["actions"]
    assert "pay_instalment" not in owner_api.get(f"/api/v1/leases/{lease.pk}/").json()["actions"]


def test_monthly_billing_for_a_short_lease_is_refused_and_writes_nothing(parties, exporter_api):
    response = exporter_api.post("/api/v1/leases/", request_body(parties, days=30), format="json")
    assert (response.status_code, response.json()["code"]) == (409, "monthly_billing_unavailable")
    bad = exporter_api.post("/api/v1/leases/", request_body(parties, days=60, billing="weekly"), format="json")
    assert bad.status_code == 400
    assert not Lease.objects.exists()


def test_the_exporter_pays_the_next_month_and_only_the_exporter_may(parties, exporter_api, owner_api):
    lease_id = monthly_paid(parties, exporter_api, owner_api)["lease"]["id"]
    url = f"/api/v1/leases/{lease_id}/instalments/pay/"

    stranger = ExporterOrganisationFactory()
    other = client_with(key_for(stranger, user=member_of(stranger)))
    assert other.post(url, {"payment_method": "pm_card_visa"}, format="json").status_code == 404
    assert other.get(f"/api/v1/leases/{lease_id}/").status_code == 404
    owner = owner_api.post(url, {"payment_method": "pm_card_visa"}, format="json")
    assert (owner.status_code, owner.json()["code"]) == (403, "not_allowed")
    assert exporter_api.post(url, {}, format="json").status_code == 400
    declined = exporter_api.post(url, {"payment_method": "pm_card_chargeDeclined"}, format="json")
    assert (declined.status_code, declined.json()["code"]) == (402, "payment_declined")
    assert Lease.objects.get(pk=lease_id).instalments.get(sequence=2).status == InstalmentStatus.DUE

    paid = exporter_api.post(url, {"payment_method": "pm_card_visa"}, format="json")
    assert paid.status_code == 200, paid.content
    assert (paid.json()["payment"]["instalment"], paid.json()["payment"]["status"]) == (2, "succeeded")
    rows = exporter_api.get(f"/api/v1/leases/{lease_id}/").json()["instalments"]
    assert [row["status"] for row in rows] == ["scheduled", "scheduled", "due", "due"]
    assert [row["payment_status"] for row in rows][:2] == ["succeeded", "succeeded"]
    assert Payment.objects.filter(escrow__lease_id=lease_id, status="succeeded").count() == 2


def test_an_upfront_lease_has_nothing_to_pay_by_month(parties, exporter_api, owner_api):
    created = exporter_api.post("/api/v1/leases/", request_body(parties, days=60, billing="upfront"), format="json")
    lease_id = created.json()["id"]
    if created.json()["state"] == "requested":
        owner_api.post(f"/api/v1/leases/{lease_id}/accept/", {}, format="json")
    exporter_api.post(f"/api/v1/leases/{lease_id}/pay/", {"payment_method": "pm_card_visa"}, format="json")
    rows = exporter_api.get(f"/api/v1/leases/{lease_id}/").json()["instalments"]
    assert {row["status"] for row in rows} == {"scheduled"}
    assert {row["payment_status"] for row in rows} == {"succeeded"}
    response = exporter_api.post(
        f"/api/v1/leases/{lease_id}/instalments/pay/", {"payment_method": "pm_card_visa"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (409, "nothing_to_pay")

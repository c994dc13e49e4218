"""The lease pages over HTTP: the whole journey, refusals as form errors, who may see what, and
query counts that do not grow with the number of leases."""

import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from common.money import format_money
from escrow import ledger
from escrow.choices import PaymentStatus, PayoutStatus
from escrow.models import Payment, Payout
from leasing import services
from leasing.choices import LeaseState as S
from leasing.choices import ShipmentStatus
from leasing.models import CheckIn, CheckInPhoto, InboundShipment, Lease, LeaseEvent
from tests.accounts.factories import OrganisationFactory, member_of
from tests.helpers import login, url
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now

pytestmark = pytest.mark.django_db


def png(name="box.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "orange").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def request_data(**changes):
    data = {
        "start": days_from_now(3).isoformat(),
        "end": days_from_now(12).isoformat(),
        "quantity": "4",
        "goods_description": "Garden chairs, 40 cartons",
        "message": "Arriving by sea",
    }
    return {**data, **changes}


def shipment_data(lines=(("Chairs", "CH-1", "40"), ("Tables", "TB-1", "10")), **changes):
    data = {
        "carrier": "Maersk",
        "tracking_number": "MSKU7654321",
        "eta": days_from_now(2).isoformat(),
        "weight_kg": "820.5",
        "customs_reference": "",
        "lines-TOTAL_FORMS": "4",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for i in range(4):
        description, sku, quantity = lines[i] if i < len(lines) else ("", "", "")
        data |= {f"lines-{i}-description": description, f"lines-{i}-sku": sku, f"lines-{i}-quantity": quantity}
        data[f"lines-{i}-weight_kg"] = ""
    return {**data, **changes}


def arrived_shipment(p, lease):
    shipment = p.walker.announce(lease)
    services.shipment_mark(shipment=shipment, by=p.owner, status=ShipmentStatus.IN_TRANSIT)
    services.shipment_mark(shipment=shipment, by=p.owner, status=ShipmentStatus.ARRIVED)
    return shipment


def checkin_data(shipment, **changes):
    data = {"condition": "good", "notes": ""}
    data |= {f"received_{line.pk}": str(line.quantity) for line in shipment.lines.all()}
    return {**data, **changes}


def body(response):
    return response.content.decode()


# --- The journey -------------------------------------------------------------------------------


def test_the_whole_journey_through_the_pages(client, p, django_capture_on_commit_callbacks):
    listing_page = f"{reverse('warehouses:listing_detail', args=[p.listing.pk])}?" + (
        f"start={days_from_now(3).isoformat()}&end={days_from_now(12).isoformat()}&quantity=4"
    )
    login(client, p.exporter)
    response = client.get(listing_page)
    request_page = url("lease_request", p.listing.pk)
    assert f'href="{request_page}?start=' in body(response)
    assert "Request this space" in body(response)

    response = client.get(f"{request_page}?start={days_from_now(3)}&end={days_from_now(12)}&quantity=4")
    assert response.status_code == 200
    assert "Total, paid into escrow" in body(response)  # the frozen price, before sending

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(request_page, request_data())
    lease = Lease.objects.get()
    assert response["Location"] == url("lease_detail", lease.pk)
    assert (lease.state, lease.quantity, lease.exporter) == (S.REQUESTED, 4, p.exporter_org)
    assert url("lease_detail", lease.pk) in mail.outbox[-1].body  # the owner's email links here

    login(client, p.owner)
    assert "Accept" in body(client.get(url("lease_detail", lease.pk)))
    client.post(url("lease_accept", lease.pk))
    lease.refresh_from_db()
    assert lease.state == S.ACCEPTED

    login(client, p.exporter)
    checkout = client.get(url("lease_pay", lease.pk))
    assert "offline simulated gateway" in body(checkout)
    response = client.post(url("lease_pay", lease.pk), {"payment_method": "pm_card_visa"})
    assert response["Location"] == url("lease_detail", lease.pk)
    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    assert ledger.escrow_held(lease.escrow) == lease.total

    response = client.post(url("shipment_create", lease.pk), shipment_data())
    assert response["Location"] == url("lease_detail", lease.pk)
    shipment = InboundShipment.objects.get(lease=lease)
    assert [(line.description, line.quantity) for line in shipment.lines.all()] == [("Chairs", 40), ("Tables", 10)]

    login(client, p.owner)
    client.post(url("shipment_mark", shipment.pk), {"status": "in_transit"})
    client.post(url("shipment_mark", shipment.pk), {"status": "arrived"})
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.ARRIVED
    page = client.get(url("checkin_create", shipment.pk))
    assert page.status_code == 200
    chairs = shipment.lines.get(description="Chairs")
    data = checkin_data(shipment, **{f"received_{chairs.pk}": "39", "notes": "One carton short"})
    response = client.post(url("checkin_create", shipment.pk), {**data, "photos": [png("a.png"), png("b.png")]})
    assert response["Location"] == url("lease_detail", lease.pk)
    checkin = CheckIn.objects.get(shipment=shipment)
    assert (checkin.declared_total, checkin.received_total, checkin.within_tolerance) == (50, 49, True)
    assert CheckInPhoto.objects.filter(checkin=checkin).count() == 2

    login(client, p.exporter)
    detail = body(client.get(url("lease_detail", lease.pk)))
    assert "This releases the payment to the owner" in detail
    assert "Within the" in detail
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("lease_confirm", lease.pk))
    lease.refresh_from_db()
    assert lease.state == S.ACTIVE
    payout = Payout.objects.get(escrow__lease=lease)
    assert payout.status == PayoutStatus.PAID
    assert payout.amount == lease.owner_amount

    # Both sides see the same history.
    detail = body(client.get(url("lease_detail", lease.pk)))
    for step in ("Requested", "Accepted", "Paid into escrow", "Shipment MSKU7654321 in transit", "Active"):
        assert step in detail


def test_instant_book_listings_say_so_and_land_accepted(client):
    p = Parties(instant_book=True)
    login(client, p.exporter)
    page = client.get(
        reverse("warehouses:listing_detail", args=[p.listing.pk])
        + f"?start={days_from_now(3)}&end={days_from_now(12)}&quantity=2"
    )
    assert "Book instantly" in body(page)

    client.post(url("lease_request", p.listing.pk), request_data(quantity="2"))

    lease = Lease.objects.get()
    assert lease.state == S.ACCEPTED
    assert url("lease_pay", lease.pk) in body(client.get(url("lease_detail", lease.pk)))


def test_anonymous_visitors_are_asked_to_sign_in(client, p):
    page = client.get(
        reverse("warehouses:listing_detail", args=[p.listing.pk])
        + f"?start={days_from_now(3)}&end={days_from_now(12)}&quantity=2"
    )
    assert "Sign in to request" in body(page)
    assert client.get(url("lease_request", p.listing.pk))["Location"].startswith(reverse("account_login"))


def test_owner_declines_with_a_reason_and_the_units_come_back(client, p):
    lease = p.request()
    login(client, p.owner)

    response = client.post(url("lease_decline", lease.pk), {"decline-reason": ""})
    assert response.status_code == 200
    assert "This field is required" in body(response)
    lease.refresh_from_db()
    assert lease.state == S.REQUESTED

    client.post(url("lease_decline", lease.pk), {"decline-reason": "Fully booked for a regular"})
    lease.refresh_from_db()
    assert (lease.state, lease.decline_reason) == (S.DECLINED, "Fully booked for a regular")


def test_exporter_disputes_and_withdraws(client, p):
    checked_in = p.lease_in(S.CHECKED_IN)
    requested = p.request()
    login(client, p.exporter)

    client.post(url("trust:lease_dispute", checked_in.pk), {"dispute-reason": "Two cartons missing"})
    client.post(url("lease_withdraw", requested.pk))

    checked_in.refresh_from_db()
    requested.refresh_from_db()
    assert (checked_in.state, requested.state) == (S.DISPUTED, S.CANCELLED)


def test_a_service_refusal_is_a_message_not_an_error_page(client, p):
    lease = p.lease_in(S.ACCEPTED)
    login(client, p.owner)

    response = client.post(url("lease_accept", lease.pk), follow=True)

    assert response.status_code == 200
    assert "cannot become accepted" in body(response)


# --- Checkout ------------------------------------------------------------------------------------


def test_a_declined_card_shows_the_message_and_the_form_again(client, p):
    lease = p.lease_in(S.ACCEPTED)
    login(client, p.exporter)

    response = client.post(url("lease_pay", lease.pk), {"payment_method": "pm_card_chargeDeclined"})

    assert response.status_code == 200
    assert "Your card was declined" in body(response)
    assert "try another card" in body(response).lower()
    assert 'name="payment_method"' in body(response)
    lease.refresh_from_db()
    assert lease.state == S.ACCEPTED
    assert ledger.escrow_held(lease.escrow) == 0


def test_a_processor_error_says_nothing_was_charged_twice_and_a_retry_pays_once(client, p):
    lease = p.lease_in(S.ACCEPTED)
    login(client, p.exporter)

    response = client.post(url("lease_pay", lease.pk), {"payment_method": "sim_gateway_error"})

    assert response.status_code == 200
    assert "did not answer; nothing was charged twice" in body(response)
    lease.refresh_from_db()
    assert lease.state == S.ACCEPTED

    client.post(url("lease_pay", lease.pk), {"payment_method": "pm_card_visa"})
    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    assert Payment.objects.filter(escrow__lease=lease, status=PaymentStatus.SUCCEEDED).count() == 1
    assert ledger.escrow_held(lease.escrow) == lease.total


def test_checkout_of_a_paid_lease_goes_back_to_the_lease(client, p):
    lease = p.lease_in(S.FUNDED)
    login(client, p.exporter)

    response = client.get(url("lease_pay", lease.pk))

    assert response["Location"] == url("lease_detail", lease.pk)


# --- Bad input -----------------------------------------------------------------------------------


def test_a_request_ending_before_it_starts_is_a_form_error(client, p):
    login(client, p.exporter)

    response = client.post(
        url("lease_request", p.listing.pk),
        request_data(start=days_from_now(10).isoformat(), end=days_from_now(5).isoformat()),
    )

    assert response.status_code == 200
    assert "The end date must be on or after the start date." in body(response)
    assert not Lease.objects.exists()


def test_a_request_for_more_than_is_free_shows_the_capacity_message(client):
    p = Parties(capacity=10)
    p.request(quantity=8)
    login(client, p.exporter)

    response = client.post(url("lease_request", p.listing.pk), request_data(quantity="5"))

    assert response.status_code == 200
    assert "Not enough free capacity" in body(response)
    assert Lease.objects.count() == 1


def test_an_announcement_without_lines_is_a_form_error(client, p):
    lease = p.lease_in(S.FUNDED)
    login(client, p.exporter)

    response = client.post(url("shipment_create", lease.pk), shipment_data(lines=()))

    assert response.status_code == 200
    assert "This field is required" in body(response)
    assert not InboundShipment.objects.exists()


def test_a_bonded_warehouse_needs_a_customs_reference(client):
    p = Parties()
    p.listing.warehouse.customs_status = "bonded"
    p.listing.warehouse.save()
    lease = p.lease_in(S.FUNDED)
    login(client, p.exporter)

    response = client.post(url("shipment_create", lease.pk), shipment_data())

    assert response.status_code == 200
    assert "customs reference" in body(response)
    assert not InboundShipment.objects.exists()


def test_a_negative_count_at_check_in_is_a_form_error(client, p):
    lease = p.lease_in(S.FUNDED)
    shipment = arrived_shipment(p, lease)
    line = shipment.lines.first()
    login(client, p.owner)

    response = client.post(url("checkin_create", shipment.pk), checkin_data(shipment, **{f"received_{line.pk}": "-3"}))

    assert response.status_code == 200
    assert "greater than or equal to 0" in body(response)
    assert not CheckIn.objects.exists()
    lease.refresh_from_db()
    assert lease.state == S.FUNDED


def test_a_check_in_photo_that_is_not_an_image_is_refused(client, p):
    lease = p.lease_in(S.FUNDED)
    shipment = arrived_shipment(p, lease)
    login(client, p.owner)
    fake = SimpleUploadedFile("evil.png", b"not an image at all", content_type="image/png")

    response = client.post(url("checkin_create", shipment.pk), {**checkin_data(shipment), "photos": [fake]})

    assert response.status_code == 200
    assert not CheckIn.objects.exists()


# --- Who may see what ----------------------------------------------------------------------------

TARGETS = [
    ("get", "lease_detail", "lease"),
    ("get", "lease_pay", "lease"),
    ("get", "shipment_create", "lease"),
    ("get", "checkin_create", "shipment"),
    ("post", "lease_accept", "lease"),
    ("post", "lease_decline", "lease"),
    ("post", "lease_confirm", "lease"),
    ("post", "trust:lease_dispute", "lease"),
    ("post", "lease_withdraw", "lease"),
    ("post", "shipment_mark", "shipment"),
]


@pytest.mark.parametrize(("method", "name", "target"), TARGETS)
def test_another_organisation_gets_404(client, p, method, name, target):
    lease = p.lease_in(S.FUNDED)
    shipment = arrived_shipment(p, lease)
    # An organisation that both owns and exports: the 404 comes from the lease lookup itself.
    login(client, member_of(OrganisationFactory(is_owner=True, is_exporter=True)))
    pk = lease.pk if target == "lease" else shipment.pk

    response = getattr(client, method)(url(name, pk), {"status": "checked_in", "decline-reason": "x"})

    assert response.status_code == 404
    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    assert LeaseEvent.objects.filter(lease=lease).count() == 5  # requested, accepted, paid, announced, arrived


@pytest.mark.parametrize(
    ("side", "method", "name"),
    [
        ("owner", "get", "lease_pay"),
        ("owner", "get", "shipment_create"),
        ("owner", "post", "lease_withdraw"),
        ("owner", "post", "lease_confirm"),
        ("exporter", "post", "lease_accept"),
        ("exporter", "post", "lease_decline"),
    ],
)
def test_each_side_cannot_take_the_other_sides_steps(client, p, side, method, name):
    lease = p.request()
    login(client, p.owner if side == "owner" else p.exporter)

    response = getattr(client, method)(url(name, lease.pk))

    assert response.status_code in (403, 404)
    lease.refresh_from_db()
    assert lease.state == S.REQUESTED


def test_the_exporter_cannot_open_the_check_in_page(client, p):
    lease = p.lease_in(S.FUNDED)
    shipment = arrived_shipment(p, lease)
    login(client, p.exporter)

    assert client.get(url("checkin_create", shipment.pk)).status_code == 404
    assert client.post(url("shipment_mark", shipment.pk), {"status": "arrived"}).status_code == 404


# --- Dashboards and query counts -----------------------------------------------------------------


def test_the_owner_dashboard_puts_requests_first_and_asks_for_a_payout_account(client):
    p = Parties()
    p.owner_org.payout_account.delete()
    requested = p.request()
    login(client, p.owner)

    page = body(client.get(url("owner_dashboard")))

    assert page.index("Inbox: requests waiting for you") < page.index("Leases in progress")
    assert url("lease_detail", requested.pk) in page
    assert "Connect a payout account to be paid" in page
    assert reverse("escrow:payout_account") in page
    assert reverse("warehouses:owner:warehouse_list") in page  # the owner space links stay


def test_the_exporter_dashboard_shows_the_next_action(client, p):
    accepted = p.lease_in(S.ACCEPTED)
    funded = p.lease_in(S.FUNDED)
    login(client, p.exporter)

    page = body(client.get(url("exporter_dashboard")))

    assert url("lease_pay", accepted.pk) in page
    assert url("shipment_create", funded.pk) in page


def test_an_exporter_without_leases_is_sent_to_find_space(client, p):
    login(client, p.exporter)

    page = body(client.get(url("exporter_dashboard")))

    assert "No leases yet" in page
    assert reverse("warehouses:search") in page


def _queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def _leases_in_every_section(p, n):
    """n leases in each state the dashboards group differently; returns the last active one."""
    active = None
    for _ in range(n):
        p.request(quantity=1)
        p.lease_in(S.ACCEPTED, quantity=1)
        p.lease_in(S.FUNDED, quantity=1)
        arrived_shipment(p, p.lease_in(S.FUNDED, quantity=1))
        p.lease_in(S.DECLINED, quantity=1)
        active = p.lease_in(S.ACTIVE, quantity=1)
    return active


def test_pages_run_the_same_number_of_queries_for_one_lease_or_six(client, p):
    active = _leases_in_every_section(p, 1)
    paths = {
        "owner": [url("owner_dashboard"), url("lease_detail", active.pk)],
        "exporter": [url("exporter_dashboard"), url("lease_detail", active.pk)],
    }
    users = {"owner": p.owner, "exporter": p.exporter}
    before = {}
    for side, side_paths in paths.items():
        login(client, users[side])
        for path in side_paths:
            before[side, path] = _queries(client, path)

    _leases_in_every_section(p, 5)

    for side, side_paths in paths.items():
        login(client, users[side])
        for path in side_paths:
            assert _queries(client, path) == before[side, path], (side, path)
    assert Lease.objects.count() == 36


def test_the_detail_page_shows_the_counts_and_the_money(client, p):
    lease = p.lease_in(S.FUNDED)
    shipment = arrived_shipment(p, lease)
    lines = list(shipment.lines.all())
    services.checkin_record(
        shipment=shipment, by=p.owner, received={lines[0].pk: 30, lines[1].pk: 10}, notes="Crushed pallet"
    )
    login(client, p.exporter)

    page = body(client.get(url("lease_detail", lease.pk)))

    assert "Outside the" in page
    assert "-10" in page
    assert "Crushed pallet" in page
    assert format_money(lease.total, lease.currency) in page
    assert "Held in escrow" in page

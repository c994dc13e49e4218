"""The pages of issue #7 over HTTP: cancelling with the refund shown first (and that refund is the
one made), extending, transferring, partial check-in and the release schedule. Each new page: the
happy path, bad input as a form error with nothing written, another organisation gets a 404, and
lists that run the same number of queries however many rows they show."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.money import format_money
from escrow import ledger
from escrow.models import LedgerEntry, Refund
from leasing import services, transfers
from leasing.choices import CancelledBy, InstalmentStatus, LeaseOrigin, ShipmentStatus, TransferState
from leasing.choices import LeaseState as S
from leasing.models import Lease, LeaseEvent, LeaseTransfer
from tests.accounts.factories import ExporterOrganisationFactory, OrganisationFactory, member_of
from tests.helpers import login, url
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now
from warehouses.choices import CancellationPolicy
from warehouses.forms import ListingForm

pytestmark = pytest.mark.django_db


def body(response):
    return response.content.decode()


def long_active(p, *, quantity=4, days=90):
    """A lease of ``days`` days starting in 3 days, checked in and confirmed: its first month is
    released to the owner, the later ones are held."""
    return p.lease_in(S.ACTIVE, start=days_from_now(3), end=days_from_now(2 + days), quantity=quantity)


def exporter(**fields):
    organisation = ExporterOrganisationFactory(**fields)
    return organisation, member_of(organisation)


def stranger():
    """An organisation that both owns and exports: any 404 comes from the lookup itself."""
    return member_of(OrganisationFactory(is_owner=True, is_exporter=True))


def shown_refund(page):
    return Decimal(re.search(r'name="expected_refund" value="([^"]+)"', page).group(1))


def refund_made(lease, key):
    """The refund row and the exporter's ledger credit for the posting ``key``."""
    refund = Refund.objects.get(escrow__lease=lease, idempotency_key=key)
    credit = LedgerEntry.objects.get(posting__idempotency_key=key, account=ledger.refund_exporter(lease.exporter_id))
    return refund.amount, -credit.amount


def _queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


# --- Cancellation: the refund shown is the refund made ------------------------------------------


@pytest.mark.parametrize(
    ("policy", "start_in", "percent"),
    [
        (CancellationPolicy.FLEXIBLE, 3, 100),
        (CancellationPolicy.MODERATE, 10, 100),
        (CancellationPolicy.MODERATE, 3, 50),
        (CancellationPolicy.STRICT, 20, 50),
    ],
)
def test_the_exporter_sees_the_policy_refund_and_gets_exactly_that(client, policy, start_in, percent):
    p = Parties(capacity=100, cancellation_policy=policy)
    lease = p.lease_in(S.FUNDED, start=days_from_now(start_in), end=days_from_now(start_in + 9))
    login(client, p.exporter)

    page = body(client.get(url("lease_cancel", lease.pk)))

    shown = shown_refund(page)
    assert shown == (lease.total * percent / 100).quantize(Decimal("0.01"))
    assert format_money(shown, "EUR") in page
    assert f"{percent}%" in page
    assert p.listing.get_cancellation_policy_display() in page
    response = client.post(url("lease_cancel", lease.pk), {"expected_refund": str(shown)})
    assert response["Location"] == url("lease_detail", lease.pk)
    lease.refresh_from_db()
    assert (lease.state, lease.cancelled_by) == (S.CANCELLED, CancelledBy.EXPORTER)
    assert refund_made(lease, f"escrow:{lease.escrow.pk}:cancel:refund") == (shown, shown)
    assert ledger.escrow_held(lease.escrow) == 0


def test_the_policy_rules_are_written_out(client):
    p = Parties(capacity=100, cancellation_policy=CancellationPolicy.STRICT)
    lease = p.lease_in(S.FUNDED, start=days_from_now(3), end=days_from_now(12))
    login(client, p.exporter)

    page = body(client.get(url("lease_cancel", lease.pk)))

    assert "A 50% refund until 14 days before the start; no refund after." in page
    assert "Cancel the lease" in page
    assert "Keep the lease" in page
    assert shown_refund(page) == 0  # strict, 3 days before: nothing back


def test_no_refund_under_the_policy_makes_no_refund(client):
    p = Parties(capacity=100, cancellation_policy=CancellationPolicy.STRICT)
    lease = p.lease_in(S.FUNDED, start=days_from_now(3), end=days_from_now(12))
    login(client, p.exporter)

    client.post(url("lease_cancel", lease.pk), {"expected_refund": "0.00"})

    lease.refresh_from_db()
    assert lease.state == S.CANCELLED
    assert not Refund.objects.filter(escrow__lease=lease).exists()


def test_the_owner_cancelling_refunds_everything_and_is_told_it_counts(client, p):
    lease = p.lease_in(S.FUNDED, start=days_from_now(3), end=days_from_now(12))
    login(client, p.owner)

    page = body(client.get(url("lease_cancel", lease.pk)))

    shown = shown_refund(page)
    assert shown == lease.total
    assert "counts against your rating" in page
    client.post(url("lease_cancel", lease.pk), {"expected_refund": str(shown)})
    lease.refresh_from_db()
    assert (lease.state, lease.cancelled_by) == (S.CANCELLED, CancelledBy.OWNER)
    assert refund_made(lease, f"escrow:{lease.escrow.pk}:cancel:refund") == (shown, shown)


def test_cancelling_a_long_active_lease_refunds_the_months_still_held(client, p):
    lease = long_active(p)
    released = lease.instalments.get(sequence=1)
    assert released.status == InstalmentStatus.RELEASED
    login(client, p.exporter)

    page = body(client.get(url("lease_cancel", lease.pk)))

    shown = shown_refund(page)
    held = sum(item.gross for item in lease.instalments.filter(status=InstalmentStatus.SCHEDULED))
    assert 0 < shown <= held
    assert "not refundable" in page
    assert f"{released.end:%-d %b %Y}" in page
    client.post(url("lease_cancel", lease.pk), {"expected_refund": str(shown)})
    lease.refresh_from_db()
    assert lease.state == S.CANCELLED
    assert refund_made(lease, f"escrow:{lease.escrow.pk}:cancel:refund") == (shown, shown)


def test_a_refund_that_changed_shows_the_new_figures_and_cancels_nothing(client):
    p = Parties(capacity=100, cancellation_policy=CancellationPolicy.MODERATE)
    lease = p.lease_in(S.FUNDED, start=days_from_now(3), end=days_from_now(12))
    login(client, p.exporter)
    stale = lease.total  # as if shown while a full refund still applied

    response = client.post(url("lease_cancel", lease.pk), {"expected_refund": str(stale)})

    assert response.status_code == 200
    page = body(response)
    assert "The refund is now" in page
    assert shown_refund(page) == (lease.total / 2).quantize(Decimal("0.01"))  # the new amount, to confirm
    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    assert not Refund.objects.filter(escrow__lease=lease).exists()


@pytest.mark.parametrize("data", [{}, {"expected_refund": "lots"}, {"expected_refund": "-1"}])
def test_a_cancellation_without_a_readable_refund_is_a_form_error(client, p, data):
    lease = p.lease_in(S.FUNDED)
    events = LeaseEvent.objects.filter(lease=lease).count()
    login(client, p.exporter)

    response = client.post(url("lease_cancel", lease.pk), data)

    assert response.status_code == 200
    assert "The refund shown could not be read" in body(response)
    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    assert LeaseEvent.objects.filter(lease=lease).count() == events


def test_a_lease_that_cannot_be_cancelled_goes_back_to_its_page(client, p):
    lease = p.request()
    login(client, p.exporter)

    response = client.get(url("lease_cancel", lease.pk))

    assert response["Location"] == url("lease_detail", lease.pk)


def test_the_lease_page_links_to_the_cancellation_with_the_policy(client, p):
    lease = p.lease_in(S.FUNDED)
    login(client, p.exporter)

    page = body(client.get(url("lease_detail", lease.pk)))

    assert url("lease_cancel", lease.pk) in page
    assert "A full refund until 7 days before the start; a 50% refund after." in page


# --- Extension ---------------------------------------------------------------------------------


def test_the_exporter_sees_the_price_of_an_extension_then_asks_for_it(client, p):
    lease = p.lease_in(S.ACTIVE)
    end = lease.end + (days_from_now(10) - days_from_now(0))
    login(client, p.exporter)
    assert 'hx-get="{}"'.format(url("lease_extend", lease.pk)) in body(client.get(url("lease_detail", lease.pk)))

    preview = client.get(url("lease_extend", lease.pk), {"end": end.isoformat()}, headers={"HX-Request": "true"})

    page = body(preview)
    total = Decimal("1.50") * 2 * 10 * Decimal("1.05")  # 2 units × 10 days, 5% fee, no handling
    assert 'id="extend-quote"' in page
    assert format_money(total, "EUR") in page
    assert not Lease.objects.filter(parent=lease).exists()
    response = client.post(url("lease_extend", lease.pk), {"end": end.isoformat(), "message": "Two more weeks"})
    extension = Lease.objects.get(parent=lease)
    assert response["Location"] == url("lease_detail", extension.pk)
    assert (extension.origin, extension.state, extension.total) == (LeaseOrigin.EXTENSION, S.REQUESTED, total)
    page = body(client.get(url("lease_detail", extension.pk)))
    assert f"Extends lease #{lease.pk}" in page
    assert f"Extension: lease #{extension.pk}" in body(client.get(url("lease_detail", lease.pk)))


def test_a_lease_already_extended_is_extended_through_its_extension(client, p):
    lease = p.lease_in(S.ACTIVE)
    extension = services.lease_extend(lease=lease, by=p.exporter, end=days_from_now(20))
    p.accept(extension)
    p.pay(extension)
    login(client, p.exporter)

    assert url("lease_extend", lease.pk) not in body(client.get(url("lease_detail", lease.pk)))
    response = client.get(url("lease_extend", lease.pk), {"end": days_from_now(30).isoformat()})
    assert response["Location"] == url("lease_detail", extension.pk)
    assert url("lease_extend", extension.pk) in body(client.get(url("lease_detail", extension.pk)))


@pytest.mark.parametrize("end", ["", "not-a-date", "past"])
def test_an_extension_ending_before_the_lease_does_is_a_form_error(client, p, end):
    lease = p.lease_in(S.ACTIVE)
    login(client, p.exporter)
    value = lease.end.isoformat() if end == "past" else end

    response = client.post(url("lease_extend", lease.pk), {"end": value})

    assert response.status_code == 200
    assert 'class="errorlist"' in body(response)
    assert not Lease.objects.filter(parent=lease).exists()


# --- Transfers ---------------------------------------------------------------------------------


def transfer_data(lease, **changes):
    earliest = transfers.transfer_earliest(lease)
    value = transfers.transfer_value(lease, quantity=lease.quantity, start=earliest)
    data = {
        "to_organisation": "",
        "quantity": str(lease.quantity),
        "start": earliest.isoformat(),
        "price": str(value.value),
        "goods": "carry",
        "message": "Our season ended early",
    }
    return {**data, **changes}


def test_the_offer_form_shows_what_comes_back_and_suggests_the_price(client, p):
    lease = long_active(p)
    receiver, _ = exporter()
    earliest = transfers.transfer_earliest(lease)
    value = transfers.transfer_value(lease, quantity=4, start=earliest)
    login(client, p.exporter)
    assert url("transfer_create", lease.pk) in body(client.get(url("lease_detail", lease.pk)))

    page = body(client.get(url("transfer_create", lease.pk)))

    assert earliest == lease.start  # the first month, already paid out to the owner, can be handed on too
    assert value.paid > 0
    assert value.value == value.held + value.paid
    for amount in (value.value, value.fee, value.refund):
        assert format_money(amount, "EUR") in page
    assert f'value="{value.value}"' in page  # the suggested price
    assert f'min="{earliest.isoformat()}"' in page
    assert receiver.name in page
    assert p.exporter_org.name not in re.search(r'<select name="to_organisation".*?</select>', page, re.S).group(0)


def test_the_figures_follow_the_units_and_date_chosen(client, p):
    lease = long_active(p)
    start = lease.instalments.get(sequence=3).start
    value = transfers.transfer_value(lease, quantity=1, start=start)
    login(client, p.exporter)

    response = client.get(
        url("transfer_create", lease.pk), {"quantity": 1, "start": start.isoformat()}, headers={"HX-Request": "true"}
    )

    page = body(response)
    assert 'id="transfer-value"' in page
    assert format_money(value.refund, "EUR") in page
    before = (lease.start - timedelta(days=1)).isoformat()
    too_early = client.get(url("transfer_create", lease.pk), {"quantity": 1, "start": before})
    assert "A transfer of this lease can start from" in body(too_early)


def test_an_offer_is_confirmed_before_it_is_made(client, p):
    lease = long_active(p)
    receiver, _ = exporter()
    data = transfer_data(lease, to_organisation=str(receiver.pk), quantity="2")
    value = transfers.transfer_value(lease, quantity=2, start=transfers.transfer_earliest(lease))
    login(client, p.exporter)

    review = client.post(url("transfer_create", lease.pk), data)

    page = body(review)
    assert review.status_code == 200
    assert "Offer this transfer?" in page
    assert format_money(value.refund, "EUR") in page
    assert not LeaseTransfer.objects.exists()
    response = client.post(url("transfer_create", lease.pk), {**data, "confirm": "1"})
    transfer = LeaseTransfer.objects.get()
    assert response["Location"] == url("transfer_detail", transfer.pk)
    assert (transfer.to_organisation, transfer.quantity, transfer.state) == (receiver, 2, TransferState.OFFERED)
    assert "Withdraw the offer" in body(client.get(url("transfer_detail", transfer.pk)))


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"quantity": "5"}, "holds 4 units"),
        ({"quantity": "0"}, "greater than or equal to 1"),
        ({"start": "past"}, "A transfer of this lease can start from"),
        ({"price": "0"}, "greater than or equal to 0.01"),
        ({"price": "1.234"}, "no more than 2 decimal places"),
        ({"to_organisation": "999999"}, "Select a valid choice"),
    ],
)
def test_bad_transfer_terms_are_form_errors_and_nothing_is_offered(client, p, changes, error):
    lease = long_active(p)
    if changes.get("start") == "past":
        changes = {"start": (lease.start - timedelta(days=1)).isoformat()}
    login(client, p.exporter)

    for extra in ({}, {"confirm": "1"}):
        response = client.post(url("transfer_create", lease.pk), {**transfer_data(lease, **changes), **extra})
        assert response.status_code == 200
        assert error in body(response)
    assert not LeaseTransfer.objects.exists()


def test_offering_to_the_owner_is_refused_as_a_choice(client, p):
    lease = long_active(p)
    login(client, p.exporter)

    response = client.post(url("transfer_create", lease.pk), transfer_data(lease, to_organisation=str(p.owner_org.pk)))

    assert "Select a valid choice" in body(response)
    assert not LeaseTransfer.objects.exists()


def test_the_whole_transfer_through_the_pages_refunds_what_was_shown(client, p):
    lease = long_active(p)
    receiver_org, receiver = exporter()
    data = transfer_data(lease, to_organisation=str(receiver_org.pk))
    login(client, p.exporter)
    shown = body(client.post(url("transfer_create", lease.pk), data))
    client.post(url("transfer_create", lease.pk), {**data, "confirm": "1"})
    transfer = LeaseTransfer.objects.get()
    refund_shown = transfers.transfer_value(lease, quantity=4, start=transfer.start).refund
    assert format_money(refund_shown, "EUR") in shown

    login(client, receiver)
    dashboard = body(client.get(url("exporter_dashboard")))
    assert "Transfers offered to you" in dashboard
    assert url("transfer_detail", transfer.pk) in dashboard
    assert "Accept the transfer" in body(client.get(url("transfer_detail", transfer.pk)))
    client.post(url("transfer_accept", transfer.pk))
    transfer.refresh_from_db()
    assert (transfer.state, transfer.receiver) == (TransferState.ACCEPTED, receiver_org)

    login(client, p.owner)
    assert "Approve or refuse" in body(client.get(url("owner_dashboard")))
    page = body(client.get(url("transfer_detail", transfer.pk)))
    assert "Approve the transfer" in page
    assert "Refuse…" in page
    client.post(url("transfer_consent", transfer.pk), {"consent-decision": "approve"})
    transfer.refresh_from_db()
    assert transfer.state == TransferState.APPROVED

    login(client, receiver)
    new_lease = transfer.new_lease
    assert url("lease_pay", new_lease.pk) in body(client.get(url("transfer_detail", transfer.pk)))
    client.post(url("lease_pay", new_lease.pk), {"payment_method": "pm_card_visa"})
    transfer.refresh_from_db()
    lease.refresh_from_db()
    new_lease.refresh_from_db()
    assert transfer.state == TransferState.COMPLETED
    assert (lease.state, new_lease.state) == (S.TRANSFERRED, S.ACTIVE)
    key = f"escrow:{lease.escrow.pk}:transfer:{transfer.pk}"
    assert refund_made(lease, key) == (refund_shown, refund_shown)
    assert transfer.refund == refund_shown
    # The receiver's lease links to the transfer (not to a lease it may not open); the original to the transfer too.
    page = body(client.get(url("lease_detail", new_lease.pk)))
    assert f"Transferred from lease #{lease.pk}" in page
    assert url("transfer_detail", transfer.pk) in page
    login(client, p.exporter)
    page = body(client.get(url("lease_detail", lease.pk)))
    assert f"Transferred to {receiver_org}" in page
    assert "Release schedule" in page


def test_the_owner_refuses_only_with_a_reason(client, p):
    lease = long_active(p)
    receiver_org, receiver = exporter()
    transfer = transfers.transfer_offer(
        lease=lease, by=p.exporter, quantity=2, start=transfers.transfer_earliest(lease), price=Decimal("100.00")
    )
    transfers.transfer_accept(transfer=transfer, by=receiver, organisation=receiver_org)
    login(client, p.owner)

    response = client.post(url("transfer_consent", transfer.pk), {"consent-decision": "refuse", "consent-reason": " "})

    assert response.status_code == 200
    assert "Say why you refuse the transfer" in body(response)
    transfer.refresh_from_db()
    assert transfer.state == TransferState.ACCEPTED
    bad = client.post(url("transfer_consent", transfer.pk), {"consent-decision": "maybe"})
    assert bad.status_code == 200
    client.post(url("transfer_consent", transfer.pk), {"consent-decision": "refuse", "consent-reason": "Unknown firm"})
    transfer.refresh_from_db()
    assert (transfer.state, transfer.decline_reason) == (TransferState.DECLINED, "Unknown firm")
    assert "Unknown firm" in body(client.get(url("transfer_detail", transfer.pk)))


def test_the_offerer_withdraws(client, p):
    lease = long_active(p)
    transfer = transfers.transfer_offer(
        lease=lease, by=p.exporter, quantity=1, start=transfers.transfer_earliest(lease), price=Decimal("10.00")
    )
    login(client, p.exporter)

    response = client.post(url("transfer_withdraw", transfer.pk))

    assert response["Location"] == url("transfer_detail", transfer.pk)
    transfer.refresh_from_db()
    assert transfer.state == TransferState.WITHDRAWN
    assert url("transfer_create", lease.pk) in body(client.get(url("lease_detail", lease.pk)))  # can offer again


def test_an_open_offer_is_public_by_link_until_someone_takes_it(client, p):
    lease = long_active(p)
    transfer = transfers.transfer_offer(
        lease=lease, by=p.exporter, quantity=1, start=transfers.transfer_earliest(lease), price=Decimal("10.00")
    )
    first_org, first = exporter()
    _, second = exporter()
    owner_only = member_of(OrganisationFactory(is_owner=True, is_exporter=False))
    link = transfers.transfer_path(transfer, share=True)
    assert link == f"{url('transfer_detail', transfer.pk)}?key={transfer.token}"
    login(client, p.exporter)
    page = body(client.get(url("transfer_detail", transfer.pk)))
    assert "Link to send to exporters" in page
    assert link in page

    login(client, owner_only)
    assert client.get(link).status_code == 404
    login(client, second)
    assert client.get(url("transfer_detail", transfer.pk)).status_code == 404  # ids are guessable: keys are not
    assert client.get(url("transfer_detail", transfer.pk) + "?key=wrong").status_code == 404
    assert client.get(link).status_code == 200
    login(client, first)
    assert client.post(url("transfer_accept", transfer.pk)).status_code == 404
    client.post(url("transfer_accept", transfer.pk), {"key": transfer.token})
    transfer.refresh_from_db()
    assert transfer.receiver == first_org

    login(client, second)
    assert client.get(link).status_code == 404
    assert client.post(url("transfer_accept", transfer.pk), {"key": transfer.token}).status_code == 404
    transfer.refresh_from_db()
    assert transfer.receiver == first_org


def test_a_named_offer_is_not_shown_to_other_exporters(client, p):
    lease = long_active(p)
    named, _ = exporter()
    transfer = transfers.transfer_offer(
        lease=lease,
        by=p.exporter,
        quantity=1,
        start=transfers.transfer_earliest(lease),
        price=Decimal("10.00"),
        to_organisation=named,
    )
    _, other = exporter()
    login(client, other)

    assert client.get(url("transfer_detail", transfer.pk)).status_code == 404
    assert client.post(url("transfer_accept", transfer.pk)).status_code == 404
    transfer.refresh_from_db()
    assert transfer.state == TransferState.OFFERED


@pytest.mark.parametrize(
    ("method", "name", "target"),
    [
        ("get", "lease_cancel", "lease"),
        ("post", "lease_cancel", "lease"),
        ("get", "lease_extend", "lease"),
        ("post", "lease_extend", "lease"),
        ("get", "transfer_create", "lease"),
        ("post", "transfer_create", "lease"),
        ("get", "transfer_detail", "transfer"),
        ("post", "transfer_accept", "transfer"),
        ("post", "transfer_consent", "transfer"),
        ("post", "transfer_withdraw", "transfer"),
    ],
)
def test_another_organisation_gets_404(client, p, method, name, target):
    lease = long_active(p)
    receiver_org, _receiver = exporter()
    transfer = transfers.transfer_offer(
        lease=lease,
        by=p.exporter,
        quantity=1,
        start=transfers.transfer_earliest(lease),
        price=Decimal("10.00"),
        to_organisation=receiver_org,
    )
    events = LeaseEvent.objects.filter(lease=lease).count()
    login(client, stranger())
    pk = lease.pk if target == "lease" else transfer.pk
    data = {
        "expected_refund": "0",
        "end": days_from_now(200).isoformat(),
        "consent-decision": "approve",
        **transfer_data(lease),
        "confirm": "1",
    }

    response = getattr(client, method)(url(name, pk), data)

    assert response.status_code == 404
    lease.refresh_from_db()
    transfer.refresh_from_db()
    assert (lease.state, transfer.state) == (S.ACTIVE, TransferState.OFFERED)
    assert LeaseEvent.objects.filter(lease=lease).count() == events
    assert not Lease.objects.filter(parent=lease).exists()


@pytest.mark.parametrize(
    ("who", "method", "name"),
    [
        ("owner", "get", "transfer_create"),
        ("owner", "get", "lease_extend"),
        ("owner", "post", "transfer_withdraw"),
        ("exporter", "post", "transfer_consent"),
        ("receiver", "post", "transfer_withdraw"),
        ("receiver", "post", "transfer_consent"),
    ],
)
def test_each_party_cannot_take_the_others_steps(client, p, who, method, name):
    lease = long_active(p)
    receiver_org, receiver = exporter()
    transfer = transfers.transfer_offer(
        lease=lease,
        by=p.exporter,
        quantity=1,
        start=transfers.transfer_earliest(lease),
        price=Decimal("10.00"),
        to_organisation=receiver_org,
    )
    transfers.transfer_accept(transfer=transfer, by=receiver, organisation=receiver_org)
    login(client, {"owner": p.owner, "exporter": p.exporter, "receiver": receiver}[who])
    pk = lease.pk if name in ("transfer_create", "lease_extend") else transfer.pk

    response = getattr(client, method)(url(name, pk), {"consent-decision": "approve"})

    assert response.status_code == 404
    transfer.refresh_from_db()
    assert transfer.state == TransferState.ACCEPTED


# --- Partial check-in and the release schedule ----------------------------------------------------


def announce(p, lease, tracking):
    return services.shipment_announce(
        lease=lease,
        by=p.exporter,
        carrier="Maersk",
        tracking_number=tracking,
        eta=lease.start,
        lines=[services.DeclaredLine(description="Folding chairs", quantity=20)],
    )


def arrive(p, shipment):
    services.shipment_mark(shipment=shipment, by=p.owner, status=ShipmentStatus.IN_TRANSIT)
    services.shipment_mark(shipment=shipment, by=p.owner, status=ShipmentStatus.ARRIVED)


def checkin_data(shipment):
    return {"condition": "good", "notes": "", **{f"received_{line.pk}": line.quantity for line in shipment.lines.all()}}


def test_part_of_the_goods_checked_in_can_be_confirmed_and_the_rest_received_later(
    client, p, django_capture_on_commit_callbacks
):
    lease = p.lease_in(S.FUNDED)
    first, second = announce(p, lease, "MSKU0000001"), announce(p, lease, "MSKU0000002")
    arrive(p, first)
    login(client, p.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("checkin_create", first.pk), checkin_data(first))
    assert response["Location"] == url("lease_detail", lease.pk)
    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    assert "Part of your goods were checked in" in mail.outbox[-1].subject

    login(client, p.exporter)
    page = body(client.get(url("lease_detail", lease.pk)))
    assert "Confirm what arrived" in page
    assert "1 announced shipment is still to come" in page
    assert "Confirm what arrived" in body(client.get(url("exporter_dashboard")))
    client.post(url("lease_confirm", lease.pk))
    lease.refresh_from_db()
    assert lease.state == S.ACTIVE

    login(client, p.owner)
    assert url("shipment_mark", second.pk) in body(client.get(url("lease_detail", lease.pk)))
    assert "MSKU0000002" in body(client.get(url("owner_dashboard")))
    arrive(p, second)
    assert url("checkin_create", second.pk) in body(client.get(url("lease_detail", lease.pk)))
    client.post(url("checkin_create", second.pk), checkin_data(second))
    second.refresh_from_db()
    lease.refresh_from_db()
    assert (second.status, lease.state) == (ShipmentStatus.CHECKED_IN, S.ACTIVE)


def test_both_sides_see_the_release_schedule(client, p):
    lease = long_active(p)
    instalments = list(lease.instalments.all())
    assert [item.status for item in instalments] == [
        InstalmentStatus.RELEASED,
        InstalmentStatus.SCHEDULED,
        InstalmentStatus.SCHEDULED,
    ]
    for user in (p.owner, p.exporter):
        login(client, user)
        page = body(client.get(url("lease_detail", lease.pk)))
        assert "Release schedule" in page
        assert "Released to the owner" in page
        assert "Held in escrow" in page
        for item in instalments:
            assert f"{item.start:%-d %b %Y} – {item.end:%-d %b %Y}" in page
            assert format_money(item.gross, "EUR") in page
        assert format_money(lease.total, "EUR") in page
        assert f"Next release: {instalments[1].start:%-d %b %Y}" in page


# --- Lists and query counts ---------------------------------------------------------------------


def _offers(p, receiver_org, receiver, n):
    """n leases of ``p`` with a transfer each: offered to ``receiver_org``, every other one taken."""
    for index in range(n):
        lease = long_active(p, quantity=1)
        transfer = transfers.transfer_offer(
            lease=lease,
            by=p.exporter,
            quantity=1,
            start=transfers.transfer_earliest(lease),
            price=Decimal("10.00"),
            to_organisation=receiver_org,
        )
        if index % 2:
            transfers.transfer_accept(transfer=transfer, by=receiver, organisation=receiver_org)


def test_dashboards_list_transfers_in_the_same_number_of_queries_for_one_or_six(client, p):
    receiver_org, receiver = exporter()
    _offers(p, receiver_org, receiver, 2)
    pages = [
        (p.owner, url("owner_dashboard")),
        (p.exporter, url("exporter_dashboard")),
        (receiver, url("exporter_dashboard")),
    ]
    before = []
    for user, path in pages:
        login(client, user)
        before.append(_queries(client, path))

    _offers(p, receiver_org, receiver, 4)

    for (user, path), count in zip(pages, before, strict=True):
        login(client, user)
        assert _queries(client, path) == count, path
    login(client, p.owner)
    assert body(client.get(url("owner_dashboard"))).count("Approve or refuse") == 3
    login(client, receiver)
    assert body(client.get(url("exporter_dashboard"))).count("Review and accept") == 3


def test_the_lease_page_runs_the_same_queries_whatever_its_history(client, p):
    lease = long_active(p)
    paths = [(p.owner, url("lease_detail", lease.pk)), (p.exporter, url("lease_detail", lease.pk))]
    before = []
    for user, path in paths:
        login(client, user)
        before.append(_queries(client, path))
    for _ in range(3):
        transfer = transfers.transfer_offer(
            lease=lease, by=p.exporter, quantity=1, start=transfers.transfer_earliest(lease), price=Decimal("5.00")
        )
        transfers.transfer_withdraw(transfer=transfer, by=p.exporter)
    services.lease_extend(lease=lease, by=p.exporter, end=days_from_now(120))

    for (user, path), count in zip(paths, before, strict=True):
        login(client, user)
        assert _queries(client, path) == count


def test_the_transfer_page_runs_a_fixed_number_of_queries(client, p, django_assert_max_num_queries):
    lease = long_active(p)
    receiver_org, receiver = exporter()
    transfer = transfers.transfer_offer(
        lease=lease, by=p.exporter, quantity=2, start=transfers.transfer_earliest(lease), price=Decimal("50.00")
    )
    transfers.transfer_accept(transfer=transfer, by=receiver, organisation=receiver_org)
    login(client, p.owner)

    with django_assert_max_num_queries(20):
        assert client.get(url("transfer_detail", transfer.pk)).status_code == 200


# --- The listing's setting -----------------------------------------------------------------------


def test_owners_choose_whether_transfers_need_their_consent():
    form = ListingForm()

    assert "transfers_need_consent" in form.fields
    assert "consent" in str(form.fields["transfers_need_consent"].label).lower()

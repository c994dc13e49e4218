"""Acceptance 2: an unverified or blacklisted organisation is refused at every entry point —
requesting, accepting and paying, through the services and the pages — with a message that says
why and links to what to do; blacklisted owners' listings leave search; blacklist expiry lifts it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone

from accounts.choices import VerificationStatus
from accounts.exceptions import OrganisationNotVerified
from accounts.models import Organisation
from leasing import services as leasing_services
from leasing.choices import LeaseState as S
from leasing.models import Lease
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now
from trust import services
from trust.exceptions import OrganisationBlacklisted
from trust.models import AuditLogEntry, BlacklistEntry

from .factories import staff_user

pytestmark = pytest.mark.django_db

BLOCKS = ["unverified", "blacklisted"]


def block(organisation: Organisation, how: str) -> None:
    if how == "unverified":
        Organisation.objects.filter(pk=organisation.pk).update(verification_status=VerificationStatus.UNVERIFIED)
        organisation.refresh_from_db()
    else:
        services.blacklist_add(organisation=organisation, by=staff_user(), reason="Chargebacks on paid leases")


def expected_error(how: str) -> type:
    return OrganisationNotVerified if how == "unverified" else OrganisationBlacklisted


def expected_link(how: str, organisation: Organisation) -> str:
    if how == "unverified":
        return reverse("trust:verification")
    return reverse("trust:organisation_profile", args=[organisation.pk])


def request_data():
    return {
        "start": days_from_now(3).isoformat(),
        "end": days_from_now(12).isoformat(),
        "quantity": "2",
        "goods_description": "Garden chairs",
    }


# --- Services ------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", BLOCKS)
def test_requesting_is_refused(p, how):
    block(p.exporter_org, how)
    with pytest.raises(expected_error(how)) as error:
        p.request()
    assert error.value.status == 403
    assert error.value.code == ("organisation_not_verified" if how == "unverified" else "blacklisted")
    assert "request a lease" in error.value.detail
    assert not Lease.objects.exists()


@pytest.mark.parametrize("how", BLOCKS)
def test_accepting_is_refused(p, how):
    lease = p.request()
    block(p.owner_org, how)
    with pytest.raises(expected_error(how), match="accept a lease"):
        p.accept(lease)
    assert Lease.objects.get(pk=lease.pk).state == S.REQUESTED


@pytest.mark.parametrize("how", BLOCKS)
def test_paying_is_refused(p, how):
    lease = p.lease_in(S.ACCEPTED)
    block(p.exporter_org, how)
    with pytest.raises(expected_error(how), match="pay into escrow"):
        p.pay(lease)
    assert Lease.objects.get(pk=lease.pk).state == S.ACCEPTED
    assert not lease.escrow.payments.exists()


def test_a_blacklisted_owner_takes_no_instant_bookings():
    p = Parties(capacity=100, instant_book=True)
    block(p.owner_org, "blacklisted")
    with pytest.raises(OrganisationBlacklisted, match="take bookings"):
        p.request()
    assert not Lease.objects.exists()


# --- Pages ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", BLOCKS)
def test_the_request_page_says_why_and_links_to_what_to_do(client, p, how):
    block(p.exporter_org, how)
    client.force_login(p.exporter)

    response = client.post(reverse("leasing:lease_request", args=[p.listing.pk]), request_data())

    assert response.status_code == 200
    page = response.content.decode()
    assert "request a lease" in page
    assert f'<a href="{expected_link(how, p.exporter_org)}">' in page
    assert not Lease.objects.exists()


@pytest.mark.parametrize("how", BLOCKS)
def test_the_accept_button_says_why_and_links_to_what_to_do(client, p, how):
    lease = p.request()
    block(p.owner_org, how)
    client.force_login(p.owner)

    response = client.post(reverse("leasing:lease_accept", args=[lease.pk]), follow=True)

    page = response.content.decode()
    assert "accept a lease" in page
    assert f'<a href="{expected_link(how, p.owner_org)}">' in page
    assert Lease.objects.get(pk=lease.pk).state == S.REQUESTED


@pytest.mark.parametrize("how", BLOCKS)
def test_the_checkout_says_why_and_links_to_what_to_do(client, p, how):
    lease = p.lease_in(S.ACCEPTED)
    block(p.exporter_org, how)
    client.force_login(p.exporter)

    response = client.post(reverse("leasing:lease_pay", args=[lease.pk]), {"payment_method": "pm_card_visa"})

    page = response.content.decode()
    assert "pay into escrow" in page
    assert f'<a href="{expected_link(how, p.exporter_org)}">' in page
    assert Lease.objects.get(pk=lease.pk).state == S.ACCEPTED


def test_the_link_text_is_escaped_but_the_link_is_real(client, p):
    Organisation.objects.filter(pk=p.exporter_org.pk).update(
        name="<b>Evil</b> Ltd", verification_status=VerificationStatus.UNVERIFIED
    )
    client.force_login(p.exporter)

    page = client.post(reverse("leasing:lease_request", args=[p.listing.pk]), request_data()).content.decode()

    assert "&lt;b&gt;Evil&lt;/b&gt; Ltd must be verified" in page
    assert f'<a href="{reverse("trust:verification")}">Verify your organisation</a>' in page


# --- Search and profile ----------------------------------------------------------------------------------


def test_blacklisted_owners_leave_search_and_their_profile_says_so(client, p):
    search = reverse("warehouses:search")
    assert p.listing.title in client.get(search).content.decode()

    block(p.owner_org, "blacklisted")

    assert p.listing.title not in client.get(search).content.decode()
    profile = client.get(reverse("trust:organisation_profile", args=[p.owner_org.pk])).content.decode()
    assert "Blacklisted by Wareshare" in profile


# --- Expiry and removal -------------------------------------------------------------------------------------


def test_expiry_lifts_the_block_and_the_sweep_logs_it(p, django_capture_on_commit_callbacks):
    entry = services.blacklist_add(
        organisation=p.exporter_org,
        by=staff_user(),
        reason="Late payments",
        ends_at=timezone.now() + timedelta(days=30),
    )
    with pytest.raises(OrganisationBlacklisted, match=f"until {formats.date_format(entry.ends_at, 'DATE_FORMAT')}"):
        p.request()

    BlacklistEntry.objects.filter(pk=entry.pk).update(
        starts_at=timezone.now() - timedelta(days=31), ends_at=timezone.now() - timedelta(seconds=1)
    )
    lease = p.request()  # lifted at its end, before the sweep has run
    assert lease.state == S.REQUESTED

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.blacklist_expire_due() == 1
    assert services.blacklist_expire_due() == 0
    entry.refresh_from_db()
    assert (entry.lifted_at, entry.lifted_by, entry.lift_reason) == (entry.ends_at, None, "Expired")
    log = AuditLogEntry.objects.get(action="blacklist.expire")
    assert (log.actor, log.before["lifted_at"], log.after["lift_reason"]) == (None, None, "Expired")
    assert [message.to for message in mail.outbox] == [[p.exporter.email]]
    assert "no longer blacklisted" in mail.outbox[0].subject


def test_removal_is_logged_and_lifts_the_block(p):
    staff = staff_user()
    entry = services.blacklist_add(organisation=p.exporter_org, by=staff, reason="Fraud investigation")
    services.blacklist_remove(entry=entry, by=staff, reason="Investigation closed, no fault found")

    assert p.request().state == S.REQUESTED
    log = AuditLogEntry.objects.get(action="blacklist.remove")
    assert (log.actor, log.after["lift_reason"]) == (staff, "Investigation closed, no fault found")
    assert list(AuditLogEntry.objects.values_list("action", flat=True)) == ["blacklist.remove", "blacklist.add"]


def test_the_blacklist_is_for_staff_and_once_at_a_time(p):
    from common.exceptions import PermissionDenied
    from trust.exceptions import BlacklistInvalid

    with pytest.raises(PermissionDenied):
        services.blacklist_add(organisation=p.exporter_org, by=p.owner, reason="competitor")
    staff = staff_user()
    services.blacklist_add(organisation=p.exporter_org, by=staff, reason="x")
    with pytest.raises(BlacklistInvalid, match="already blacklisted"):
        services.blacklist_add(organisation=p.exporter_org, by=staff, reason="again")
    with pytest.raises(BlacklistInvalid, match="future"):
        services.blacklist_add(organisation=p.owner_org, by=staff, reason="x", ends_at=timezone.now())


def test_leases_already_paid_continue_while_blacklisted(p):
    lease = p.lease_in(S.FUNDED)
    block(p.exporter_org, "blacklisted")
    p.check_in(lease)
    p.confirm(lease)
    assert Lease.objects.get(pk=lease.pk).state == S.ACTIVE
    assert leasing_services.lease_dispute_open(Lease.objects.get(pk=lease.pk))

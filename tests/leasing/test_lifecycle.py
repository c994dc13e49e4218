"""The spine: request → accept → pay → ship → check in → confirm → release, and every refusal."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.choices import VerificationStatus
from accounts.exceptions import OrganisationNotVerified
from escrow import ledger
from escrow.choices import PaymentStatus, PayoutStatus
from escrow.exceptions import GatewayUnavailable, PaymentDeclined
from escrow.models import Payment, Payout, Posting
from leasing import services
from leasing.choices import LeaseState as S
from leasing.exceptions import InvalidTransition, NotAllowed
from leasing.models import Lease, LeaseEvent
from leasing.services import TRANSITIONS, lease_transition
from tests.escrow.factories import PayoutAccountFactory
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now
from warehouses.exceptions import CapacityUnavailable, ListingNotBookable
from warehouses.models import CalendarDay

pytestmark = pytest.mark.django_db


def reserved_on(listing, day):
    return CalendarDay.objects.get(listing=listing, day=day).reserved


def test_the_whole_spine_releases_escrow_to_the_owner(django_capture_on_commit_callbacks):
    p = Parties(price_per_unit_day=Decimal("2.00"), handling_in_fee=Decimal("5.00"), handling_out_fee=Decimal("5.00"))

    with django_capture_on_commit_callbacks(execute=True):
        lease = p.request(quantity=4)  # 4 units × 10 days
    assert lease.state == S.REQUESTED
    assert reserved_on(p.listing, days_from_now(3)) == 4
    assert lease.total == Decimal("126.00")  # 80 storage + 20 + 20 handling + 6 fee (5%)
    with django_capture_on_commit_callbacks(execute=True):
        p.accept(lease)
        payment = p.pay(lease)
    assert payment.status == PaymentStatus.SUCCEEDED
    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    with django_capture_on_commit_callbacks(execute=True):
        checkin = p.check_in(lease, short=1)
    assert checkin.declared_total == 50
    assert checkin.received_total == 49
    assert checkin.within_tolerance  # 2% of 50 = 1
    lease.refresh_from_db()
    assert lease.state == S.CHECKED_IN
    with django_capture_on_commit_callbacks(execute=True):
        p.confirm(lease)
    lease.refresh_from_db()

    assert lease.state == S.ACTIVE
    payout = Payout.objects.get(escrow__lease=lease)
    assert payout.status == PayoutStatus.PAID
    assert payout.amount == lease.owner_amount == lease.total - lease.platform_fee
    escrow = lease.escrow
    assert ledger.escrow_held(escrow) == 0
    assert ledger.account_balance(ledger.payable_owner(p.owner_org.pk), "EUR") == 0  # transferred
    assert ledger.account_balance(ledger.PLATFORM_FEE, "EUR") == -lease.platform_fee
    assert ledger.account_balance(ledger.GATEWAY, "EUR") == lease.platform_fee
    assert ledger.ledger_totals() == {"EUR": 0}
    states = list(LeaseEvent.objects.filter(lease=lease).exclude(to_state="").values_list("to_state", flat=True))
    assert [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]] == [
        S.REQUESTED,
        S.ACCEPTED,
        S.FUNDED,
        S.CHECKED_IN,
        S.ACTIVE,
    ]
    subjects = [m.subject for m in mail.outbox]
    assert any("New lease request" in s for s in subjects)
    assert any("accepted" in s for s in subjects)
    assert any("checked in" in s for s in subjects)
    assert any("Escrow released" in s for s in subjects)


def test_price_is_frozen_at_request(settings):
    settings.WARESHARE = {**settings.WARESHARE, "PLATFORM_FEE_PERCENT": Decimal("5")}
    p = Parties(price_per_unit_day=Decimal("2.00"), handling_in_fee=Decimal("5.00"), handling_out_fee=Decimal("5.00"))
    lease = p.request(quantity=4)
    p.listing.price_per_unit_day = Decimal("9.99")
    p.listing.save()
    lease.refresh_from_db()

    assert lease.storage_amount == Decimal("80.00")  # 4 × 10 days × 2.00
    assert lease.handling_in_amount == Decimal("20.00")
    assert lease.handling_out_amount == Decimal("20.00")
    assert lease.platform_fee == Decimal("6.00")
    assert lease.total == Decimal("126.00")
    assert (
        lease.total == lease.storage_amount + lease.handling_in_amount + lease.handling_out_amount + lease.platform_fee
    )


def test_instant_book_skips_the_request():
    p = Parties(instant_book=True)
    lease = p.request()
    assert lease.state == S.ACCEPTED
    assert lease.payment_due_at is not None


class TestRefusals:
    def test_an_unverified_exporter_cannot_request(self):
        p = Parties()
        p.exporter_org.verification_status = VerificationStatus.PENDING
        p.exporter_org.save()
        with pytest.raises(OrganisationNotVerified):
            p.request()
        assert not Lease.objects.exists()
        assert reserved_on(p.listing, days_from_now(3)) == 0

    def test_an_unverified_owner_cannot_accept(self):
        p = Parties()
        lease = p.request()
        p.owner_org.verification_status = VerificationStatus.UNVERIFIED
        p.owner_org.save()
        with pytest.raises(OrganisationNotVerified):
            p.accept(lease)
        lease.refresh_from_db()
        assert lease.state == S.REQUESTED

    def test_no_capacity_creates_nothing(self):
        p = Parties(capacity=5)
        p.request(quantity=3)
        with pytest.raises(CapacityUnavailable):
            p.request(quantity=3)
        assert Lease.objects.count() == 1
        assert reserved_on(p.listing, days_from_now(3)) == 3

    def test_a_paused_listing_takes_no_requests(self):
        p = Parties(status="paused")
        with pytest.raises(ListingNotBookable):
            p.request()

    def test_the_exporter_cannot_accept_its_own_request(self):
        p = Parties()
        lease = p.request()
        with pytest.raises(NotAllowed):
            services.lease_accept(lease=lease, by=p.exporter)

    def test_decline_needs_a_reason_and_frees_capacity(self):
        p = Parties()
        lease = p.request()
        with pytest.raises(InvalidTransition):
            services.lease_decline(lease=lease, by=p.owner, reason="  ")
        services.lease_decline(lease=lease, by=p.owner, reason="Fully booked by a regular")
        lease.refresh_from_db()
        assert lease.state == S.DECLINED
        assert lease.decline_reason == "Fully booked by a regular"
        assert reserved_on(p.listing, days_from_now(3)) == 0


ALL_STATES = list(S)
DISALLOWED = [(a, b) for a in ALL_STATES for b in ALL_STATES if b not in TRANSITIONS[a]]


@pytest.mark.parametrize(("from_state", "to_state"), DISALLOWED)
def test_every_disallowed_transition_is_refused_and_changes_nothing(from_state, to_state):
    p = Parties()
    lease = p.request()
    Lease.objects.filter(pk=lease.pk).update(state=from_state)
    lease.refresh_from_db()
    events = LeaseEvent.objects.count()

    with pytest.raises(InvalidTransition) as error:
        lease_transition(lease=lease, to=to_state, by=None)

    assert "cannot become" in error.value.detail
    assert Lease.objects.get(pk=lease.pk).state == from_state
    assert LeaseEvent.objects.count() == events


def test_the_table_allows_the_lifecycle_of_the_design():
    assert TRANSITIONS[S.REQUESTED] == {S.ACCEPTED, S.DECLINED, S.EXPIRED, S.CANCELLED}
    assert TRANSITIONS[S.CHECKED_IN] == {S.ACTIVE, S.DISPUTED}
    assert all(not TRANSITIONS[s] for s in (S.DECLINED, S.EXPIRED, S.CANCELLED, S.COMPLETED, S.TRANSFERRED))


class TestPaymentFailures:
    @pytest.mark.parametrize(
        ("method", "error"),
        [
            ("pm_card_chargeDeclined", PaymentDeclined),
            ("sim_gateway_error", GatewayUnavailable),
            ("sim_timeout", GatewayUnavailable),
        ],
    )
    def test_a_failed_payment_leaves_lease_and_ledger_unchanged(self, method, error):
        p = Parties()
        lease = p.lease_in(S.ACCEPTED)

        with pytest.raises(error) as raised:
            p.pay(lease, payment_method=method)

        assert raised.value.detail  # something to show the exporter
        lease.refresh_from_db()
        assert lease.state == S.ACCEPTED
        assert not Posting.objects.exists()

    def test_after_a_decline_another_card_works(self):
        p = Parties()
        lease = p.lease_in(S.ACCEPTED)
        with pytest.raises(PaymentDeclined):
            p.pay(lease, payment_method="pm_card_chargeDeclined")

        payment = p.pay(lease, payment_method="pm_card_visa")

        assert payment.attempt == 2
        lease.refresh_from_db()
        assert lease.state == S.FUNDED

    def test_a_retry_after_an_unknown_outcome_reuses_the_key(self):
        p = Parties()
        lease = p.lease_in(S.ACCEPTED)
        with pytest.raises(GatewayUnavailable):
            p.pay(lease, payment_method="sim_timeout")

        payment = p.pay(lease, payment_method="pm_card_visa")

        assert payment.attempt == 1
        assert Payment.objects.count() == 1
        assert payment.idempotency_key == f"escrow:{lease.escrow.pk}:charge:1"

    def test_paying_twice_is_refused(self):
        p = Parties()
        lease = p.lease_in(S.FUNDED)
        with pytest.raises(InvalidTransition):
            p.pay(lease)
        assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == 1


class TestSweeps:
    def test_hold_expiry_frees_capacity(self):
        p = Parties()
        lease = p.request()
        assert services.leases_expire_holds() == 0
        Lease.objects.filter(pk=lease.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))

        assert services.leases_expire_holds() == 1
        assert services.leases_expire_holds() == 0
        lease.refresh_from_db()
        assert lease.state == S.EXPIRED
        assert reserved_on(p.listing, days_from_now(3)) == 0

    def test_unpaid_accepted_leases_expire(self):
        p = Parties()
        lease = p.lease_in(S.ACCEPTED)
        Lease.objects.filter(pk=lease.pk).update(payment_due_at=timezone.now() - timedelta(minutes=1))

        assert services.leases_expire_unpaid() == 1
        lease.refresh_from_db()
        assert lease.state == S.EXPIRED
        assert reserved_on(p.listing, days_from_now(3)) == 0

    def test_silence_in_the_window_confirms_and_releases(self, django_capture_on_commit_callbacks):
        p = Parties()
        lease = p.lease_in(S.CHECKED_IN)
        assert services.leases_auto_confirm() == 0
        Lease.objects.filter(pk=lease.pk).update(confirm_by=timezone.now() - timedelta(minutes=1))

        with django_capture_on_commit_callbacks(execute=True):
            assert services.leases_auto_confirm() == 1
        assert services.leases_auto_confirm() == 0
        lease.refresh_from_db()
        assert lease.state == S.ACTIVE
        assert Payout.objects.get(escrow__lease=lease).status == PayoutStatus.PAID

    def test_a_dispute_parks_the_money(self):
        p = Parties()
        lease = p.lease_in(S.DISPUTED)
        Lease.objects.filter(pk=lease.pk).update(confirm_by=timezone.now() - timedelta(minutes=1))

        assert services.leases_auto_confirm() == 0
        assert ledger.escrow_held(lease.escrow) == lease.total
        assert not Payout.objects.exists()

    def test_completion_frees_capacity(self):
        p = Parties()
        lease = p.lease_in(S.COMPLETED)
        assert lease.state == S.COMPLETED
        assert reserved_on(p.listing, days_from_now(3)) == 0

    def test_a_payout_without_an_account_waits_then_pays(self, django_capture_on_commit_callbacks):
        from escrow.models import PayoutAccount
        from escrow.processor import payouts_retry

        p = Parties()
        PayoutAccount.objects.all().delete()
        lease = p.lease_in(S.CHECKED_IN)
        with django_capture_on_commit_callbacks(execute=True):
            p.confirm(lease)
        payout = Payout.objects.get()
        assert payout.status == PayoutStatus.WAITING
        assert ledger.account_balance(ledger.payable_owner(p.owner_org.pk), "EUR") == -payout.amount

        PayoutAccountFactory(organisation=p.owner_org)
        assert payouts_retry() == 1
        assert payouts_retry() == 0
        assert ledger.account_balance(ledger.payable_owner(p.owner_org.pk), "EUR") == 0

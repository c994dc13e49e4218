"""Issue #18: monthly billing for leases longer than 30 days, on the simulated gateway and on the real
Stripe SDK against the in-process fake, walked day by day with the sweeps (docs/money.md)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from escrow import ledger, processor
from escrow.choices import PaymentStatus
from escrow.exceptions import AuthenticationRequired
from escrow.models import BillingProfile, Payment, Payout, Refund
from leasing import services
from leasing.choices import Billing, InstalmentStatus
from leasing.choices import LeaseState as S
from leasing.exceptions import InvalidTransition, NotAllowed
from leasing.models import Lease
from tests.accounts.factories import ExporterOrganisationFactory, member_of
from tests.helpers import login, url
from tests.warehouses.factories import days_from_now
from warehouses.dates import warehouse_midnight, warehouse_today
from warehouses.models import CalendarDay

from .factories import Parties

pytestmark = pytest.mark.django_db


class Clock:
    """``timezone.now()`` under the test's control (every caller reads it through the module)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def to(self, moment: datetime) -> None:
        assert moment >= self.now, "time only moves forward"
        self.now = moment


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def sweep() -> None:
    """The billing sweeps and the ones they meet, in settings.WARESHARE_SWEEPS order."""
    services.leases_fund_paid()
    services.leases_auto_confirm()
    services.leases_charge_due()
    services.leases_shorten_unpaid()
    services.leases_release_due()
    services.leases_complete()
    processor.payouts_retry()


def monthly_lease(p: Parties, *, days: int = 100, start_in: int = 10, quantity: int = 2) -> Lease:
    lease = services.lease_request(
        listing=p.listing,
        exporter=p.exporter_org,
        by=p.exporter,
        start=days_from_now(start_in),
        end=days_from_now(start_in + days - 1),
        quantity=quantity,
        goods_description="Garden furniture, flat-packed",
        billing=Billing.MONTHLY,
    )
    return p.accept(lease)


def active(p: Parties, lease: Lease, card: str = "pm_card_visa") -> Lease:
    p.pay(lease, payment_method=card)
    p.walker.check_in(lease)
    p.confirm(lease)
    lease.refresh_from_db()
    assert lease.state == S.ACTIVE
    return lease


def walk_days(clock: Clock, lease: Lease, days: int, *, hour: int = 1, check=None) -> None:
    """Step the clock to ``hour`` o'clock at the warehouse, day after day, running the sweeps and
    checking the escrow invariant after each."""
    warehouse = lease.listing.warehouse
    today = warehouse_today(warehouse, now=clock.now)
    for n in range(1, days + 1):
        clock.to(warehouse_midnight(warehouse, today + timedelta(days=n)) + timedelta(hours=hour))
        sweep()
        lease.refresh_from_db()
        held = ledger.escrow_held(lease.escrow)
        scheduled = sum((i.gross for i in lease.instalments.filter(status=InstalmentStatus.SCHEDULED)), Decimal(0))
        assert held == scheduled, f"day {n}: escrow holds {held}, the schedule {scheduled}"
        if check:
            check()


def succeeded(lease: Lease) -> list[Payment]:
    return list(Payment.objects.filter(escrow__lease=lease, status=PaymentStatus.SUCCEEDED).order_by("instalment"))


def charged_on(payment: Payment, lease: Lease) -> date:
    return warehouse_today(lease.listing.warehouse, now=payment.created_at)


# --- Requesting ------------------------------------------------------------------------------


def test_monthly_billing_needs_a_lease_longer_than_30_days_on_a_listing_that_allows_it():
    p = Parties()
    with pytest.raises(InvalidTransition) as short:
        monthly_lease(p, days=30)
    assert short.value.code == "monthly_billing_unavailable"
    p.listing.monthly_billing = False
    p.listing.save()
    with pytest.raises(InvalidTransition):
        monthly_lease(p, days=100)
    assert not Lease.objects.exists()


def test_the_first_payment_pays_the_first_month_with_handling_in_and_saves_the_card():
    p = Parties(price_per_unit_day=Decimal("1.37"), handling_in_fee=Decimal("4.10"), handling_out_fee=Decimal("2.20"))
    lease = monthly_lease(p)
    payment = p.pay(lease)
    lease.refresh_from_db()
    first, *later = lease.instalments.order_by("sequence")
    assert lease.state == S.FUNDED
    assert payment.amount == first.gross < lease.total
    assert first.amount == schedule_share(lease, first) + lease.handling_in_amount
    assert later[-1].amount == schedule_share(lease, later[-1]) + lease.handling_out_amount
    assert [i.status for i in later] == [InstalmentStatus.DUE] * 3
    assert sum(i.gross for i in (first, *later)) == lease.total
    assert ledger.escrow_held(lease.escrow) == first.gross
    profile = BillingProfile.objects.get(organisation=p.exporter_org)
    assert profile.payment_method == "pm_card_visa"
    assert profile.customer_id.startswith("sim_cus_")


def schedule_share(lease: Lease, instalment) -> Decimal:
    """The storage and fee share of an instalment (what is left without the handling fees)."""
    from leasing.schedule import periods, shares

    spans = periods(lease.start, lease.end)
    days = [(end - start).days + 1 for start, end in spans]
    return shares(lease.storage_amount, days, lease.currency)[instalment.sequence - 1]


# --- A 100-day lease, month by month --------------------------------------------------------


def test_a_100_day_lease_is_charged_once_per_month_each_before_it_starts(clock, django_capture_on_commit_callbacks):
    p = Parties(price_per_unit_day=Decimal("2.00"), handling_in_fee=Decimal("3.00"), handling_out_fee=Decimal("1.50"))
    lease = active(p, monthly_lease(p, start_in=1))
    with django_capture_on_commit_callbacks(execute=True):
        walk_days(clock, lease, 105)

    lease.refresh_from_db()
    instalments = list(lease.instalments.order_by("sequence"))
    payments = succeeded(lease)
    assert len(instalments) == 4
    assert lease.state == S.COMPLETED
    assert [pay.instalment for pay in payments] == [1, 2, 3, 4]
    assert [pay.amount for pay in payments] == [i.gross for i in instalments]
    for pay, instalment in zip(payments[1:], instalments[1:], strict=True):
        day = charged_on(pay, lease)
        assert instalment.start - timedelta(days=services.CHARGE_DAYS_BEFORE) == day, (pay, day)
        assert pay.off_session
        assert pay.idempotency_key == f"escrow:{lease.escrow.pk}:instalment:{pay.instalment}:charge:1"
    assert Payment.objects.filter(escrow__lease=lease).count() == 4  # no failed or extra attempt
    assert sum(pay.amount for pay in payments) == lease.total
    assert {i.status for i in instalments} == {InstalmentStatus.RELEASED}
    assert sum(Payout.objects.filter(escrow=lease.escrow).values_list("amount", flat=True)) == lease.owner_amount
    assert ledger.escrow_held(lease.escrow) == 0
    assert ledger.ledger_totals() == {"EUR": 0}


def test_a_saved_card_that_fails_is_retried_then_the_lease_ends_on_the_last_paid_day(
    clock, django_capture_on_commit_callbacks
):
    p = Parties(price_per_unit_day=Decimal("2.00"), handling_out_fee=Decimal("1.50"))
    lease = active(p, monthly_lease(p, start_in=1))
    second = lease.instalments.get(sequence=2)
    BillingProfile.objects.filter(organisation=p.exporter_org).update(payment_method="pm_card_chargeDeclined")
    mail.outbox.clear()
    first_day = second.start - timedelta(days=services.CHARGE_DAYS_BEFORE)
    tries: dict[date, int] = {}

    def count() -> None:
        second.refresh_from_db()
        tries[warehouse_today(lease.listing.warehouse, now=clock.now)] = second.charge_tries

    with django_capture_on_commit_callbacks(execute=True):
        walk_days(clock, lease, (second.start - warehouse_today(lease.listing.warehouse)).days, check=count)

    # Tried 7, 6 and 5 days before the month, then not again: three failed attempts, three keys.
    assert tries[first_day - timedelta(days=1)] == 0
    assert [tries[first_day + timedelta(days=n)] for n in range(3)] == [1, 2, 3]
    assert tries[second.start - timedelta(days=1)] == 3
    attempts = Payment.objects.filter(escrow__lease=lease, instalment=2).order_by("attempt")
    assert [(a.attempt, a.status) for a in attempts] == [(n, PaymentStatus.FAILED) for n in (1, 2, 3)]
    # The exporter was emailed each time with the page to pay by hand; the owner was told.
    failed = [m for m in mail.outbox if "A monthly payment failed" in m.subject]
    exporter_mail = [m for m in failed if p.exporter.email in m.to]
    owner_mail = [m for m in failed if p.owner.email in m.to]
    assert len(exporter_mail) == 3
    assert len(owner_mail) == 3
    assert f"/leases/{lease.pk}/pay/" in exporter_mail[0].body
    assert str(second.start) in exporter_mail[0].body

    lease.refresh_from_db()
    last_day = second.start - timedelta(days=1)
    # Shortened at the start of month 2, so it ended yesterday: the same sweep run completes it.
    assert lease.state == S.COMPLETED
    assert lease.end == last_day
    first = lease.instalments.get(sequence=1)
    assert lease.total == first.gross
    assert lease.handling_out_amount == 0
    assert [i.status for i in lease.instalments.order_by("sequence")] == [
        InstalmentStatus.RELEASED,
        InstalmentStatus.CANCELLED,
        InstalmentStatus.CANCELLED,
        InstalmentStatus.CANCELLED,
    ]
    assert CalendarDay.objects.get(listing=p.listing, day=second.start).reserved == 0
    shortened = [m for m in mail.outbox if "shortened" in m.subject]
    assert {address for m in shortened for address in m.to} == {p.exporter.email, p.owner.email}
    assert rules_say_nothing_to_pay(lease)
    assert sum(Payout.objects.filter(escrow=lease.escrow).values_list("amount", flat=True)) == first.amount
    assert ledger.escrow_held(lease.escrow) == 0
    assert ledger.ledger_totals() == {"EUR": 0}


def rules_say_nothing_to_pay(lease: Lease) -> bool:
    from leasing import rules

    return not rules.pay_instalment(lease, rules.EXPORTER)


def test_the_exporter_pays_a_failed_month_by_hand_and_the_next_month_uses_the_new_card(
    clock, django_capture_on_commit_callbacks
):
    p = Parties(price_per_unit_day=Decimal("2.00"))
    lease = active(p, monthly_lease(p, start_in=1))
    second, third = lease.instalments.filter(sequence__in=[2, 3]).order_by("sequence")
    BillingProfile.objects.filter(organisation=p.exporter_org).update(payment_method="pm_card_authenticationRequired")
    days = (second.start - warehouse_today(lease.listing.warehouse)).days - services.CHARGE_DAYS_BEFORE
    with django_capture_on_commit_callbacks(execute=True):
        walk_days(clock, lease, days)  # the first automatic try: the bank wants the cardholder
    [failed] = Payment.objects.filter(escrow__lease=lease, instalment=2)
    assert failed.status == PaymentStatus.FAILED
    assert failed.off_session
    assert services.instalment_payable(lease) == second

    paid = services.instalment_pay(lease=lease, by=p.exporter, payment_method="pm_card_mastercard")
    second.refresh_from_db()
    assert paid.status == PaymentStatus.SUCCEEDED
    assert not paid.off_session
    assert paid.attempt == 2
    assert second.status == InstalmentStatus.SCHEDULED
    assert BillingProfile.objects.get(organisation=p.exporter_org).payment_method == "pm_card_mastercard"
    with pytest.raises(NotAllowed):
        services.instalment_pay(lease=lease, by=p.owner, payment_method="pm_card_visa")

    with django_capture_on_commit_callbacks(execute=True):
        walk_days(clock, lease, (third.start - warehouse_today(lease.listing.warehouse, now=clock.now)).days)
    third_payment = Payment.objects.get(escrow__lease=lease, instalment=3)
    assert third_payment.payment_method == "pm_card_mastercard"
    assert third_payment.status == PaymentStatus.SUCCEEDED
    assert Payment.objects.filter(escrow__lease=lease, instalment=2, status=PaymentStatus.SUCCEEDED).count() == 1


def test_a_month_paid_after_the_lease_was_shortened_is_refunded_in_full(clock, django_capture_on_commit_callbacks):
    p = Parties(price_per_unit_day=Decimal("2.00"))
    lease = active(p, monthly_lease(p, start_in=1))
    second = lease.instalments.get(sequence=2)
    BillingProfile.objects.filter(organisation=p.exporter_org).update(payment_method="pm_card_chargeDeclined")
    with django_capture_on_commit_callbacks(execute=True):
        walk_days(clock, lease, (second.start - warehouse_today(lease.listing.warehouse)).days)
    second.refresh_from_db()
    assert second.status == InstalmentStatus.CANCELLED
    # A payment that was under way (3-D Secure in the browser) succeeds after all.
    from escrow import services as escrow_services

    late = escrow_services.payment_start(escrow=lease.escrow, amount=second.gross, instalment=2)
    late = escrow_services.payment_charge(payment=late, payment_method="pm_card_visa", description="late")
    with django_capture_on_commit_callbacks(execute=True):
        services.lease_payment_succeeded(payment=late, by=None)
        services.lease_payment_succeeded(payment=late, by=None)  # twice: refunded once
    [refund] = Refund.objects.filter(escrow=lease.escrow, payment=late)
    assert refund.amount == second.gross
    second.refresh_from_db()
    assert second.status == InstalmentStatus.CANCELLED
    assert ledger.escrow_held(lease.escrow) == sum(
        i.gross for i in lease.instalments.filter(status=InstalmentStatus.SCHEDULED)
    )


def test_cancelling_a_monthly_lease_refunds_each_paid_month_to_its_own_charge_and_cancels_the_rest(
    clock, django_capture_on_commit_callbacks
):
    p = Parties(price_per_unit_day=Decimal("2.00"), cancellation_policy="flexible")
    lease = monthly_lease(p, start_in=20)
    p.pay(lease)
    lease.refresh_from_db()
    second = lease.instalments.get(sequence=2)
    services.instalment_pay(lease=lease, by=p.exporter, payment_method="pm_card_visa")  # month 2 early
    with django_capture_on_commit_callbacks(execute=True):
        services.lease_cancel(lease=lease, by=p.exporter, side="exporter")
    refunds = Refund.objects.filter(escrow=lease.escrow).order_by("idempotency_key")
    assert [(r.payment.instalment, r.amount) for r in refunds] == [
        (1, lease.instalments.get(sequence=1).gross),
        (2, second.gross),
    ]
    assert not lease.instalments.filter(status=InstalmentStatus.DUE).exists()
    services.leases_charge_due()
    assert Payment.objects.filter(escrow__lease=lease).count() == 2
    assert ledger.escrow_held(lease.escrow) == 0


def test_an_instalment_of_another_lease_cannot_be_paid_and_the_owner_cannot_pay():
    p = Parties(price_per_unit_day=Decimal("2.00"))
    lease = monthly_lease(p)
    with pytest.raises(InvalidTransition):  # not funded yet: the first payment comes first
        services.instalment_pay(lease=lease, by=p.exporter, payment_method="pm_card_visa")
    p.pay(lease)
    lease.refresh_from_db()
    with pytest.raises(NotAllowed):
        services.instalment_pay(lease=lease, by=p.owner, payment_method="pm_card_visa")


def test_the_simulated_gateway_refuses_an_off_session_card_that_needs_authentication():
    from common.money import Money
    from escrow.gateways.simulated import SimulatedGateway

    gateway = SimulatedGateway()
    common = {
        "amount": Money(Decimal("10.00"), "EUR"),
        "customer": "sim_cus_x",
        "transfer_group": "lease_1",
        "description": "x",
        "metadata": {},
    }
    saved = gateway.charge_and_save(payment_method="pm_card_authenticationRequired", idempotency_key="a", **common)
    assert saved.status == "succeeded"
    for _ in range(2):  # the refusal is replayed under its key, as Stripe replays a 402
        with pytest.raises(AuthenticationRequired):
            gateway.charge_off_session(payment_method="pm_card_authenticationRequired", idempotency_key="b", **common)


def test_a_shortened_lease_keeps_its_space_to_the_last_paid_day_and_frees_the_rest(
    clock, django_capture_on_commit_callbacks
):
    p = Parties(price_per_unit_day=Decimal("2.00"))
    lease = monthly_lease(p, start_in=1)
    p.pay(lease)  # paid, never checked in: the lease stays funded through month 1
    BillingProfile.objects.filter(organisation=p.exporter_org).update(payment_method="pm_card_chargeDeclined")
    second = lease.instalments.get(sequence=2)
    with django_capture_on_commit_callbacks(execute=True):
        walk_days(clock, lease, (second.start - warehouse_today(lease.listing.warehouse)).days)
    lease.refresh_from_db()
    last_day = second.start - timedelta(days=1)
    assert lease.state == S.FUNDED
    assert lease.end == last_day
    assert CalendarDay.objects.get(listing=p.listing, day=last_day).reserved == 2
    assert CalendarDay.objects.get(listing=p.listing, day=second.start).reserved == 0
    assert CalendarDay.objects.get(listing=p.listing, day=second.start + timedelta(days=40)).reserved == 0
    assert ledger.escrow_held(lease.escrow) == lease.instalments.get(sequence=1).gross == lease.total


# --- The pages ---------------------------------------------------------------------------------


def test_the_request_page_offers_monthly_billing_and_the_checkout_pays_the_next_month(client):
    p = Parties(price_per_unit_day=Decimal("2.00"), instant_book=True)
    login(client, p.exporter)
    start = days_from_now(5)
    data = {
        "start": start.isoformat(),
        "end": (start + timedelta(days=20)).isoformat(),
        "quantity": "2",
        "goods_description": "Garden furniture",
        "billing": "monthly",
    }
    refused = client.post(url("lease_request", p.listing.pk), data)
    assert refused.status_code == 200
    assert "Monthly payment is only for leases longer than 30 days." in refused.content.decode()
    data["end"] = (start + timedelta(days=99)).isoformat()
    client.post(url("lease_request", p.listing.pk), data)
    lease = Lease.objects.get()
    assert (lease.billing, lease.state) == (Billing.MONTHLY, S.ACCEPTED)
    page = client.get(url("lease_pay", lease.pk)).content.decode()
    assert "You pay month by month" in page
    client.post(url("lease_pay", lease.pk), {"payment_method": "pm_card_visa"})
    lease.refresh_from_db()
    second = lease.instalments.get(sequence=2)
    assert lease.state == S.FUNDED
    assert "Pay the next month" in client.get(url("lease_detail", lease.pk)).content.decode()
    page = client.get(url("lease_pay", lease.pk)).content.decode()
    assert "You pay month 2" in page
    response = client.post(url("lease_pay", lease.pk), {"payment_method": "pm_card_visa"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == InstalmentStatus.SCHEDULED

    stranger = ExporterOrganisationFactory()
    login(client, member_of(stranger))
    assert client.get(url("lease_pay", lease.pk)).status_code == 404
    assert client.post(url("lease_pay", lease.pk), {"payment_method": "pm_card_visa"}).status_code == 404
    assert Payment.objects.filter(escrow__lease=lease).count() == 2


def test_a_dispute_refund_on_a_monthly_lease_goes_back_to_each_months_own_charge(django_capture_on_commit_callbacks):
    """A card refund cannot exceed its charge: a refund decided for two paid months is two refunds,
    each to the charge that paid its month, never one refund of both months against month 1."""
    from tests.trust.factories import staff_user
    from trust import services as trust_services
    from trust.choices import DisputeKind, Outcome

    p = Parties(price_per_unit_day=Decimal("2.00"))
    lease = monthly_lease(p, start_in=20)
    p.pay(lease)
    lease.refresh_from_db()
    services.instalment_pay(lease=lease, by=p.exporter, payment_method="pm_card_visa")  # month 2 early
    p.walker.check_in(lease)
    lease.refresh_from_db()
    assert lease.state == S.CHECKED_IN
    dispute = trust_services.dispute_open(
        lease=lease, by=p.exporter, reason="Half the cartons are missing", kind=DisputeKind.CHECK_IN
    )
    with django_capture_on_commit_callbacks(execute=True):
        trust_services.dispute_resolve(dispute=dispute, by=staff_user(), outcome=Outcome.REFUND, note="Refund")

    refunds = Refund.objects.filter(escrow=lease.escrow).select_related("payment").order_by("payment__instalment")
    first, second = (lease.instalments.get(sequence=n) for n in (1, 2))
    assert [(r.payment.instalment, r.amount, r.status) for r in refunds] == [
        (1, first.gross, "succeeded"),
        (2, second.gross, "succeeded"),
    ]
    assert all(r.amount <= r.payment.amount for r in refunds)
    assert ledger.escrow_held(lease.escrow) == 0
    assert set(ledger.ledger_totals().values()) == {Decimal("0.00")}

"""Payout rails (issue #18): the service agreement Stripe allows for the owner's country, the
bank-transfer rail for countries Stripe cannot pay (queued, recorded by staff, through
``clearing:bank_transfer``), its reconciliation, and who may see and record what."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from escrow import ledger
from escrow.bank_payouts import payout_account_connect_bank
from escrow.choices import PayoutRail, PayoutStatus
from escrow.exceptions import EscrowError, PayoutCountryUnsupported
from escrow.models import Payout, PayoutAccount
from escrow.payout_countries import service_agreement
from escrow.processor import payout_execute, payouts_retry
from escrow.reconcile import escrow_reconcile_all
from escrow.services import payout_account_connect_simulated, payout_account_start_stripe
from leasing.choices import LeaseState as S
from notifications.models import Notification
from tests.accounts.factories import member_of
from tests.leasing.factories import Parties
from tests.trust.factories import staff_user
from tests.warehouses.factories import days_from_now
from trust import services as trust_services
from trust.models import AuditLogEntry

from .helpers import stripe_parties

pytestmark = pytest.mark.django_db

BANK = {
    "country": "CN",
    "holder_name": "Shenzhen Storage Co.",
    "bank_account": "6222 0212 3456 7890",
    "swift_bic": "ICBKCNBJSZN",
    "bank_country": "CN",
}


@pytest.mark.parametrize(
    ("platform", "country", "agreement"),
    [
        ("NL", "DE", "full"),  # same region (Europe)
        ("NL", "GB", "full"),  # the UK and Switzerland are in Stripe's European region
        ("NL", "US", "recipient"),  # across borders, both in the cross-border regions
        ("NL", "CA", "recipient"),
        ("NL", "AU", ""),  # Stripe has accounts in Australia, but no self-serve cross-border payouts there
        ("NL", "CN", ""),  # no Stripe accounts at all
        ("US", "US", "full"),
        ("US", "DE", "recipient"),
        ("JP", "US", ""),  # a platform outside the cross-border regions pays only its own country
        ("AU", "AU", "full"),
    ],
)
def test_the_service_agreement_follows_the_table(platform, country, agreement):
    assert service_agreement(country, platform=platform) == agreement


def _account_request(fake):
    [request] = [r for r in fake.requests if r.method == "POST" and r.path == "/v1/accounts"]
    return request.params


def test_a_cross_border_owner_gets_the_recipient_agreement_without_card_payments(stripe_mode):
    fake = stripe_mode
    p = stripe_parties(fake)
    PayoutAccount.objects.filter(organisation=p.owner_org).delete()

    account = payout_account_start_stripe(organisation=p.owner_org, email=p.owner.email, country="US")

    params = _account_request(fake)
    assert params["country"] == "US"
    assert params["tos_acceptance"] == {"service_agreement": "recipient"}
    assert params["capabilities"] == {"transfers": {"requested": "true"}}  # no card_payments
    assert (account.country, account.service_agreement, account.rail) == ("US", "recipient", PayoutRail.PROCESSOR)
    assert fake.get(account.account_id)["requested_capabilities"] == ["transfers"]


def test_a_same_region_owner_gets_the_full_agreement_with_both_capabilities(stripe_mode):
    fake = stripe_mode
    p = stripe_parties(fake)
    PayoutAccount.objects.filter(organisation=p.owner_org).delete()

    account = payout_account_start_stripe(organisation=p.owner_org, email=p.owner.email, country="DE")

    params = _account_request(fake)
    assert "tos_acceptance" not in params
    assert params["capabilities"] == {"card_payments": {"requested": "true"}, "transfers": {"requested": "true"}}
    assert account.service_agreement == "full"


def test_the_platform_country_setting_decides(stripe_mode, settings):
    settings.WARESHARE_PLATFORM_COUNTRY = "US"
    fake = stripe_mode
    p = stripe_parties(fake)
    PayoutAccount.objects.filter(organisation=p.owner_org).delete()

    account = payout_account_start_stripe(organisation=p.owner_org, email=p.owner.email)  # the organisation's: NL

    assert _account_request(fake)["tos_acceptance"] == {"service_agreement": "recipient"}
    assert account.country == "NL"


def test_an_unsupported_country_is_refused_clearly_and_offered_the_bank_rail(client, stripe_mode):
    fake = stripe_mode
    p = stripe_parties(fake)
    PayoutAccount.objects.filter(organisation=p.owner_org).delete()

    with pytest.raises(PayoutCountryUnsupported) as refused:
        payout_account_start_stripe(organisation=p.owner_org, email=p.owner.email, country="CN")
    assert "Stripe cannot pay out to accounts in China" in refused.value.detail
    assert "bank transfer" in refused.value.detail
    assert not [r for r in fake.requests if r.path == "/v1/accounts"]

    client.force_login(p.owner)
    page = client.get(reverse("escrow:payout_account"), {"country": "CN"}).content.decode()
    assert "Stripe cannot pay out to accounts in China from Wareshare's platform." in page
    assert reverse("escrow:payout_account_bank") in page
    assert "Connect with Stripe" not in page

    response = client.post(reverse("escrow:payout_account_bank"), BANK)
    assert response.status_code == 302
    account = PayoutAccount.objects.get(organisation=p.owner_org)
    assert (account.rail, account.country, account.bank_account, account.swift_bic) == (
        PayoutRail.BANK_TRANSFER,
        "CN",
        "6222021234567890",
        "ICBKCNBJSZN",
    )
    assert not [r for r in fake.requests if r.path == "/v1/accounts"]


def test_the_simulated_gateway_refuses_the_same_countries():
    p = Parties()
    with pytest.raises(PayoutCountryUnsupported):
        payout_account_connect_simulated(organisation=p.owner_org, holder_name="X", iban="x", country="VN")
    account = payout_account_connect_simulated(
        organisation=p.owner_org, holder_name="X", iban="GB82WEST12345698765432", country="CH"
    )
    assert (account.country, account.service_agreement) == ("CH", "full")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"bank_account": "DE89370400440532013001"}, "bank_account"),  # IBAN with a wrong check digit
        ({"swift_bic": "ICBK"}, "swift_bic"),
        ({"swift_bic": ""}, "swift_bic"),  # an account number needs the SWIFT/BIC
        ({"swift_bic": "DEUTDEFF"}, "swift_bic"),  # a German bank for a Chinese account
        ({"bank_account": "12"}, "bank_account"),
        ({"bank_account": "DE89370400440532013000", "swift_bic": ""}, "bank_country"),  # German IBAN, bank in CN
    ],
)
def test_bank_details_are_validated(client, changes, field):
    p = Parties()
    client.force_login(p.owner)

    response = client.post(reverse("escrow:payout_account_bank"), {**BANK, **changes})

    assert response.status_code == 400
    assert field in response.context["bank_form"].errors
    assert PayoutAccount.objects.get(organisation=p.owner_org).rail == PayoutRail.PROCESSOR  # unchanged


def test_a_valid_iban_needs_no_swift():
    from escrow.forms import BankPayoutAccountForm

    form = BankPayoutAccountForm(
        {**BANK, "bank_account": "DE89 3704 0044 0532 0130 00", "swift_bic": "", "bank_country": "DE"}
    )
    assert form.is_valid(), form.errors


def test_cross_border_transfers_go_in_the_lease_currency(stripe_mode, django_capture_on_commit_callbacks):
    """A recipient account in the US of a EUR lease is sent EUR, the charge's currency (what
    ``source_transaction`` requires); Stripe converts to the owner's currency when it pays out."""
    fake = stripe_mode
    p = stripe_parties(fake, price_per_unit_day=Decimal("2.50"))
    PayoutAccount.objects.filter(organisation=p.owner_org).delete()
    account = payout_account_start_stripe(organisation=p.owner_org, email=p.owner.email, country="US")
    fake.complete_onboarding(account.account_id)
    PayoutAccount.objects.filter(pk=account.pk).update(payouts_enabled=True)
    lease = p.lease_in(S.CHECKED_IN)

    with django_capture_on_commit_callbacks(execute=True):
        p.confirm(lease)

    [transfer] = fake.transfers
    [charge] = fake.charges
    assert transfer["destination"] == account.account_id
    assert transfer["currency"] == charge["currency"] == lease.currency.lower() == "eur"
    assert fake.get(account.account_id)["capabilities"] == {"transfers": "active"}
    assert Payout.objects.get().status == PayoutStatus.PAID
    assert escrow_reconcile_all() == []


# --- The bank-transfer rail -----------------------------------------------------------------------


def bank_owner(**listing_fields) -> Parties:
    p = Parties(**listing_fields)
    payout_account_connect_bank(organisation=p.owner_org, **BANK)
    return p


def released(p: Parties, n: int = 1) -> list[Payout]:
    """``n`` leases confirmed (escrow released) and their payouts executed."""
    payouts = []
    for i in range(n):
        lease = p.lease_in(S.CHECKED_IN, start=days_from_now(3 + i), end=days_from_now(9 + i), quantity=1)
        p.confirm(lease)
        payouts.append(payout_execute(payout=Payout.objects.get(escrow__lease=lease)))
    return payouts


def test_a_bank_rail_payout_is_queued_recorded_by_staff_and_balanced(client, django_capture_on_commit_callbacks):
    p = bank_owner(capacity=20)
    p.owner.language = "zh-hans"
    p.owner.save()
    [payout] = released(p)
    owner_account = ledger.payable_owner(p.owner_org.pk)

    assert (payout.status, payout.rail, payout.processor_id) == (PayoutStatus.QUEUED, PayoutRail.BANK_TRANSFER, "")
    assert ledger.account_balance(owner_account, "EUR") == 0
    assert ledger.account_balance(ledger.BANK_CLEARING, "EUR") == -payout.amount
    assert payouts_retry() == 0  # the sweep leaves it to staff
    assert Payout.objects.get().status == PayoutStatus.QUEUED
    assert escrow_reconcile_all() == []  # nothing flagged while it waits

    staff = staff_user()
    client.force_login(staff)
    queue = client.get(reverse("staff:bank_payout_list")).content.decode()
    assert "6222021234567890" in queue
    assert "ICBKCNBJSZN" in queue
    mail.outbox.clear()
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff:bank_payout_record", args=[payout.pk]),
            {"reference": "ICBC-2026-0042", "transferred_on": today},
        )
    assert response.status_code == 302

    payout.refresh_from_db()
    assert (payout.status, payout.bank_reference, payout.bank_transferred_on) == ("paid", "ICBC-2026-0042", today)
    assert payout.recorded_by == staff
    assert ledger.account_balance(ledger.BANK_CLEARING, "EUR") == 0
    assert ledger.account_balance(ledger.PLATFORM_BANK, "EUR") == -payout.amount
    assert all(total == 0 for total in ledger.ledger_totals().values())
    assert escrow_reconcile_all() == []
    entry = AuditLogEntry.objects.get(action="payout.bank_recorded")
    assert (entry.actor, entry.object_id) == (staff, str(payout.pk))
    assert entry.before["status"] == "queued"
    assert entry.after["bank_reference"] == "ICBC-2026-0042"
    [email] = mail.outbox
    assert email.to == [p.owner.email]
    assert "ICBC-2026-0042" in email.body
    assert "银行" in email.subject  # the owner reads Chinese
    assert Notification.objects.filter(user=p.owner, subject__endswith="已汇至您的银行").exists()

    # Recording again is refused: nothing moves twice.
    client.post(reverse("staff:bank_payout_record", args=[payout.pk]), {"reference": "X", "transferred_on": today})
    assert Payout.objects.get().bank_reference == "ICBC-2026-0042"
    assert AuditLogEntry.objects.filter(action="payout.bank_recorded").count() == 1

    client.force_login(p.owner)
    page = client.get(reverse("escrow:payout_account")).content.decode()
    assert "ICBC-2026-0042" in page
    assert "银行转账" in page  # "Bank transfer", in the owner's language


def test_staff_cannot_record_a_future_date_or_no_reference():
    p = bank_owner()
    [payout] = released(p)
    staff = staff_user()
    cases = [
        ("REF-1", timezone.localdate() + timedelta(days=1), "date_in_future"),
        ("  ", timezone.localdate(), "reference_missing"),
    ]
    for reference, day, code in cases:
        with pytest.raises(EscrowError) as refused:
            trust_services.bank_payout_record(payout=payout, by=staff, reference=reference, transferred_on=day)
        assert refused.value.code == code
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.QUEUED
    assert not AuditLogEntry.objects.filter(action="payout.bank_recorded").exists()


def test_reconcile_flags_a_clearing_posting_no_payout_explains():
    p = bank_owner()
    [payout] = released(p)
    ledger.ledger_post(
        key="manual:clearing",
        description="a stray posting",
        currency="EUR",
        lines=[(ledger.BANK_CLEARING, Decimal("5.00")), (ledger.PLATFORM_BANK, Decimal("-5.00"))],
        escrow=payout.escrow,
    )
    kinds = {(d.kind, d.problem) for d in escrow_reconcile_all()}
    assert ("bank_transfer", "missing") in kinds
    assert ("bank_transfer", "clearing") in kinds


def test_other_organisations_cannot_see_or_record(client):
    p = bank_owner()
    [payout] = released(p)
    other = bank_owner()
    released(other)

    client.force_login(other.owner)  # another owner: not staff
    assert client.get(reverse("staff:bank_payout_list")).status_code == 404
    response = client.post(
        reverse("staff:bank_payout_record", args=[payout.pk]),
        {"reference": "X", "transferred_on": timezone.localdate()},
    )
    assert response.status_code == 404
    assert Payout.objects.get(pk=payout.pk).status == PayoutStatus.QUEUED
    page = client.get(reverse("escrow:payout_account")).content.decode()
    assert f"#{payout.escrow.lease_id}<" not in page

    from tests.api.conftest import client_with, key_for

    api = client_with(key_for(other.owner_org, user=other.owner))
    rows = api.get("/api/v1/payouts/").json()["results"]
    assert [row["id"] for row in rows] == list(
        Payout.objects.filter(organisation=other.owner_org).values_list("pk", flat=True)
    )
    account = api.get("/api/v1/payout-account/").json()
    assert (account["country"], account["rail"], account["bank_country"]) == ("CN", "bank_transfer", "CN")
    exporter_api = client_with(key_for(p.exporter_org, user=p.exporter))
    assert exporter_api.get("/api/v1/payouts/").status_code == 403


def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_staff_queue_and_the_payout_lists_cost_the_same_for_one_row_or_many(client):
    p = bank_owner(capacity=50)
    released(p, 1)
    staff_client = client.__class__()
    staff_client.force_login(staff_user())
    client.force_login(p.owner)
    from tests.api.conftest import client_with, key_for

    api = client_with(key_for(p.owner_org, user=p.owner))
    few = (
        _queries(staff_client, reverse("staff:bank_payout_list")),
        _queries(client, reverse("escrow:payout_account")),
        _queries(api, "/api/v1/payouts/"),
    )
    more = released(p, 4)
    trust_services.bank_payout_record(
        payout=more[0], by=staff_user(), reference="R1", transferred_on=timezone.localdate()
    )
    many = (
        _queries(staff_client, reverse("staff:bank_payout_list")),
        _queries(client, reverse("escrow:payout_account")),
        _queries(api, "/api/v1/payouts/"),
    )
    assert Payout.objects.filter(status=PayoutStatus.QUEUED).count() == 4
    assert few == many


def test_a_member_who_is_not_admin_cannot_switch_to_the_bank_rail(client):
    p = Parties()
    member = member_of(p.owner_org, role="member")
    client.force_login(member)

    response = client.post(reverse("escrow:payout_account_bank"), BANK)

    assert response.status_code in (302, 403, 404)
    assert PayoutAccount.objects.get(organisation=p.owner_org).rail == PayoutRail.PROCESSOR

"""Stripe Connect: onboarding status kept current by ``account.updated``, releases waiting in
``payable:owner`` until the owner's account can be paid, and the payout-account page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from escrow import ledger
from escrow.choices import PayoutStatus
from escrow.models import Payout, PayoutAccount
from escrow.processor import payouts_retry
from escrow.services import payout_account_start_stripe
from leasing.choices import LeaseState as S

from .helpers import events_of, post_event, stripe_parties

pytestmark = pytest.mark.django_db


def deliver_all(client, fake, event_type, capture):
    for event in events_of(fake, event_type):
        with capture(execute=True):
            assert post_event(client, fake, event).status_code == 200


def test_onboarding_status_follows_account_updated_in_any_order(
    client, stripe_mode, django_capture_on_commit_callbacks
):
    fake = stripe_mode
    p = stripe_parties(fake)
    PayoutAccount.objects.filter(organisation=p.owner_org).delete()
    account = payout_account_start_stripe(organisation=p.owner_org, email=p.owner.email)
    assert account.payouts_enabled is False
    assert "external_account" in account.requirements

    fake.complete_onboarding(account.account_id)  # event 1: ready
    fake.account_set(account.account_id, payouts_enabled=False)  # event 2: Stripe needs an ID document
    first, second = events_of(fake, "account.updated")

    # delivered newest first: the stale "ready" snapshot must not win
    deliver_all(client, fake, "account.updated", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, fake, {**first, "id": "evt_again"})
    account.refresh_from_db()
    assert account.payouts_enabled is False
    assert account.requirements == ["individual.verification.document"]
    assert second["data"]["object"]["payouts_enabled"] is False


def test_a_release_waits_in_payable_owner_until_the_account_is_ready(
    client, stripe_mode, django_capture_on_commit_callbacks
):
    fake = stripe_mode
    p = stripe_parties(fake, payouts_enabled=False, price_per_unit_day=Decimal("2.50"))
    lease = p.lease_in(S.CHECKED_IN)
    with django_capture_on_commit_callbacks(execute=True):
        p.confirm(lease)

    payout = Payout.objects.get()
    assert payout.status == PayoutStatus.WAITING
    assert fake.transfers == []
    assert ledger.account_balance(ledger.payable_owner(p.owner_org.pk), "EUR") == -lease.owner_amount
    assert payouts_retry() == 0  # still not ready: the sweep changes nothing

    account = PayoutAccount.objects.get(organisation=p.owner_org)
    fake.account_set(account.account_id, payouts_enabled=True)
    deliver_all(client, fake, "account.updated", django_capture_on_commit_callbacks)

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    [transfer] = fake.transfers
    assert transfer["destination"] == account.account_id
    assert ledger.account_balance(ledger.payable_owner(p.owner_org.pk), "EUR") == 0


def test_the_payout_page_says_what_stripe_still_needs(client, stripe_mode):
    fake = stripe_mode
    p = stripe_parties(fake)
    PayoutAccount.objects.filter(organisation=p.owner_org).delete()
    payout_account_start_stripe(organisation=p.owner_org, email=p.owner.email)
    client.force_login(p.owner)

    page = client.get(reverse("escrow:payout_account")).content.decode()

    assert "Stripe still needs some details" in page
    assert "A bank account for payouts" in page
    assert page.count("Accepting Stripe&#x27;s services agreement") == 1  # two codes, one line
    assert "Continue on Stripe" in page

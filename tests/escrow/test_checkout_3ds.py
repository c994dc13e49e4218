"""Checkout with Payment Intents and Elements: the server side of 3-D Secure, and what the page loads."""

import pytest
from django.urls import reverse

from escrow import ledger
from escrow.choices import PaymentStatus
from escrow.exceptions import PaymentDeclined
from escrow.models import Payment
from leasing import services
from leasing.choices import LeaseState as S

from .helpers import events_of, post_event, stripe_parties

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def pay_url(lease):
    return reverse("leasing:lease_pay", args=[lease.pk])


def test_3ds_required_answers_the_client_secret_then_finalize_funds_the_lease(client, stripe_mode):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.ACCEPTED)
    client.force_login(p.exporter)

    answer = client.post(pay_url(lease), {"payment_method": "pm_card_authenticationRequired"}, **JSON).json()

    [intent] = fake.payment_intents
    payment = Payment.objects.get()
    assert answer["status"] == "requires_action"
    assert answer["client_secret"] == intent["client_secret"] == payment.client_secret
    assert answer["payment_intent"] == intent["id"]
    lease.refresh_from_db()
    assert lease.state == S.ACCEPTED

    fake.authenticate(intent["id"])  # the browser's stripe.handleNextAction() succeeded
    done = client.post(pay_url(lease), {"payment_intent": intent["id"]}, **JSON).json()

    assert done["status"] == "succeeded"
    assert done["redirect"] == reverse("leasing:lease_detail", args=[lease.pk])
    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    payment.refresh_from_db()
    assert payment.charge_id == fake.succeeded_charges[0]["id"]
    assert ledger.escrow_held(lease.escrow) == lease.total

    # the webhook arrives afterwards: nothing changes
    assert post_event(client, fake, events_of(fake, "payment_intent.succeeded")[0]).status_code == 200
    assert ledger.escrow_held(lease.escrow) == lease.total


def test_the_webhook_can_finish_the_payment_before_the_browser(client, stripe_mode):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.ACCEPTED)
    payment = p.pay(lease, payment_method="pm_card_authenticationRequired")
    assert payment.status == PaymentStatus.REQUIRES_ACTION

    fake.authenticate(payment.processor_id)
    post_event(client, fake, events_of(fake, "payment_intent.succeeded")[0])
    lease.refresh_from_db()
    assert lease.state == S.FUNDED

    again = services.lease_pay_finalize(lease=lease, by=p.exporter, payment_id=payment.processor_id)
    assert again.status == PaymentStatus.SUCCEEDED
    assert ledger.escrow_held(lease.escrow) == lease.total


def test_failed_authentication_is_declined_and_another_card_starts_a_new_attempt(client, stripe_mode):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.ACCEPTED)
    payment = p.pay(lease, payment_method="pm_card_authenticationRequired")
    fake.authenticate(payment.processor_id, succeed=False)

    with pytest.raises(PaymentDeclined, match="unable to authenticate"):
        services.lease_pay_finalize(lease=lease, by=p.exporter, payment_id=payment.processor_id)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED

    second = p.pay(lease)
    assert (second.attempt, second.status) == (2, PaymentStatus.SUCCEEDED)
    lease.refresh_from_db()
    assert lease.state == S.FUNDED


def test_finalize_refuses_another_leases_payment(client, stripe_mode):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.ACCEPTED)
    other = p.lease_in(S.ACCEPTED)
    payment = p.pay(other, payment_method="pm_card_authenticationRequired")
    client.force_login(p.exporter)

    response = client.post(pay_url(lease), {"payment_intent": payment.processor_id}, **JSON)

    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"


def test_a_decline_answers_json_for_the_script(client, stripe_mode):
    p = stripe_parties(stripe_mode)
    lease = p.lease_in(S.ACCEPTED)
    client.force_login(p.exporter)

    response = client.post(pay_url(lease), {"payment_method": "pm_card_chargeDeclined"}, **JSON)

    assert response.status_code == 402
    assert "declined" in response.json()["detail"]


def test_with_stripe_keys_the_page_loads_stripe_js_and_the_checkout_script(client, stripe_mode):
    p = stripe_parties(stripe_mode)
    lease = p.lease_in(S.ACCEPTED)
    client.force_login(p.exporter)

    page = client.get(pay_url(lease)).content.decode()

    assert '<script src="https://js.stripe.com/v3/"></script>' in page
    assert "js/checkout.js" in page
    assert 'data-stripe-key="pk_test_fake"' in page
    assert f'data-amount="{int(lease.total * 100)}"' in page
    assert 'data-currency="eur"' in page
    assert 'id="payment-element"' in page


def test_the_simulated_checkout_loads_nothing_external(client):
    from tests.leasing.factories import Parties

    p = Parties()
    lease = p.lease_in(S.ACCEPTED)
    client.force_login(p.exporter)

    page = client.get(pay_url(lease)).content.decode()

    assert "js.stripe.com" not in page
    assert "checkout.js" not in page
    assert "simulated gateway" in page


def test_an_abandoned_3ds_attempt_is_cancelled_before_another_card_is_charged(stripe_mode):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.ACCEPTED)
    first = p.pay(lease, payment_method="pm_card_authenticationRequired")  # the payer closes the challenge

    second = p.pay(lease, payment_method="pm_card_visa")

    first.refresh_from_db()
    assert first.status == PaymentStatus.FAILED
    assert fake.get(first.processor_id)["status"] == "canceled"  # can never complete later
    assert (second.attempt, second.status) == (2, PaymentStatus.SUCCEEDED)
    assert len(fake.succeeded_charges) == 1


def test_an_abandoned_3ds_attempt_completed_elsewhere_is_not_charged_twice(stripe_mode):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.ACCEPTED)
    first = p.pay(lease, payment_method="pm_card_authenticationRequired")
    fake.authenticate(first.processor_id)  # finished in another tab; no webhook yet

    again = p.pay(lease, payment_method="pm_card_visa")

    assert again.pk == first.pk
    assert again.status == PaymentStatus.SUCCEEDED
    assert len(fake.succeeded_charges) == 1
    lease.refresh_from_db()
    assert lease.state == S.FUNDED

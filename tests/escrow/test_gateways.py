"""Both gateways against the interface in ``escrow/gateways/base.py``.

The Stripe gateway runs the real SDK against ``FakeStripe`` (tests/escrow/fake_stripe.py); every
test that calls it checks what reached the fake, and ``conftest._no_stripe_network`` makes any
other HTTP client fail.
"""

import json
import logging
import re
import time
from decimal import Decimal

import pytest

from common.money import Money
from escrow.exceptions import GatewayUnavailable, PaymentDeclined, WebhookInvalid
from escrow.gateways.base import AccountStatus, ChargeResult, Gateway, RefundResult, TransferResult
from escrow.gateways.simulated import SimulatedGateway
from escrow.gateways.stripe import StripeGateway

from .fake_stripe import event_payload, sign_webhook


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def charge(gateway: Gateway, amount: Money, payment_method: str = "pm_card_visa", key: str = "escrow:1:charge:1"):
    return gateway.charge(
        amount=amount,
        payment_method=payment_method,
        idempotency_key=key,
        transfer_group="lease_7",
        description="Lease 7",
        metadata={"lease": "7", "escrow": "1"},
    )


@pytest.fixture
def charged(stripe_gateway, fake_stripe) -> ChargeResult:
    return charge(stripe_gateway, eur("123.45"))


@pytest.fixture
def owner_account(fake_stripe) -> str:
    return fake_stripe.add_account(payouts_enabled=True)


@pytest.fixture
def simulated() -> SimulatedGateway:
    return SimulatedGateway()


# -- Stripe: charge ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("123.45", "EUR", "12345"), ("1500", "JPY", "1500"), ("0.50", "USD", "50")],
)
def test_stripe_charge_sends_minor_units_and_the_transfer_group(stripe_gateway, fake_stripe, amount, currency, minor):
    result = charge(stripe_gateway, Money(Decimal(amount), currency))

    [request] = fake_stripe.requests
    assert (request.method, request.path, request.idempotency_key) == (
        "POST",
        "/v1/payment_intents",
        "escrow:1:charge:1",
    )
    assert request.params == {
        "amount": minor,
        "currency": currency.lower(),
        "payment_method": "pm_card_visa",
        "confirm": "true",
        "capture_method": "automatic",
        "automatic_payment_methods": {"enabled": "true", "allow_redirects": "never"},
        "transfer_group": "lease_7",
        "description": "Lease 7",
        "metadata": {"lease": "7", "escrow": "1"},
    }
    [intent] = fake_stripe.payment_intents
    [stored_charge] = fake_stripe.succeeded_charges
    assert intent["amount"] == int(minor)
    assert stored_charge["transfer_group"] == "lease_7"
    assert result == ChargeResult(id=intent["id"], charge_id=stored_charge["id"], status="succeeded")


def test_stripe_charge_refuses_sub_minor_precision_before_any_request(stripe_gateway, fake_stripe):
    with pytest.raises(ValueError, match="precision"):
        charge(stripe_gateway, eur("10.005"))
    with pytest.raises(ValueError, match="precision"):
        charge(stripe_gateway, Money(Decimal("1500.5"), "JPY"))
    with pytest.raises(ValueError, match="positive"):
        charge(stripe_gateway, eur("0.00"))
    assert fake_stripe.requests == []


@pytest.mark.parametrize(
    ("payment_method", "message"),
    [
        ("pm_card_chargeDeclined", "Your card was declined."),
        ("pm_card_visa_chargeDeclined", "Your card was declined."),
        ("pm_card_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."),
    ],
)
def test_stripe_decline_raises_payment_declined_and_charges_nothing(
    stripe_gateway, fake_stripe, payment_method, message
):
    with pytest.raises(PaymentDeclined) as declined:
        charge(stripe_gateway, eur("123.45"), payment_method)

    assert declined.value.detail == message
    assert declined.value.code == "payment_declined"
    assert len(fake_stripe.requests) == 1
    assert fake_stripe.succeeded_charges == []
    assert [pi["status"] for pi in fake_stripe.payment_intents] == ["requires_payment_method"]


def test_stripe_decline_is_replayed_for_the_same_key_and_another_card_needs_a_new_key(stripe_gateway, fake_stripe):
    with pytest.raises(PaymentDeclined):
        charge(stripe_gateway, eur("10.00"), "pm_card_chargeDeclined", key="escrow:1:charge:1")
    with pytest.raises(PaymentDeclined):
        charge(stripe_gateway, eur("10.00"), "pm_card_chargeDeclined", key="escrow:1:charge:1")
    assert len(fake_stripe.payment_intents) == 1

    result = charge(stripe_gateway, eur("10.00"), "pm_card_visa", key="escrow:1:charge:2")

    assert result.status == "succeeded"
    assert len(fake_stripe.succeeded_charges) == 1


def test_stripe_requires_action_surfaces_the_client_secret(stripe_gateway, fake_stripe):
    result = charge(stripe_gateway, eur("50.00"), "pm_card_authenticationRequired")

    [intent] = fake_stripe.payment_intents
    assert result.status == "requires_action"
    assert result.id == intent["id"]
    assert result.client_secret == intent["client_secret"]
    assert result.client_secret.startswith(f"{intent['id']}_secret_")
    assert result.charge_id == ""
    assert fake_stripe.charges == []


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_stripe_server_error_is_unavailable_and_creates_nothing(stripe_gateway, fake_stripe, status):
    fake_stripe.fail_next(status=status)

    with pytest.raises(GatewayUnavailable):
        charge(stripe_gateway, eur("123.45"))

    assert len(fake_stripe.requests) == 1  # no retries inside the SDK
    assert fake_stripe.payment_intents == []

    result = charge(stripe_gateway, eur("123.45"))  # the business action retries with its key

    assert result.status == "succeeded"
    assert len(fake_stripe.payment_intents) == 1


def test_stripe_timeout_before_apply_creates_nothing(stripe_gateway, fake_stripe):
    fake_stripe.timeout_next(applied=False)

    with pytest.raises(GatewayUnavailable, match="did not answer"):
        charge(stripe_gateway, eur("123.45"))

    assert len(fake_stripe.requests) == 1
    assert fake_stripe.payment_intents == []


def test_stripe_timeout_after_apply_then_retry_with_the_same_key_charges_once(stripe_gateway, fake_stripe):
    fake_stripe.timeout_next(applied=True)

    with pytest.raises(GatewayUnavailable):
        charge(stripe_gateway, eur("123.45"))
    assert len(fake_stripe.payment_intents) == 1  # the charge happened; the answer was lost

    result = charge(stripe_gateway, eur("123.45"))

    [intent] = fake_stripe.payment_intents
    [first, retry] = fake_stripe.requests
    assert first.idempotency_key == retry.idempotency_key == "escrow:1:charge:1"
    assert result.id == intent["id"]
    assert result.charge_id == intent["latest_charge"]
    assert len(fake_stripe.succeeded_charges) == 1


def test_stripe_key_reused_with_other_parameters_is_logged_and_unavailable(stripe_gateway, fake_stripe, caplog):
    charge(stripe_gateway, eur("123.45"))

    with caplog.at_level(logging.ERROR, logger="escrow.gateways.stripe"), pytest.raises(GatewayUnavailable):
        charge(stripe_gateway, eur("99.00"))

    assert "IdempotencyError" in caplog.text
    assert len(fake_stripe.payment_intents) == 1


def test_stripe_invalid_request_is_logged_at_error_level(stripe_gateway, fake_stripe, caplog):
    with caplog.at_level(logging.ERROR, logger="escrow.gateways.stripe"), pytest.raises(GatewayUnavailable):
        charge(stripe_gateway, eur("10.00"), "tok_unknown")

    assert "InvalidRequestError" in caplog.text
    assert "No such PaymentMethod" in caplog.text
    assert len(fake_stripe.requests) == 1


# -- Stripe: transfers, refunds, reversals -----------------------------------------------------------


def test_stripe_transfer_records_source_transaction_and_transfer_group(
    stripe_gateway, fake_stripe, charged, owner_account
):
    result = stripe_gateway.transfer(
        amount=eur("100.00"),
        destination=owner_account,
        source_transaction=charged.charge_id,
        transfer_group="lease_7",
        idempotency_key="escrow:1:release:1",
    )

    [transfer] = fake_stripe.transfers
    assert result == TransferResult(id=transfer["id"])
    assert transfer["amount"] == 10000
    assert transfer["currency"] == "eur"
    assert transfer["destination"] == owner_account
    assert transfer["source_transaction"] == charged.charge_id
    assert transfer["transfer_group"] == "lease_7"
    request = fake_stripe.requests[-1]
    assert (request.path, request.idempotency_key) == ("/v1/transfers", "escrow:1:release:1")


def test_stripe_transfer_retry_with_the_same_key_transfers_once(stripe_gateway, fake_stripe, charged, owner_account):
    def release():
        return stripe_gateway.transfer(
            amount=eur("100.00"),
            destination=owner_account,
            source_transaction=charged.charge_id,
            transfer_group="lease_7",
            idempotency_key="escrow:1:release:1",
        )

    fake_stripe.timeout_next(applied=True)
    with pytest.raises(GatewayUnavailable):
        release()

    assert release().id == fake_stripe.transfers[0]["id"]
    assert len(fake_stripe.transfers) == 1


def test_stripe_transfer_to_an_account_without_payouts_is_refused(stripe_gateway, fake_stripe, charged):
    not_onboarded = fake_stripe.add_account(payouts_enabled=False)

    with pytest.raises(GatewayUnavailable):
        stripe_gateway.transfer(
            amount=eur("100.00"),
            destination=not_onboarded,
            source_transaction=charged.charge_id,
            transfer_group="lease_7",
            idempotency_key="escrow:1:release:1",
        )
    assert fake_stripe.transfers == []


def test_stripe_refund_sends_the_partial_amount(stripe_gateway, fake_stripe, charged):
    result = stripe_gateway.refund(
        charge_id=charged.charge_id, amount=eur("20.45"), idempotency_key="escrow:1:refund:1"
    )

    [refund] = fake_stripe.refunds
    assert result == RefundResult(id=refund["id"], status="succeeded")
    assert refund["amount"] == 2045
    assert refund["charge"] == charged.charge_id
    assert fake_stripe.get(charged.charge_id)["amount_refunded"] == 2045
    request = fake_stripe.requests[-1]
    assert request.params == {"charge": charged.charge_id, "amount": "2045"}
    assert request.idempotency_key == "escrow:1:refund:1"


def test_stripe_reverse_transfer_sends_the_partial_amount(stripe_gateway, fake_stripe, charged, owner_account):
    transfer = stripe_gateway.transfer(
        amount=eur("100.00"),
        destination=owner_account,
        source_transaction=charged.charge_id,
        transfer_group="lease_7",
        idempotency_key="escrow:1:release:1",
    )

    result = stripe_gateway.reverse_transfer(
        transfer_id=transfer.id, amount=eur("10.50"), idempotency_key="escrow:1:reversal:1"
    )

    [reversal] = fake_stripe.reversals
    assert result == TransferResult(id=reversal["id"])
    assert reversal["amount"] == 1050
    assert fake_stripe.get(transfer.id)["amount_reversed"] == 1050
    request = fake_stripe.requests[-1]
    assert request.path == f"/v1/transfers/{transfer.id}/reversals"
    assert request.params == {"amount": "1050"}
    assert request.idempotency_key == "escrow:1:reversal:1"


# -- Stripe: connected accounts ----------------------------------------------------------------------


def test_stripe_account_create_link_and_status(stripe_gateway, fake_stripe):
    created = stripe_gateway.account_create(email="owner@example.com", country="DE", idempotency_key="org:3:account")

    [account] = fake_stripe.accounts
    create = fake_stripe.requests[-1]
    assert create.params == {
        "type": "express",
        "country": "DE",
        "email": "owner@example.com",
        "capabilities": {"card_payments": {"requested": "true"}, "transfers": {"requested": "true"}},
    }
    assert create.idempotency_key == "org:3:account"
    assert created.id == account["id"]
    assert created.payouts_enabled is False
    assert "external_account" in created.requirements

    url = stripe_gateway.account_link(
        account_id=created.id, refresh_url="https://w.example/refresh", return_url="https://w.example/back"
    )

    [link] = fake_stripe.account_links
    assert url == link["url"]
    assert url.startswith("https://connect.stripe.com/")
    assert fake_stripe.requests[-1].params == {
        "account": created.id,
        "refresh_url": "https://w.example/refresh",
        "return_url": "https://w.example/back",
        "type": "account_onboarding",
    }

    fake_stripe.complete_onboarding(created.id)

    assert stripe_gateway.account_status(account_id=created.id) == AccountStatus(
        id=created.id, payouts_enabled=True, requirements=[]
    )
    assert (fake_stripe.requests[-1].method, fake_stripe.requests[-1].path) == ("GET", f"/v1/accounts/{created.id}")
    assert len(fake_stripe.requests) == 3


def test_stripe_status_of_an_unknown_account_is_unavailable(stripe_gateway, fake_stripe):
    with pytest.raises(GatewayUnavailable):
        stripe_gateway.account_status(account_id="acct_missing")
    assert len(fake_stripe.requests) == 1


# -- Stripe: webhooks ------------------------------------------------------------------------------


@pytest.fixture
def paid_event() -> bytes:
    return event_payload("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent", "amount": 12345})


def test_stripe_webhook_with_a_valid_signature_is_accepted(stripe_gateway, fake_stripe, paid_event):
    event = stripe_gateway.webhook_event(payload=paid_event, signature=sign_webhook(paid_event, "whsec_test"))

    assert type(event) is dict
    assert event["id"] == "evt_fake1"
    assert event["type"] == "payment_intent.succeeded"
    assert event["data"]["object"] == {"id": "pi_1", "object": "payment_intent", "amount": 12345}
    json.dumps(event)  # plain data, storable as-is
    assert fake_stripe.requests == []


def test_stripe_webhook_with_a_tampered_payload_is_rejected(stripe_gateway, paid_event):
    signature = sign_webhook(paid_event, "whsec_test")
    tampered = paid_event.replace(b"12345", b"99999")

    with pytest.raises(WebhookInvalid):
        stripe_gateway.webhook_event(payload=tampered, signature=signature)


def test_stripe_webhook_signed_with_another_secret_is_rejected(stripe_gateway, paid_event):
    with pytest.raises(WebhookInvalid):
        stripe_gateway.webhook_event(payload=paid_event, signature=sign_webhook(paid_event, "whsec_other"))


def test_stripe_webhook_older_than_the_tolerance_is_rejected(stripe_gateway, paid_event):
    stale = sign_webhook(paid_event, "whsec_test", timestamp=int(time.time()) - 301)

    with pytest.raises(WebhookInvalid):
        stripe_gateway.webhook_event(payload=paid_event, signature=stale)


def test_stripe_webhook_just_within_the_tolerance_is_accepted(stripe_gateway, paid_event):
    recent = sign_webhook(paid_event, "whsec_test", timestamp=int(time.time()) - 240)

    assert stripe_gateway.webhook_event(payload=paid_event, signature=recent)["id"] == "evt_fake1"


@pytest.mark.parametrize("signature", ["", "garbage", "t=notanumber,v1=abc", "t=123"])
def test_stripe_webhook_with_a_malformed_header_is_rejected(stripe_gateway, paid_event, signature):
    with pytest.raises(WebhookInvalid):
        stripe_gateway.webhook_event(payload=paid_event, signature=signature)


def test_stripe_webhook_that_is_not_json_is_rejected(stripe_gateway):
    payload = b"not json"

    with pytest.raises(WebhookInvalid):
        stripe_gateway.webhook_event(payload=payload, signature=sign_webhook(payload, "whsec_test"))


def test_a_stripe_client_without_the_fake_cannot_reach_the_network():
    gateway = StripeGateway(api_key="sk_test_fake", webhook_secret="whsec_test")

    with pytest.raises(AssertionError, match="tried to reach Stripe"):
        gateway.account_status(account_id="acct_1")


# -- Simulated ------------------------------------------------------------------------------------


def test_both_gateways_implement_the_interface(simulated, stripe_gateway):
    assert isinstance(simulated, Gateway)
    assert isinstance(stripe_gateway, Gateway)
    assert (simulated.name, stripe_gateway.name) == ("simulated", "stripe")


def test_simulated_charge_succeeds_with_simulated_ids(simulated):
    result = charge(simulated, eur("123.45"))

    assert result.status == "succeeded"
    assert re.fullmatch(r"sim_pi_[0-9a-f]+", result.id)
    assert re.fullmatch(r"sim_ch_[0-9a-f]+", result.charge_id)
    assert result.client_secret == ""
    assert result.fee is None


@pytest.mark.parametrize(
    ("payment_method", "message"),
    [
        ("pm_card_chargeDeclined", "Your card was declined. Try another card."),
        ("pm_card_visa_chargeDeclined", "Your card was declined. Try another card."),
        ("pm_card_insufficientFunds", "Your card has insufficient funds. Try another card."),
        ("pm_card_chargeDeclinedInsufficientFunds", "Your card has insufficient funds. Try another card."),
    ],
)
def test_simulated_declines(simulated, payment_method, message):
    with pytest.raises(PaymentDeclined) as declined:
        charge(simulated, eur("10.00"), payment_method)
    assert declined.value.detail == message


@pytest.mark.parametrize(
    ("payment_method", "message"), [("sim_gateway_error", "unavailable"), ("sim_timeout", "timed out")]
)
def test_simulated_gateway_errors(simulated, payment_method, message):
    with pytest.raises(GatewayUnavailable, match=message):
        charge(simulated, eur("10.00"), payment_method)


def test_simulated_replays_a_repeated_key(simulated):
    first = charge(simulated, eur("10.00"), key="escrow:1:charge:1")

    assert charge(simulated, eur("10.00"), key="escrow:1:charge:1") == first
    other = charge(simulated, eur("10.00"), key="escrow:2:charge:1")
    assert other.id != first.id
    assert other.charge_id != first.charge_id


def test_simulated_replays_a_decline_for_the_same_key_and_card(simulated):
    for _ in range(2):
        with pytest.raises(PaymentDeclined):
            charge(simulated, eur("10.00"), "pm_card_chargeDeclined", key="escrow:1:charge:1")

    assert charge(simulated, eur("10.00"), "pm_card_visa", key="escrow:1:charge:2").status == "succeeded"


def test_simulated_ids_are_deterministic_across_instances(simulated):
    assert charge(simulated, eur("10.00")) == charge(SimulatedGateway(), eur("10.00"))


def test_simulated_transfer_refund_and_reversal(simulated):
    charged = charge(simulated, eur("123.45"))
    account = simulated.account_create(email="o@example.com", country="DE", idempotency_key="org:3:account")

    def release():
        return simulated.transfer(
            amount=eur("100.00"),
            destination=account.id,
            source_transaction=charged.charge_id,
            transfer_group="lease_7",
            idempotency_key="escrow:1:release:1",
        )

    transfer = release()
    refund = simulated.refund(charge_id=charged.charge_id, amount=eur("23.45"), idempotency_key="escrow:1:refund:1")
    reversal = simulated.reverse_transfer(transfer_id=transfer.id, amount=eur("5.00"), idempotency_key="escrow:1:rev:1")

    assert release() == transfer
    assert re.fullmatch(r"sim_tr_[0-9a-f]+", transfer.id)
    assert re.fullmatch(r"sim_re_[0-9a-f]+", refund.id)
    assert refund.status == "succeeded"
    assert re.fullmatch(r"sim_trr_[0-9a-f]+", reversal.id)


def test_simulated_accounts_are_ready_at_once(simulated):
    account = simulated.account_create(email="o@example.com", country="DE", idempotency_key="org:3:account")

    assert re.fullmatch(r"sim_acct_[0-9a-f]+", account.id)
    assert account.payouts_enabled is True
    assert account.requirements == []
    assert simulated.account_create(email="o@example.com", country="DE", idempotency_key="org:3:account") == account
    assert simulated.account_link(account_id=account.id, refresh_url="/r", return_url="/back") == "/back"
    assert simulated.account_status(account_id=account.id) == AccountStatus(id=account.id, payouts_enabled=True)


def test_simulated_gateway_has_no_webhooks(simulated, paid_event):
    with pytest.raises(WebhookInvalid):
        simulated.webhook_event(payload=paid_event, signature=sign_webhook(paid_event, "whsec_test"))


def test_simulated_refuses_sub_minor_precision(simulated):
    with pytest.raises(ValueError, match="precision"):
        charge(simulated, Money(Decimal("0.5"), "JPY"))

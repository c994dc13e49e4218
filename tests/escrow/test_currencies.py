"""Currencies: one currency per posting, and exact round trips through the Stripe boundary for
zero-decimal (JPY, KRW) and three-decimal (KWD, BHD …: thousandths, last digit 0) currencies."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.money import THREE_DECIMAL, ZERO_DECIMAL, Money, exponent, from_minor, quantize, to_minor
from escrow import ledger
from escrow.exceptions import LedgerUnbalanced
from escrow.gateways.stripe import StripeGateway
from escrow.models import LedgerEntry, Posting
from leasing.choices import LeaseState as S

from .fake_stripe import FakeStripe
from .helpers import stripe_parties

CASES = [
    ("1500", "JPY", 1500),
    ("98765", "KRW", 98765),
    ("12.34", "KWD", 12340),
    ("0.05", "BHD", 50),
    ("7.10", "OMR", 7100),
    ("123.45", "EUR", 12345),
]


def test_exponents():
    assert [exponent(c) for c in ("JPY", "KRW", "KWD", "BHD", "JOD", "OMR", "TND", "EUR", "usd")] == [
        0,
        0,
        3,
        3,
        3,
        3,
        3,
        2,
        2,
    ]


def round_trip(gateway: StripeGateway, fake: FakeStripe, amount: Money, n: int) -> None:
    """Charge, refund part, transfer part, then read it all back from the processor."""
    charged = gateway.charge(
        amount=amount,
        payment_method="pm_card_visa",
        idempotency_key=f"c:{n}",
        transfer_group=f"lease_{n}",
        description="x",
        metadata={},
    )
    sent = to_minor(amount.amount, amount.currency)
    assert fake.get(charged.id)["amount"] == sent
    assert fake.get(charged.id)["currency"] == amount.currency.lower()
    gateway.refund(charge_id=charged.charge_id, amount=amount, idempotency_key=f"r:{n}")
    destination = fake.add_account()
    gateway.transfer(
        amount=amount,
        destination=destination,
        source_transaction=charged.charge_id,
        transfer_group=f"lease_{n}",
        idempotency_key=f"t:{n}",
    )
    activity = gateway.activity(transfer_group=f"lease_{n}")
    for items in (activity.charges, activity.refunds, activity.transfers):
        [item] = items
        assert item.amount == amount
        assert item.amount.currency == amount.currency
        assert item.amount.amount.as_tuple().exponent == -exponent(amount.currency)  # not just equal: same scale


@pytest.mark.parametrize(("amount", "currency", "minor"), CASES)
def test_stripe_boundary_round_trips_exactly(stripe_gateway, fake_stripe, amount, currency, minor):
    money = Money(quantize(Decimal(amount), currency), currency)

    round_trip(stripe_gateway, fake_stripe, money, 1)

    assert fake_stripe.requests[0].params["amount"] == str(minor)


@pytest.mark.parametrize(
    ("amount", "currency"), [("12.345", "KWD"), ("0.001", "BHD"), ("1500.5", "JPY"), ("1.005", "EUR")]
)
def test_amounts_stripe_cannot_take_are_refused_before_any_request(stripe_gateway, fake_stripe, amount, currency):
    with pytest.raises(ValueError):
        stripe_gateway.charge(
            amount=Money(Decimal(amount), currency),
            payment_method="pm_card_visa",
            idempotency_key="c:1",
            transfer_group="lease_1",
            description="x",
            metadata={},
        )
    assert fake_stripe.requests == []


minor_amounts = st.one_of(
    st.tuples(st.sampled_from(sorted(ZERO_DECIMAL)), st.integers(1, 10**9)),
    st.tuples(st.sampled_from(sorted(THREE_DECIMAL)), st.integers(1, 10**8).map(lambda n: n * 10)),
    st.tuples(st.sampled_from(["EUR", "USD", "GBP"]), st.integers(1, 10**9)),
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=minor_amounts)
def test_any_amount_round_trips_through_the_fake(case):
    currency, minor = case
    fake = FakeStripe()
    gateway = StripeGateway(api_key="sk_test_fake", webhook_secret="whsec_test", http_client=fake)
    amount = Money(from_minor(minor, currency), currency)
    assert to_minor(amount.amount, currency) == minor

    round_trip(gateway, fake, amount, 1)


@pytest.mark.django_db
def test_a_posting_cannot_mix_currencies(stripe_mode):
    p = stripe_parties(stripe_mode, currency="JPY", price_per_unit_day=Decimal("300"), handling_in_fee=Decimal("500"))
    lease = p.lease_in(S.FUNDED)
    escrow = lease.escrow
    assert escrow.currency == "JPY"

    with pytest.raises(LedgerUnbalanced, match="in EUR but its escrow holds JPY"):
        ledger.ledger_post(
            key="mixed",
            description="EUR money into a JPY escrow",
            currency="EUR",
            lines=[(ledger.GATEWAY, Decimal("1.00")), (escrow.account, Decimal("-1.00"))],
            escrow=escrow,
        )
    with pytest.raises(LedgerUnbalanced, match="finer than JPY"):
        ledger.ledger_post(
            key="fraction",
            description="half a yen",
            currency="JPY",
            lines=[(ledger.GATEWAY, Decimal("0.50")), (escrow.account, Decimal("-0.50"))],
            escrow=escrow,
        )
    assert not Posting.objects.filter(idempotency_key__in=["mixed", "fraction"]).exists()
    for posting in Posting.objects.prefetch_related("entries"):
        assert {entry.currency for entry in posting.entries.all()} == {posting.currency}


@pytest.mark.django_db
def test_a_yen_lease_is_yen_end_to_end(stripe_mode, django_capture_on_commit_callbacks):
    fake = stripe_mode
    p = stripe_parties(fake, currency="JPY", price_per_unit_day=Decimal("300"), handling_in_fee=Decimal("500"))
    lease = p.lease_in(S.CHECKED_IN)
    with django_capture_on_commit_callbacks(execute=True):
        p.confirm(lease)

    [intent] = fake.payment_intents
    [transfer] = fake.transfers
    assert (intent["currency"], intent["amount"]) == ("jpy", int(lease.total))
    assert (transfer["currency"], transfer["amount"]) == ("jpy", int(lease.owner_amount))
    assert set(LedgerEntry.objects.values_list("currency", flat=True)) == {"JPY"}
    assert ledger.ledger_totals() == {"JPY": 0}
    call_command("escrow_reconcile")  # no difference: no CommandError

"""Acceptance 1: splitting what escrow holds into any two parts, in any currency (zero-decimal ones
included), posts balanced entries and moves exactly those amounts through the gateway; parts that
do not add up are refused with a clear message and nothing moves."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.money import from_minor, to_minor
from escrow import ledger
from escrow.choices import PayoutStatus, RefundStatus
from escrow.gateways.simulated import SimulatedGateway
from escrow.models import LedgerEntry, Payout, Posting, Refund
from leasing.choices import LeaseState as S
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now
from trust import services
from trust.choices import DisputeState, Outcome
from trust.exceptions import SettlementInvalid
from trust.models import Resolution

from .factories import staff_user

pytestmark = pytest.mark.django_db

CURRENCIES = ["EUR", "USD", "GBP", "JPY", "KRW"]
PROPERTY = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


class RecordingGateway(SimulatedGateway):
    """The simulated gateway, remembering every transfer and refund it was asked to make."""

    def __init__(self) -> None:
        super().__init__()
        self.moves: list[tuple[str, str, Decimal, str]] = []

    def transfer(self, *, amount, destination, source_transaction, transfer_group, idempotency_key):  # type: ignore[no-untyped-def]
        self.moves.append(("transfer", idempotency_key, amount.amount, amount.currency))
        return super().transfer(
            amount=amount,
            destination=destination,
            source_transaction=source_transaction,
            transfer_group=transfer_group,
            idempotency_key=idempotency_key,
        )

    def refund(self, *, charge_id, amount, idempotency_key):  # type: ignore[no-untyped-def]
        self.moves.append(("refund", idempotency_key, amount.amount, amount.currency))
        return super().refund(charge_id=charge_id, amount=amount, idempotency_key=idempotency_key)


@pytest.fixture
def gateway(monkeypatch):
    recorder = RecordingGateway()
    monkeypatch.setattr("escrow.gateways.gateway_for", lambda name: recorder)
    return recorder


@pytest.fixture
def parties():
    """One owner and exporter per currency, made once per test and reused by every example."""
    made: dict[str, Parties] = {}

    def get(currency: str) -> Parties:
        if currency not in made:
            made[currency] = Parties(capacity=100_000, currency=currency)
        return made[currency]

    return get


lease_shapes = st.fixed_dictionaries(
    {
        "currency": st.sampled_from(CURRENCIES),
        "price_minor": st.integers(min_value=1, max_value=2_000_000),
        "handling_minor": st.integers(min_value=0, max_value=50_000),
        "quantity": st.integers(min_value=1, max_value=40),
        "days": st.integers(min_value=1, max_value=60),
    }
)


def disputed_lease(p: Parties, shape: dict) -> tuple:
    currency = shape["currency"]
    listing = p.listing
    listing.price_per_unit_day = from_minor(shape["price_minor"], currency)
    listing.handling_in_fee = listing.handling_out_fee = from_minor(shape["handling_minor"], currency)
    listing.save(update_fields=["price_per_unit_day", "handling_in_fee", "handling_out_fee"])
    lease = p.lease_in(
        S.CHECKED_IN,
        start=days_from_now(3),
        end=days_from_now(2 + shape["days"]),
        quantity=shape["quantity"],
    )
    dispute = services.dispute_open(lease=lease, by=p.exporter, reason="Short and damaged")
    return lease, dispute


def _escrow_postings(lease) -> list[Posting]:
    return list(Posting.objects.filter(escrow=lease.escrow).prefetch_related("entries"))


@PROPERTY
@given(shape=lease_shapes, data=st.data())
def test_any_split_of_what_is_held_posts_balanced_entries_and_moves_exactly_the_parts(
    shape, data, parties, gateway, django_capture_on_commit_callbacks
):
    p = parties(shape["currency"])
    lease, dispute = disputed_lease(p, shape)
    currency = lease.currency
    held = ledger.escrow_held(lease.escrow)
    assert held == lease.total
    held_minor = to_minor(held, currency)
    owner_minor = data.draw(st.integers(min_value=0, max_value=held_minor), label="owner_minor")
    owner, exporter = from_minor(owner_minor, currency), from_minor(held_minor - owner_minor, currency)
    gateway.moves.clear()

    with django_capture_on_commit_callbacks(execute=True):
        resolution = services.dispute_resolve(
            dispute=dispute,
            by=staff_user(),
            outcome=Outcome.SPLIT,
            note="split",
            owner_part=owner,
            exporter_part=exporter,
        )

    # The fee is the lease's fee ratio on the owner's part, rounded down to the minor unit.
    fee_minor = owner_minor * to_minor(lease.platform_fee, currency) // to_minor(lease.total, currency)
    fee = from_minor(fee_minor, currency)
    assert (resolution.owner_part, resolution.exporter_part, resolution.platform_fee) == (owner, exporter, fee)
    assert resolution.owner_net == owner - fee
    assert owner == 0 or resolution.owner_net > 0  # a non-zero part always pays the owner something

    # Balanced postings; the escrow is empty; what was owed is paid out; the fee is revenue.
    postings = _escrow_postings(lease)
    net: dict[str, Decimal] = {}
    for posting in postings:
        assert sum(entry.amount for entry in posting.entries.all()) == 0
        for entry in posting.entries.all():
            net[entry.account] = net.get(entry.account, Decimal(0)) + entry.amount
    assert net.get(lease.escrow.account, 0) == 0
    assert net.get(ledger.payable_owner(p.owner_org.pk), 0) == 0
    assert net.get(ledger.refund_exporter(p.exporter_org.pk), 0) == 0
    assert net.get(ledger.PLATFORM_FEE, 0) == -fee
    assert net.get(ledger.GATEWAY, 0) == held - exporter - (owner - fee)  # what stays with the platform
    assert all(total == 0 for total in ledger.ledger_totals().values())

    # Through the gateway: exactly the refund and the owner's net part, once each.
    expected = []
    if exporter:
        expected.append(("refund", f"escrow:{lease.escrow.pk}:dispute:{dispute.pk}:refund", exporter, currency))
    if owner:
        expected.append(("transfer", f"escrow:{lease.escrow.pk}:release:1", owner - fee, currency))
    assert sorted(gateway.moves) == sorted(expected)
    refunds, payouts = (
        list(Refund.objects.filter(escrow=lease.escrow)),
        list(Payout.objects.filter(escrow=lease.escrow)),
    )
    assert [(r.amount, r.status) for r in refunds] == ([(exporter, RefundStatus.SUCCEEDED)] if exporter else [])
    assert [(x.amount, x.status) for x in payouts] == ([(owner - fee, PayoutStatus.PAID)] if owner else [])


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(shape=lease_shapes, data=st.data())
def test_parts_that_do_not_add_up_are_refused_and_nothing_moves(shape, data, parties, gateway):
    p = parties(shape["currency"])
    lease, dispute = disputed_lease(p, shape)
    currency = lease.currency
    held_minor = to_minor(ledger.escrow_held(lease.escrow), currency)
    owner_minor = data.draw(st.integers(min_value=0, max_value=held_minor), label="owner_minor")
    off_by = data.draw(st.integers(min_value=-held_minor, max_value=held_minor).filter(bool), label="off_by")
    owner, exporter = from_minor(owner_minor, currency), from_minor(held_minor - owner_minor + off_by, currency)
    entries = LedgerEntry.objects.count()
    gateway.moves.clear()

    with pytest.raises(SettlementInvalid) as error:
        services.dispute_resolve(
            dispute=dispute,
            by=staff_user(),
            outcome=Outcome.SPLIT,
            note="split",
            owner_part=owner,
            exporter_part=exporter,
        )

    assert "must add up exactly" in error.value.detail or "cannot be negative" in error.value.detail
    assert LedgerEntry.objects.count() == entries
    assert gateway.moves == []
    dispute.refresh_from_db()
    lease.refresh_from_db()
    assert (dispute.state, lease.state) == (DisputeState.OPEN, S.DISPUTED)
    assert not Resolution.objects.filter(dispute=dispute).exists()

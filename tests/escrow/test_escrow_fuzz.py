"""Acceptance 1: a Hypothesis state machine over the escrow services on the fake Stripe.

Steps: new leases, paid up front or month by month (#18), pay (cards that succeed, decline, or need
3-D Secure that passes or fails); for leases billed monthly, the off-session charge of the next month on
a saved card that works, is declined or needs authentication, paying that month by hand (3-D Secure
included), the lease shortened at an unpaid month's start, the months held released, and cancelling;
release part of what is held, refund part, split what is held between owner and exporter, card
disputes opened and closed (won with or without the dispute fee returned, or lost; events in any
order), the owner's account losing and regaining payouts, the sweeps, and replays of any earlier
webhook (same or new event id). Every processor call can meet a 5xx, a 429 or a timeout (before or
after Stripe applied it) and is then retried the way production retries it; every event is
delivered 0–3 times in any order (at least once where only a webhook can tell us: a dispute, 3-D
Secure finished while the page was closed).

After every step: the ledger balances per currency, no escrow account is negative, no posting
mixes currencies, owners' receivables are not negative, the ledger's ``gateway`` account equals
the fake's platform balance, and ``escrow_reconcile`` finds no difference. Billed monthly: a month
held or released has exactly one succeeded payment, a month not paid none, and every charge the fake
took for a month is that payment or a duplicate refunded in full: no month is ever taken twice.

CI runs ESCROW_FUZZ_EXAMPLES=40 × ESCROW_FUZZ_STEPS=20 (the defaults); ``make escrow-fuzz`` runs
1,000 × 50.
"""

import os
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import F
from django.test import TestCase
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from common.money import quantize, to_minor
from escrow import ledger
from escrow.chargebacks import chargebacks_recover
from escrow.choices import ChargebackStatus, PaymentStatus
from escrow.exceptions import EscrowError, GatewayUnavailable, PaymentDeclined
from escrow.gateways.stripe import StripeGateway
from escrow.models import (
    BillingProfile,
    Chargeback,
    Escrow,
    LedgerEntry,
    Payment,
    Payout,
    PayoutAccount,
    Refund,
)
from escrow.processor import payout_execute, payouts_retry, refund_execute, refunds_retry
from escrow.reconcile import escrow_reconcile_all
from escrow.services import escrow_refund, escrow_release
from escrow.webhooks import webhook_process
from leasing import schedule, services
from leasing.choices import Billing, InstalmentStatus
from leasing.choices import LeaseState as S
from leasing.core import lease_lock
from leasing.models import Instalment, Lease
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now
from warehouses.dates import warehouse_midnight

from .fake_stripe import FakeStripe

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("ESCROW_FUZZ_EXAMPLES", "40"))
STEPS = int(os.environ.get("ESCROW_FUZZ_STEPS", "20"))

FAULTS = st.sampled_from(
    [None, None, None, ("fail", 500), ("fail", 503), ("fail", 429), ("timeout", False), ("timeout", True)]
)
FRACTIONS = st.sampled_from([Decimal("0.1"), Decimal("0.25"), Decimal("0.5"), Decimal("1")])
# Only a webhook can tell us about these: they are delivered at least once.
PROCESSOR_ONLY = {"charge.dispute.created", "charge.dispute.closed"}
SEEN: Counter[str] = Counter()  # what the run exercised, printed at the end (pytest -s)


def event(name: str) -> None:
    SEEN[name] += 1


def after_commit():
    """Run what services queue for after commit (tasks, emails) as production would."""
    return TestCase.captureOnCommitCallbacks(execute=True)


class EscrowMachine(RuleBasedStateMachine):
    parties: Parties
    holder: dict

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.fake = FakeStripe()
        self.gateway = StripeGateway(api_key="sk_test_fake", webhook_secret="whsec_test", http_client=self.fake)
        self.holder["gateway"] = self.gateway
        self.p = self.parties
        self.account_id = self.fake.add_account(payouts_enabled=True)
        PayoutAccount.objects.filter(organisation=self.p.owner_org).update(
            gateway="stripe", account_id=self.account_id, payouts_enabled=True, requirements=[]
        )
        self.unpaid: list[Lease] = []
        self.paid: list[Lease] = []
        self.seen = 0  # events already given their 0–3 deliveries
        self.n = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- helpers -----------------------------------------------------------------------------------

    def inject(self, fault) -> None:
        if fault is None:
            return
        kind, value = fault
        if kind == "fail":
            self.fake.fail_next(status=value)
        else:
            self.fake.timeout_next(applied=value)

    def retrying(self, fault, call):
        """Call with ``fault`` injected; on GatewayUnavailable, retry once as the user or sweep would."""
        self.inject(fault)
        try:
            return call()
        except GatewayUnavailable:
            self.fake.clear_faults()
            return call()
        finally:
            self.fake.clear_faults()

    def deliver(self, event: dict, *, fresh_id: bool = False) -> None:
        """One delivery through the signature check; a handler that met a processor fault answers
        500 and Stripe delivers again."""
        if fresh_id:
            self.n += 1
            event = {**event, "id": f"{event['id']}_re{self.n}"}
        payload, signature = self.fake.webhook(event)
        verified = self.gateway.webhook_event(payload=payload, signature=signature)
        with after_commit():
            try:
                webhook_process(event=verified)
            except GatewayUnavailable:
                self.fake.clear_faults()
                webhook_process(event=verified)

    def flush(self, data, *, required: frozenset[str] = frozenset()) -> None:
        """Give every new event 0–3 deliveries (1–3 for ``required`` types), in any order."""
        while self.seen < len(self.fake.events):
            new = self.fake.events[self.seen :]
            self.seen = len(self.fake.events)
            deliveries = []
            for event in new:
                low = 1 if event["type"] in required | PROCESSOR_ONLY else 0
                deliveries += [event] * data.draw(st.integers(low, 3), label=f"deliveries of {event['type']}")
            for event in data.draw(st.permutations(deliveries), label="order"):
                self.deliver(event)

    def escrow(self, lease: Lease, *, lock: bool = False) -> Escrow:
        rows = Escrow.objects.select_for_update() if lock else Escrow.objects
        return rows.get(lease=lease)

    def charge_id(self, lease: Lease) -> str:
        return Payment.objects.get(escrow__lease=lease, status=PaymentStatus.SUCCEEDED).charge_id

    def upfront(self) -> list[Lease]:
        """Paid leases the generic money steps may move freely: those paid up front in one charge (a
        lease billed monthly moves its money by its schedule: the monthly steps below)."""
        return [lease for lease in self.paid if lease.billing == Billing.UPFRONT]

    def monthly(self, *states: str) -> list[Lease]:
        leases = [lease for lease in self.paid if lease.billing == Billing.MONTHLY]
        if states:
            leases = [lease for lease in leases if Lease.objects.get(pk=lease.pk).state in states]
        return leases

    def due(self, lease: Lease) -> Instalment | None:
        return lease.instalments.filter(status=InstalmentStatus.DUE).order_by("sequence").first()

    def execute(self, fault, *, payout=None, refund=None) -> None:
        self.inject(fault)
        with after_commit():
            if payout is not None:
                payout_execute(payout=payout)
            if refund is not None:
                refund_execute(refund=refund)
        self.fake.clear_faults()
        with after_commit():  # the sweeps retry what failed
            payouts_retry()
            refunds_retry()

    # -- rules -------------------------------------------------------------------------------------

    @initialize(data=st.data(), fault=FAULTS)
    def a_paid_lease(self, data, fault) -> None:
        """Every run starts with one paid lease, so the steps have money to move."""
        self.new_lease()
        self.pay(data=data, card="pm_card_visa", fault=fault, finish="browser")

    @precondition(lambda self: len(self.unpaid) + len(self.paid) < 3)
    @rule(monthly=st.booleans())
    def new_lease(self, monthly: bool = False) -> None:
        with after_commit():
            if monthly:  # 100 days, billed month by month: four instalments
                lease = services.lease_request(
                    listing=self.p.listing,
                    exporter=self.p.exporter_org,
                    by=self.p.exporter,
                    start=days_from_now(3),
                    end=days_from_now(102),
                    quantity=1,
                    goods_description="Fuzz",
                    billing=Billing.MONTHLY,
                )
            else:
                lease = self.p.request(quantity=1)
            if lease.state == S.REQUESTED:
                services.lease_accept(lease=lease, by=self.p.owner)
        self.unpaid.append(lease)

    @precondition(lambda self: self.unpaid)
    @rule(
        data=st.data(),
        card=st.sampled_from(["pm_card_visa", "pm_card_chargeDeclined", "3ds_ok", "3ds_fail"]),
        fault=FAULTS,
        finish=st.sampled_from(["browser", "webhook", "both"]),
    )
    def pay(self, data, card, fault, finish) -> None:
        lease = data.draw(st.sampled_from(self.unpaid), label="lease")
        method = "pm_card_authenticationRequired" if card.startswith("3ds") else card
        try:
            with after_commit():
                payment = self.retrying(fault, lambda: self.p.pay(lease, payment_method=method))
        except PaymentDeclined:
            self.flush(data)
            return
        event(f"pay: {payment.status}")
        if payment.status == PaymentStatus.REQUIRES_ACTION:
            self.fake.authenticate(payment.processor_id, succeed=card == "3ds_ok")
            if finish in ("browser", "both"):
                try:
                    with after_commit():
                        services.lease_pay_finalize(lease=lease, by=self.p.exporter, payment_id=payment.processor_id)
                except PaymentDeclined:
                    pass
            required = frozenset({"payment_intent.succeeded"}) if finish == "webhook" else frozenset()
            self.flush(data, required=required)
        else:
            self.flush(data)
        if Payment.objects.filter(escrow__lease=lease, status=PaymentStatus.SUCCEEDED).exists():
            self.unpaid.remove(lease)
            self.paid.append(lease)

    @precondition(lambda self: self.upfront())
    @rule(data=st.data(), fraction=FRACTIONS, fault=FAULTS)
    def release(self, data, fraction, fault) -> None:
        lease = data.draw(st.sampled_from(self.upfront()), label="lease")
        try:
            with after_commit(), transaction.atomic():
                escrow = self.escrow(lease, lock=True)
                part = quantize(ledger.escrow_held(escrow) * fraction, escrow.currency)
                if part <= 0:
                    return
                fee = quantize(part * Decimal("0.1"), escrow.currency)
                payout = escrow_release(
                    escrow=escrow,
                    owner=self.p.owner_org,
                    owner_amount=part - fee,
                    platform_fee=fee,
                    sequence=escrow.payouts.count() + 1,
                )
        except EscrowError as error:
            if error.code != "escrow_frozen" or not self.escrow(lease).frozen:
                raise
            event("release refused: escrow frozen")
            return
        self.execute(fault, payout=payout)
        event(f"payout {Payout.objects.get(pk=payout.pk).status}")
        self.flush(data)

    @precondition(lambda self: self.upfront())
    @rule(data=st.data(), fraction=FRACTIONS, fault=FAULTS)
    def refund(self, data, fraction, fault) -> None:
        lease = data.draw(st.sampled_from(self.upfront()), label="lease")
        self.n += 1
        with after_commit(), transaction.atomic():
            escrow = self.escrow(lease, lock=True)
            amount = quantize(ledger.escrow_held(escrow) * fraction, escrow.currency)
            if amount <= 0:
                return
            refund = escrow_refund(
                escrow=escrow,
                exporter=lease.exporter,
                amount=amount,
                reason="fuzz",
                key=f"escrow:{escrow.pk}:refund:fuzz:{self.n}",
            )
        self.execute(fault, refund=refund)
        self.flush(data)

    @precondition(lambda self: self.upfront())
    @rule(data=st.data(), fraction=FRACTIONS, fault=FAULTS)
    def split(self, data, fraction, fault) -> None:
        """What is held, split: the owner's part released (less the fee), the rest refunded."""
        lease = data.draw(st.sampled_from(self.upfront()), label="lease")
        self.n += 1
        try:
            with after_commit(), transaction.atomic():
                escrow = self.escrow(lease, lock=True)
                held = ledger.escrow_held(escrow)
                owner_part = quantize(held * fraction, escrow.currency)
                exporter_part = held - owner_part
                if owner_part <= 0 or exporter_part <= 0:
                    return
                refund = escrow_refund(
                    escrow=escrow,
                    exporter=lease.exporter,
                    amount=exporter_part,
                    reason="split",
                    key=f"escrow:{escrow.pk}:split:{self.n}:refund",
                )
                fee = quantize(owner_part * Decimal("0.1"), escrow.currency)
                payout = escrow_release(
                    escrow=escrow,
                    owner=self.p.owner_org,
                    owner_amount=owner_part - fee,
                    platform_fee=fee,
                    sequence=escrow.payouts.count() + 1,
                )
        except EscrowError as error:
            if error.code != "escrow_frozen":
                raise
            return
        self.execute(fault, payout=payout, refund=refund)
        self.flush(data)

    @precondition(lambda self: self.upfront())
    @rule(data=st.data())
    def chargeback_open(self, data) -> None:
        lease = data.draw(st.sampled_from(self.upfront()), label="lease")
        charge_id = self.charge_id(lease)
        charge = self.fake.get(charge_id)
        if charge["disputed"] or charge["amount"] == charge["amount_refunded"]:
            return  # one dispute per charge; nothing left to dispute
        self.fake.dispute_create(charge_id)
        self.flush(data)

    @precondition(lambda self: any(d["status"] == "needs_response" for d in self.fake.disputes))
    @rule(data=st.data(), outcome=st.sampled_from(["won", "lost"]), fee_returned=st.booleans(), fault=FAULTS)
    def chargeback_close(self, data, outcome, fee_returned, fault) -> None:
        dispute = data.draw(st.sampled_from([d for d in self.fake.disputes if d["status"] == "needs_response"]))
        self.fake.dispute_fee_returned_on_win = fee_returned  # Stripe's rule differs by region and time
        self.fake.dispute_close(dispute["id"], outcome)
        self.inject(fault)  # meets whatever processor call comes first (a refund replay, a reversal …)
        self.flush(data)
        self.fake.clear_faults()
        with after_commit():
            chargebacks_recover()  # the sweep retries a reversal that met the fault
        self.flush(data)
        chargeback = Chargeback.objects.filter(dispute_id=dispute["id"]).first()
        event(f"chargeback {chargeback.status if chargeback else 'unknown'}, reversals {self.fake.reversals != []}")

    @rule(data=st.data(), enabled=st.booleans())
    def owner_account(self, data, enabled) -> None:
        self.fake.account_set(self.account_id, payouts_enabled=enabled)
        self.flush(data)

    @rule(data=st.data())
    def sweeps(self, data) -> None:
        with after_commit():
            payouts_retry()
            refunds_retry()
            chargebacks_recover()
        self.flush(data)

    @precondition(lambda self: self.fake.events)
    @rule(data=st.data(), fault=FAULTS)
    def replay(self, data, fault) -> None:
        """Any earlier events again, in any order: by the same id, or the same change under a new id."""
        events = data.draw(st.lists(st.sampled_from(self.fake.events), min_size=1, max_size=5), label="events")
        self.inject(fault)
        for event in events:
            self.deliver(event, fresh_id=data.draw(st.booleans(), label="fresh id"))
        self.fake.clear_faults()
        self.flush(data)

    # -- monthly billing (#18) -----------------------------------------------------------------------

    @precondition(lambda self: self.monthly(S.FUNDED))
    @rule(
        data=st.data(),
        saved=st.sampled_from([None, None, "card_declined", "authentication_required"]),
        fault=FAULTS,
        tries=st.integers(1, 3),
    )
    def charge_month(self, data, saved, fault, tries) -> None:
        """The sweep's off-session charge of the next month, ``tries`` times (its retries), on the saved
        card as it is now (working, declined, or wanting authentication), a processor fault on the first
        request; an unknown outcome is resent by the next sweep (here at once)."""
        lease = data.draw(st.sampled_from(self.monthly(S.FUNDED)), label="lease")
        instalment = self.due(lease)
        if instalment is None:
            return
        profile = BillingProfile.objects.get(organisation_id=lease.exporter_id)
        self.fake.card_fail(profile.payment_method, saved)
        late = warehouse_midnight(lease.listing.warehouse, instalment.start - timedelta(days=1))
        for attempt in range(tries):
            self.inject(fault if attempt == 0 else None)
            with after_commit():
                services.instalment_charge(instalment, now=late)
            self.fake.clear_faults()
            if Payment.objects.filter(escrow__lease=lease, status=PaymentStatus.UNKNOWN).exists():
                with after_commit():
                    services.instalment_charge(instalment, now=late)
            self.flush(data)
        self.fake.card_fail(profile.payment_method, None)
        instalment.refresh_from_db()
        event(f"charge month: {instalment.status} after {instalment.charge_tries} tries, card {saved}")

    @precondition(lambda self: self.monthly(S.FUNDED))
    @rule(data=st.data(), card=st.sampled_from(["pm_card_visa", "3ds_ok", "3ds_fail"]), fault=FAULTS)
    def pay_month_by_hand(self, data, card, fault) -> None:
        lease = Lease.objects.get(pk=data.draw(st.sampled_from(self.monthly(S.FUNDED)), label="lease").pk)
        if self.due(lease) is None:
            return
        method = "pm_card_authenticationRequired" if card.startswith("3ds") else card
        try:
            with after_commit():
                payment = self.retrying(
                    fault, lambda: services.instalment_pay(lease=lease, by=self.p.exporter, payment_method=method)
                )
        except PaymentDeclined:
            self.flush(data)
            return
        if payment.status == PaymentStatus.REQUIRES_ACTION:
            self.fake.authenticate(payment.processor_id, succeed=card == "3ds_ok")
            try:
                with after_commit():
                    services.lease_pay_finalize(lease=lease, by=self.p.exporter, payment_id=payment.processor_id)
            except PaymentDeclined:
                pass
        event(f"pay month by hand: {Payment.objects.get(pk=payment.pk).status}")
        self.flush(data, required=frozenset({"payment_intent.succeeded"}))

    @precondition(lambda self: self.monthly(S.FUNDED))
    @rule(data=st.data())
    def month_unpaid_at_its_start(self, data) -> None:
        """The deadline: the next month is still unpaid when it begins; the lease ends the day before."""
        lease = data.draw(st.sampled_from(self.monthly(S.FUNDED)), label="lease")
        with after_commit(), transaction.atomic():
            locked = lease_lock(lease)
            instalment = self.due(locked.lease)
            if instalment is None:
                return
            services.lease_shorten(locked.lease, instalment)
        event("lease shortened")
        self.flush(data)

    @precondition(lambda self: self.monthly(S.FUNDED))
    @rule(data=st.data(), fault=FAULTS)
    def release_months(self, data, fault) -> None:
        """Every month escrow holds released to the owner, each from its own month's charge."""
        lease = data.draw(st.sampled_from(self.monthly(S.FUNDED)), label="lease")
        self.inject(fault)
        try:
            with after_commit(), transaction.atomic():
                locked = lease_lock(lease)
                assert locked.escrow is not None
                schedule.instalments_release_due(lease=locked.lease, escrow=locked.escrow, today=date.max)
        except EscrowError as error:
            if error.code != "escrow_frozen":
                raise
        self.fake.clear_faults()
        with after_commit():
            payouts_retry()
        self.flush(data)

    @precondition(lambda self: self.monthly(S.FUNDED))
    @rule(data=st.data(), fault=FAULTS)
    def cancel_monthly(self, data, fault) -> None:
        """The exporter cancels: each month held refunded by the policy to the card that paid it."""
        lease = data.draw(st.sampled_from(self.monthly(S.FUNDED)), label="lease")
        self.inject(fault)
        with after_commit():
            services.lease_cancel(lease=lease, by=self.p.exporter, side="exporter")
        self.fake.clear_faults()
        with after_commit():
            refunds_retry()
            payouts_retry()
        event("monthly lease cancelled")
        self.flush(data)

    @invariant()
    def no_month_is_taken_twice(self) -> None:
        for lease in self.monthly():
            lease = Lease.objects.get(pk=lease.pk)
            payments = Payment.objects.filter(escrow__lease=lease)
            for instalment in lease.instalments.all():
                n = instalment.sequence
                succeeded = payments.filter(instalment=n, status=PaymentStatus.SUCCEEDED)
                if instalment.status in (InstalmentStatus.SCHEDULED, InstalmentStatus.RELEASED):
                    assert succeeded.count() == 1, (lease.pk, n, instalment.status)
                if instalment.status == InstalmentStatus.DUE:
                    assert not succeeded.exists(), (lease.pk, n)
                taken = [
                    c
                    for c in self.fake.succeeded_charges
                    if c["transfer_group"] == f"lease_{lease.pk}" and int(c["metadata"].get("instalment", "1")) == n
                ]
                recorded = payments.filter(instalment=n, status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.DUPLICATE])
                assert len(taken) == recorded.count(), (lease.pk, n, len(taken), recorded.count())
                for payment in recorded.exclude(status=PaymentStatus.SUCCEEDED):
                    assert Refund.objects.filter(payment=payment, amount=payment.amount).exists()
                if instalment.status == InstalmentStatus.CANCELLED and lease.state != S.CANCELLED:
                    for payment in succeeded:  # paid after the lease was shortened: refunded in full
                        assert Refund.objects.filter(payment=payment, amount=payment.amount).exists()

    @invariant()
    def the_books_agree(self) -> None:
        totals = ledger.ledger_totals()
        assert all(total == 0 for total in totals.values()), totals
        balances: dict[str, Decimal] = defaultdict(Decimal)
        for account, amount in LedgerEntry.objects.values_list("account", "amount"):
            balances[account] += amount  # summed in Python: exact on SQLite too
        negative_escrow = {a: b for a, b in balances.items() if a.startswith("escrow:") and b > 0}
        assert not negative_escrow, negative_escrow
        negative_receivable = {a: b for a, b in balances.items() if a.startswith("receivable:owner:") and b < 0}
        assert not negative_receivable, negative_receivable
        assert not LedgerEntry.objects.exclude(currency=F("posting__currency")).exists()
        for chargeback in Chargeback.objects.exclude(status=ChargebackStatus.OPEN).select_related("escrow"):
            assert ledger.account_balance(f"chargeback:lease:{chargeback.escrow.lease_id}", "EUR") == 0
        assert to_minor(ledger.account_balance(ledger.GATEWAY, "EUR"), "EUR") == self.fake.balance("eur")
        differences = escrow_reconcile_all()
        assert differences == [], [str(d) for d in differences]

    @invariant()
    def nothing_is_left_half_done(self) -> None:
        """Every processor outcome that is unknown was retried to a definite one within its step."""
        assert not Payment.objects.filter(status=PaymentStatus.UNKNOWN).exists()
        assert not PayoutAccount.objects.filter(gateway="simulated").exists()


@pytest.fixture
def machine(monkeypatch, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test"
    holder: dict = {}
    monkeypatch.setattr("escrow.gateways.gateway_for", lambda name: holder["gateway"])
    EscrowMachine.parties = Parties()
    EscrowMachine.holder = holder
    return EscrowMachine


def test_escrow_state_machine(machine):
    SEEN.clear()
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            database=None,
        ),
    )
    print("\nescrow state machine exercised:", dict(sorted(SEEN.items())))

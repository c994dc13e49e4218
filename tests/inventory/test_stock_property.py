"""Acceptance 1: a Hypothesis state machine over the stock services.

Steps: receipts, adjustments (found, lost, damaged), orders (ship, pick-up, removal) created and
accepted, picked, shipped, delivered, cancelled or refused, and moves between two leases. A model
predicts whether each step succeeds; the services must agree. After every step: on hand equals the
sum of the movements and is never negative, held equals the lines of the orders holding stock, an
order's shipped units equal its lines once shipped (and are 0 before), and the levels equal the
model's (nothing counted twice).

CI runs STOCK_FUZZ_EXAMPLES=25 (the default); ``make stock-fuzz`` runs 250.
"""

import os
from collections import defaultdict

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from common.exceptions import ApplicationError
from inventory import services
from inventory.choices import HOLDING_STATUSES, MovementKind, OrderStatus
from inventory.models import OutboundLine, OutboundOrder, Product, StockLevel, StockMovement
from leasing.choices import LeaseState
from tests.leasing.factories import Parties

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("STOCK_FUZZ_EXAMPLES", "25"))
STEPS = int(os.environ.get("STOCK_FUZZ_STEPS", "20"))
OS = OrderStatus
UNITS = st.integers(min_value=1, max_value=25)
# step -> (statuses it is taken from, status it leads to)
STEPS_TABLE = {
    "accept": ((OS.REQUESTED,), OS.ACCEPTED),
    "pick": ((OS.ACCEPTED,), OS.PICKED),
    "ship": ((OS.PICKED,), OS.SHIPPED),
    "deliver": ((OS.SHIPPED,), OS.DELIVERED),
    "cancel": ((OS.REQUESTED, OS.ACCEPTED), OS.CANCELLED),
    "refuse": ((OS.REQUESTED, OS.ACCEPTED, OS.PICKED), OS.REFUSED),
}


class StockMachine(RuleBasedStateMachine):
    p: Parties
    leases: list
    products: list

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.on_hand: dict[tuple[int, int], int] = defaultdict(int)
        self.held: dict[tuple[int, int], int] = defaultdict(int)
        for level in StockLevel.objects.all():
            self.on_hand[(level.lease_id, level.product_id)] = level.on_hand
        self.orders: dict[int, dict] = {}

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- the model ---------------------------------------------------------------------------------

    def available(self, key: tuple[int, int]) -> int:
        return self.on_hand[key] - self.held[key]

    def on_order(self, key: tuple[int, int]) -> int:
        lease_id, product_id = key
        return sum(
            order["lines"].get(product_id, 0)
            for order in self.orders.values()
            if order["lease"] == lease_id and order["status"] in (OS.REQUESTED, OS.ACCEPTED, OS.PICKED)
        )

    def attempt(self, expected: bool, call) -> bool:
        """Run ``call`` in a savepoint; it must succeed exactly when the model says so."""
        refused: ApplicationError | None = None
        try:
            with transaction.atomic():
                call()
        except ApplicationError as error:
            refused = error
        assert (refused is None) == expected, f"model: {expected}; service: {refused and refused.as_json()}"
        return refused is None

    # -- steps --------------------------------------------------------------------------------------

    @rule(lease=st.integers(0, 1), product=st.integers(0, 2), units=UNITS)
    def receive(self, lease, product, units):
        lease, product = self.leases[lease], self.products[product]
        with transaction.atomic():
            services.movement_write(lease=lease, product=product, kind=MovementKind.RECEIVED, quantity=units, by=None)
        self.on_hand[(lease.pk, product.pk)] += units

    @rule(
        lease=st.integers(0, 1),
        product=st.integers(0, 2),
        kind=st.sampled_from(["found", "lost", "damaged"]),
        units=UNITS,
    )
    def adjust(self, lease, product, kind, units):
        lease, product = self.leases[lease], self.products[product]
        key = (lease.pk, product.pk)
        expected = kind == "found" or self.available(key) >= units

        def call():
            services.stock_adjust(
                lease=lease, product=product, by=self.p.owner, kind=kind, quantity=units, reason="count"
            )

        if self.attempt(expected, call):
            self.on_hand[key] += units if kind == "found" else -units

    @rule(
        lease=st.integers(0, 1),
        lines=st.dictionaries(st.integers(0, 2), UNITS, min_size=1, max_size=3),
        kind=st.sampled_from(["ship", "pickup"]),
    )
    def create(self, lease, lines, kind):
        lease = self.leases[lease]
        wanted = {self.products[i]: units for i, units in lines.items()}
        has_goods = sum(v for (lid, _p), v in self.on_hand.items() if lid == lease.pk) > 0
        expected = has_goods and all(
            units <= self.on_hand[(lease.pk, product.pk)] - self.on_order((lease.pk, product.pk))
            for product, units in wanted.items()
        )
        made = []

        def call():
            made.append(
                services.order_create(
                    lease=lease,
                    by=self.p.exporter,
                    kind=kind,
                    lines=list(wanted.items()),
                    consignee_name="C",
                    consignee_address="A",
                    consignee_country="DE",
                    consignee_phone="1",
                )
            )

        if self.attempt(expected, call):
            self.orders[made[0].pk] = {
                "lease": lease.pk,
                "lines": {product.pk: units for product, units in wanted.items()},
                "status": OS.REQUESTED,
            }

    @rule(lease=st.integers(0, 1))
    def removal(self, lease):
        lease = self.leases[lease]
        left = {
            pid: self.on_hand[(lid, pid)] - self.on_order((lid, pid))
            for (lid, pid) in list(self.on_hand)
            if lid == lease.pk and self.on_hand[(lid, pid)] - self.on_order((lid, pid)) > 0
        }
        made = []

        def call():
            made.append(services.order_create(lease=lease, by=self.p.exporter, kind="removal", lines=[]))

        if self.attempt(bool(left), call):
            self.orders[made[0].pk] = {"lease": lease.pk, "lines": left, "status": OS.REQUESTED}

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 10_000), step=st.sampled_from(sorted(STEPS_TABLE)))
    def order_step(self, pick, step):
        order_id = sorted(self.orders)[pick % len(self.orders)]
        model = self.orders[order_id]
        order = OutboundOrder.objects.get(pk=order_id)
        sources, to = STEPS_TABLE[step]
        keys = {pid: (model["lease"], pid) for pid in model["lines"]}
        expected = model["status"] in sources
        if step == "accept" and expected:
            expected = all(self.available(keys[pid]) >= units for pid, units in model["lines"].items())
        calls = {
            "accept": lambda: services.order_accept(order=order, by=self.p.owner),
            "pick": lambda: services.order_pick(order=order, by=self.p.owner),
            "ship": lambda: services.order_ship(order=order, by=self.p.owner, carrier="DHL", tracking_number="1"),
            "deliver": lambda: services.order_deliver(order=order, by=self.p.exporter),
            "cancel": lambda: services.order_cancel(order=order, by=self.p.exporter),
            "refuse": lambda: services.order_refuse(order=order, by=self.p.owner, reason="no"),
        }
        if not self.attempt(expected, calls[step]):
            return
        holding_before = model["status"] in HOLDING_STATUSES
        for pid, units in model["lines"].items():
            if step == "accept":
                self.held[keys[pid]] += units
            elif step == "ship":
                self.held[keys[pid]] -= units
                self.on_hand[keys[pid]] -= units
            elif step in ("cancel", "refuse") and holding_before:
                self.held[keys[pid]] -= units
        model["status"] = to

    @rule(source=st.integers(0, 1), product=st.integers(0, 2), units=UNITS)
    def move(self, source, product, units):
        from_lease, to_lease = self.leases[source], self.leases[1 - source]
        product = self.products[product]
        key = (from_lease.pk, product.pk)
        expected = self.available(key) >= units

        def call():
            services.stock_move(
                from_lease=from_lease,
                to_lease=to_lease,
                quantities={product.pk: units},
                by=None,
                kind_reason="extension",
            )

        if self.attempt(expected, call):
            self.on_hand[key] -= units
            self.on_hand[(to_lease.pk, product.pk)] += units

    # -- what must always hold ------------------------------------------------------------------

    @invariant()
    def ledger_matches_levels_and_model(self):
        sums = {
            (row["lease_id"], row["product_id"]): row["total"]
            for row in StockMovement.objects.values("lease_id", "product_id").annotate(total=Sum("quantity"))
        }
        holding = defaultdict(int)
        for line in OutboundLine.objects.filter(order__status__in=HOLDING_STATUSES).select_related("order"):
            holding[(line.order.lease_id, line.product_id)] += line.quantity
        for level in StockLevel.objects.all():
            key = (level.lease_id, level.product_id)
            assert level.on_hand == sums.get(key, 0) >= 0, key
            assert 0 <= level.held <= level.on_hand, key
            assert level.held == holding[key], key
            assert (level.on_hand, level.held) == (self.on_hand[key], self.held[key]), key

    @invariant()
    def shipped_units_are_the_ordered_units_once(self):
        out = defaultdict(int)
        for movement in StockMovement.objects.exclude(order=None):
            assert movement.kind in (MovementKind.SHIPPED, MovementKind.REMOVED)
            out[(movement.order_id, movement.product_id)] -= movement.quantity
        for order_id, model in self.orders.items():
            done = model["status"] in (OS.SHIPPED, OS.DELIVERED)
            for pid, units in model["lines"].items():
                assert out.pop((order_id, pid), 0) == (units if done else 0)
        assert not out  # no movement of an order the model does not know


@pytest.fixture
def machine():
    p = Parties(capacity=100)
    first = p.lease_in(LeaseState.ACTIVE)
    second = p.lease_in(LeaseState.ACTIVE)
    extra = services.product_create(organisation=p.exporter_org, by=p.exporter, sku="EXTRA-1", description="Extra")
    StockMachine.p = p
    StockMachine.leases = [first, second]
    StockMachine.products = [*Product.objects.filter(sku__in=["CH-1", "TB-1"]).order_by("sku"), extra]
    return StockMachine


def test_stock_state_machine(machine):
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

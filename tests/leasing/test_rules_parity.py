"""The page offers an action exactly when the service accepts it: every lease state × side × action.

For each lease state (and the variants that matter: started, part of the goods in, the dispute
window closed, a long lease) and each side, the lease page's offered actions (``lease_detail_get``)
and the API's ``actions`` (``rules.lease_allowed``) are compared with what the real service does
when that side tries each action, in a savepoint rolled back after each try.
"""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from leasing import rules, services, transfers
from leasing.choices import Billing
from leasing.choices import LeaseState as S
from leasing.models import Instalment, Lease
from leasing.selectors import exporter_dashboard_get, exporter_next_action, lease_detail_get, lease_detail_queryset
from tests.helpers import service_accepts
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now
from trust import services as trust_services
from trust.lease_pages import dispute_kind

pytestmark = pytest.mark.django_db


def _announce(p: Parties, lease: Lease, by=None) -> None:
    services.shipment_announce(
        lease=lease,
        by=by or p.exporter,
        carrier="Maersk",
        tracking_number=f"MSK{lease.pk}X",
        eta=days_from_now(2),
        lines=[services.DeclaredLine(description="Tables", quantity=lease.quantity)],
    )


def _part_in(p: Parties) -> Lease:
    """Funded, two shipments announced, the first checked in."""
    lease = p.lease_in(S.FUNDED)
    _announce(p, lease)
    _announce(p, lease)
    first = lease.shipments.order_by("pk").first()
    for status in ("in_transit", "arrived"):
        services.shipment_mark(shipment=first, by=p.owner, status=status)
    services.checkin_record(shipment=first, by=p.owner, received={line.pk: line.quantity for line in first.lines.all()})
    return Lease.objects.get(pk=lease.pk)


def _announced(p: Parties) -> Lease:
    lease = p.lease_in(S.FUNDED)
    _announce(p, lease)
    return lease


def _window_closed(p: Parties) -> Lease:
    lease = p.lease_in(S.CHECKED_IN)
    Lease.objects.filter(pk=lease.pk).update(confirm_by=timezone.now() - timedelta(minutes=1))
    return Lease.objects.get(pk=lease.pk)


def _monthly(p: Parties, state: str, *, start_in: int = 3) -> Lease:
    """A 100-day lease billed monthly (issue #18), walked to ``state``."""
    lease = services.lease_request(
        listing=p.listing,
        exporter=p.exporter_org,
        by=p.exporter,
        start=days_from_now(start_in),
        end=days_from_now(start_in + 99),
        quantity=2,
        goods_description="Garden furniture",
        billing=Billing.MONTHLY,
    )
    return p.walker.walk(lease, state)


def _monthly_all_paid(p: Parties) -> Lease:
    lease = _monthly(p, S.ACTIVE)
    for _ in range(3):
        services.instalment_pay(lease=Lease.objects.get(pk=lease.pk), by=p.exporter, payment_method="pm_card_visa")
    return Lease.objects.get(pk=lease.pk)


def _monthly_month_begun(p: Parties) -> Lease:
    """Month 2 has begun unpaid (the shortening sweep has not run yet): too late to pay it."""
    lease = _monthly(p, S.ACTIVE)
    shift = timedelta(days=40)
    Lease.objects.filter(pk=lease.pk).update(start=F("start") - shift, end=F("end") - shift)
    Instalment.objects.filter(lease=lease).update(start=F("start") - shift, end=F("end") - shift)
    return Lease.objects.get(pk=lease.pk)


def _transferred(p: Parties) -> Lease:
    lease = p.lease_in(S.ACTIVE)
    Lease.objects.filter(pk=lease.pk).update(state=S.TRANSFERRED)
    return Lease.objects.get(pk=lease.pk)


SCENARIOS: dict[str, Callable[[Parties], Lease]] = {
    "requested": lambda p: p.request(),
    "accepted": lambda p: p.lease_in(S.ACCEPTED),
    "declined": lambda p: p.lease_in(S.DECLINED),
    "expired": lambda p: p.lease_in(S.EXPIRED),
    "cancelled": lambda p: p.lease_in(S.CANCELLED),
    "funded": lambda p: p.lease_in(S.FUNDED),
    "funded, started": lambda p: p.lease_in(S.FUNDED, start=days_from_now(0)),
    "funded, part in": _part_in,
    "funded, announced": _announced,
    "checked in": lambda p: p.lease_in(S.CHECKED_IN),
    "checked in, window closed": _window_closed,
    "disputed": lambda p: p.lease_in(S.DISPUTED),
    "active": lambda p: p.lease_in(S.ACTIVE),
    "active, 60 days": lambda p: p.lease_in(S.ACTIVE, end=days_from_now(62)),
    "completed": lambda p: p.lease_in(S.COMPLETED),
    "transferred": _transferred,
    "monthly, accepted": lambda p: _monthly(p, S.ACCEPTED),
    "monthly, funded": lambda p: _monthly(p, S.FUNDED),
    "monthly, active": lambda p: _monthly(p, S.ACTIVE),
    "monthly, all paid": _monthly_all_paid,
    "monthly, month 2 begun unpaid": _monthly_month_begun,
}


def _attempts(p: Parties, side: str) -> dict[str, Callable[[Lease], object]]:
    """Each lease-level action as the side's own user would take it, with valid input."""
    by = p.owner if side == rules.OWNER else p.exporter
    organisation = p.owner_org if side == rules.OWNER else p.exporter_org
    return {
        "accept": lambda lease: services.lease_accept(lease=lease, by=by),
        "decline": lambda lease: services.lease_decline(lease=lease, by=by, reason="Full that week"),
        "withdraw": lambda lease: services.lease_withdraw(lease=lease, by=by),
        "pay": lambda lease: services.lease_pay(lease=lease, by=by, payment_method="pm_card_visa"),
        "pay_instalment": lambda lease: services.instalment_pay(lease=lease, by=by, payment_method="pm_card_visa"),
        "announce": lambda lease: _announce(p, lease, by),
        "confirm": lambda lease: services.lease_confirm(lease=lease, by=by),
        "dispute": lambda lease: trust_services.dispute_open(
            lease=lease, by=by, reason="Cartons crushed", kind=dispute_kind(lease), organisation=organisation
        ),
        "cancel": lambda lease: services.lease_cancel(lease=lease, by=by, side=side),
        "extend": lambda lease: services.lease_extend(lease=lease, by=by, end=lease.end + timedelta(days=10)),
        "transfer": lambda lease: transfers.transfer_offer(
            lease=lease, by=by, quantity=1, start=rules.transfer_earliest(lease), price=Decimal("5.00")
        ),
    }


def _offered(lease: Lease, p: Parties, side: str) -> dict[str, bool]:
    organisation = p.owner_org if side == rules.OWNER else p.exporter_org
    page_lease = lease_detail_queryset(organisation=organisation).get(pk=lease.pk)
    detail = lease_detail_get(lease=page_lease, organisation=organisation)
    actions, changes = detail.actions, detail.changes
    return {
        "accept": actions.accept,
        "decline": actions.decline,
        "withdraw": actions.withdraw,
        "pay": actions.pay,
        "pay_instalment": actions.pay_instalment,
        "announce": actions.announce,
        "confirm": actions.confirm or actions.confirm_arrived,
        "dispute": actions.dispute,
        "cancel": changes.cancel == side,
        "extend": changes.extend,
        "transfer": changes.transfer,
    }


def test_every_lease_action_is_in_the_rules_table():
    assert set(rules.LEASE_ACTIONS) == set(_attempts(Parties(), rules.OWNER))


@pytest.mark.parametrize("side", rules.SIDES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_page_offers_an_action_exactly_when_the_service_accepts_it(scenario, side):
    p = Parties()
    lease = SCENARIOS[scenario](p)
    offered = _offered(lease, p, side)
    api = set(rules.lease_allowed(Lease.objects.get(pk=lease.pk), side))
    mismatches = []
    for action, attempt in _attempts(p, side).items():
        accepted, refusal = service_accepts(lambda attempt=attempt: attempt(Lease.objects.get(pk=lease.pk)))
        if offered[action] != accepted or (action in api) != accepted:
            mismatches.append(f"{action}: page {offered[action]}, api {action in api}, service {accepted} {refusal}")
    assert mismatches == [], f"{scenario} as {side}"


@pytest.mark.parametrize("side", rules.SIDES)
@pytest.mark.parametrize("scenario", ["funded, part in", "funded, announced", "active", "cancelled"])
def test_shipment_steps_are_offered_exactly_when_the_service_accepts_them(scenario, side):
    p = Parties()
    lease = SCENARIOS[scenario](p)
    organisation = p.owner_org if side == rules.OWNER else p.exporter_org
    by = p.owner if side == rules.OWNER else p.exporter
    detail = lease_detail_get(
        lease=lease_detail_queryset(organisation=organisation).get(pk=lease.pk), organisation=organisation
    )
    marks = {shipment.pk for shipment, _status, _label in detail.actions.mark}
    check_ins = {shipment.pk for shipment in detail.actions.check_in}
    mismatches = []
    for shipment in lease.shipments.all():
        status = rules.mark_next(shipment) or "arrived"
        accepted, refusal = service_accepts(
            lambda shipment=shipment, status=status: services.shipment_mark(shipment=shipment, by=by, status=status)
        )
        if (shipment.pk in marks) != accepted:
            mismatches.append(f"mark {shipment.status}: page {shipment.pk in marks}, service {accepted} {refusal}")
        received = {line.pk: line.quantity for line in shipment.lines.all()}
        accepted, refusal = service_accepts(
            lambda shipment=shipment, received=received: services.checkin_record(
                shipment=shipment, by=by, received=received
            )
        )
        if (shipment.pk in check_ins) != accepted:
            mismatches.append(
                f"check in {shipment.status}: page {shipment.pk in check_ins}, service {accepted} {refusal}"
            )
    assert mismatches == [], f"{scenario} as {side}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_dashboard_button_is_the_first_step_the_service_accepts(scenario):
    """The exporter's dashboard row offers pay, confirm or announce exactly when the service takes
    it, and the row is listed under "needs you" exactly when it has a button."""
    p = Parties()
    lease = SCENARIOS[scenario](p)
    dashboard = exporter_dashboard_get(organisation=p.exporter_org)
    todo = {row.pk for row in dashboard.todo}
    row = next(row for rows in (dashboard.todo, dashboard.open, dashboard.closed) for row in rows if row.pk == lease.pk)
    attempts = _attempts(p, rules.EXPORTER)
    expected = ""
    for action, name in (("pay", "leasing:lease_pay"), ("confirm", "leasing:lease_detail")):
        if service_accepts(lambda action=action: attempts[action](Lease.objects.get(pk=lease.pk)))[0]:
            expected = reverse(name, args=[lease.pk])
            break
    else:
        announce = service_accepts(lambda: attempts["announce"](Lease.objects.get(pk=lease.pk)))[0]
        if announce and not lease.shipments.exists():
            expected = reverse("leasing:shipment_create", args=[lease.pk])
    assert exporter_next_action(row).url == expected
    assert (lease.pk in todo) == bool(expected)

"""The transfer page offers a step exactly when the service accepts it: every transfer state × party × step.

For each state a transfer offer can be in (offered to a named exporter or to anyone with the link,
waiting for the owner, waiting for the receiver's payment, completed, refused, withdrawn, lapsed)
and each organisation that can see it (the offering exporter, the owner, the receiver, another
exporter holding the link), the transfer page's ``can_*`` flags (``transfer_detail_get``) are
compared with what the real service does when that party's user tries each step, in a savepoint
rolled back after each try.
"""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from accounts.models import Organisation
from common.exceptions import ApplicationError
from leasing import rules, services, transfers
from leasing.choices import LeaseState as S
from leasing.choices import TransferState
from leasing.core import lease_today
from leasing.models import LeaseTransfer
from leasing.selectors.transfers import transfer_detail_get, transfer_visible_to
from tests.accounts.factories import ExporterOrganisationFactory, member_of
from tests.helpers import service_accepts
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now

pytestmark = pytest.mark.django_db


class World:
    """A lease on a listing that needs the owner's consent, a named receiver and a bystander. The
    lease is funded (the transferred days in escrow) or, ``paid_out``, a 14-day active lease whose
    one instalment is released to the owner (the receiver's payment pays the exporter back)."""

    def __init__(self, *, paid_out: bool = False) -> None:
        self.p = Parties(transfers_need_consent=True, cancellation_policy="flexible")
        if paid_out:
            self.lease = self.p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(14), quantity=2)
            self.start = self.lease.start + timedelta(days=3)
        else:
            self.lease = self.p.lease_in(S.FUNDED, start=days_from_now(5), end=days_from_now(14), quantity=2)
            self.start = self.lease.start
        self.receiver = ExporterOrganisationFactory()
        self.receiver_user = member_of(self.receiver)
        self.other = ExporterOrganisationFactory()
        self.other_user = member_of(self.other)

    def offer(self, *, named: bool = True) -> LeaseTransfer:
        return transfers.transfer_offer(
            lease=self.lease,
            by=self.p.exporter,
            quantity=1,
            start=self.start,
            price=Decimal("9.00"),
            to_organisation=self.receiver if named else None,
        )

    def taken(self) -> LeaseTransfer:
        return transfers.transfer_accept(transfer=self.offer(), by=self.receiver_user, organisation=self.receiver)

    def approved(self) -> LeaseTransfer:
        return transfers.transfer_consent(transfer=self.taken(), by=self.p.owner, approve=True)

    def completed(self) -> LeaseTransfer:
        transfer = self.approved()
        assert transfer.new_lease is not None
        services.lease_pay(lease=transfer.new_lease, by=self.receiver_user, payment_method="pm_card_visa")
        return transfer

    def refused(self) -> LeaseTransfer:
        return transfers.transfer_consent(transfer=self.taken(), by=self.p.owner, approve=False, reason="Not them")

    def withdrawn(self) -> LeaseTransfer:
        return transfers.transfer_withdraw(transfer=self.offer(), by=self.p.exporter)

    def passed(self, *, taken: bool = False) -> LeaseTransfer:
        """An open offer (``taken``: waiting for the owner) whose first day is past (as if days went by)."""
        transfer = self.taken() if taken else self.offer()
        LeaseTransfer.objects.filter(pk=transfer.pk).update(start=lease_today(self.lease) - timedelta(days=1))
        return transfer

    def lapsed(self) -> LeaseTransfer:
        transfer = self.offer()
        services.lease_cancel(lease=self.lease, by=self.p.exporter, side=rules.EXPORTER)
        return transfer


SCENARIOS: dict[str, tuple[Callable[[World], LeaseTransfer], str]] = {
    "offered to a named exporter": (lambda w: w.offer(), TransferState.OFFERED),
    "offered to anyone with the link": (lambda w: w.offer(named=False), TransferState.OFFERED),
    "waiting for the owner": (World.taken, TransferState.ACCEPTED),
    "waiting for the receiver's payment": (World.approved, TransferState.APPROVED),
    "completed": (World.completed, TransferState.COMPLETED),
    "refused by the owner": (World.refused, TransferState.DECLINED),
    "withdrawn": (World.withdrawn, TransferState.WITHDRAWN),
    "lapsed": (World.lapsed, TransferState.LAPSED),
    "offered, its first day passed": (World.passed, TransferState.OFFERED),
    "waiting for the owner, its first day passed": (lambda w: w.passed(taken=True), TransferState.ACCEPTED),
}
PARTIES = ("offerer", "owner", "receiver", "other exporter")


def _party(w: World, party: str) -> tuple[Organisation, object]:
    return {
        "offerer": (w.p.exporter_org, w.p.exporter),
        "owner": (w.p.owner_org, w.p.owner),
        "receiver": (w.receiver, w.receiver_user),
        "other exporter": (w.other, w.other_user),
    }[party]


def _attempts(transfer: LeaseTransfer, organisation: Organisation, by) -> dict[str, Callable[[], object]]:
    def fresh() -> LeaseTransfer:
        return LeaseTransfer.objects.get(pk=transfer.pk)

    def pay() -> object:
        new_lease = fresh().new_lease
        if new_lease is None:  # nothing to pay for yet: the step does not exist
            raise ApplicationError("The transfer has no receiver's lease to pay.")
        return services.lease_pay(lease=new_lease, by=by, payment_method="pm_card_visa")

    return {
        "accept": lambda: transfers.transfer_accept(transfer=fresh(), by=by, organisation=organisation),
        "consent": lambda: transfers.transfer_consent(transfer=fresh(), by=by, approve=True),
        "refuse": lambda: transfers.transfer_consent(transfer=fresh(), by=by, approve=False, reason="Not them"),
        "withdraw": lambda: transfers.transfer_withdraw(transfer=fresh(), by=by),
        "pay": pay,
    }


def test_every_transfer_step_of_the_rules_is_tried():
    """The rules' transfer actions are the steps below (pay is the receiver's lease payment)."""
    names = {name.removeprefix("transfer_") for name in rules.TRANSFER_ACTIONS}
    assert names <= set(_attempts(LeaseTransfer(), Organisation(), None))


@pytest.mark.parametrize("paid_out", [False, True], ids=["in escrow", "paid out"])
@pytest.mark.parametrize("party", PARTIES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_transfer_page_offers_a_step_exactly_when_the_service_accepts_it(scenario, party, paid_out):
    w = World(paid_out=paid_out)
    build, state = SCENARIOS[scenario]
    transfer = build(w)
    assert LeaseTransfer.objects.get(pk=transfer.pk).state == state
    organisation, by = _party(w, party)
    visible = transfer_visible_to(organisation=organisation, key=transfer.token).filter(pk=transfer.pk).first()
    if visible is None:
        # The page is a 404 for this party: no step may be accepted either.
        offered = dict.fromkeys(("accept", "consent", "refuse", "withdraw", "pay"), False)
    else:
        detail = transfer_detail_get(transfer=visible, organisation=organisation)
        offered = {
            "accept": detail.can_accept,
            "consent": detail.can_consent,
            "refuse": detail.can_consent,
            "withdraw": detail.can_withdraw,
            "pay": detail.can_pay,
        }
    mismatches = []
    for step, attempt in _attempts(transfer, organisation, by).items():
        accepted, refusal = service_accepts(attempt)
        if offered[step] != accepted:
            mismatches.append(f"{step}: page {offered[step]}, service {accepted} {refusal}")
    assert mismatches == [], f"{scenario} as {party}"

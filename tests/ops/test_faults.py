"""What the fault drill (scripts/fault_drill.sh) proves end to end, pinned in the normal suite: a step
that committed succeeds even with the broker down and its work is done once, later, by the sweep; a
lost database answers 503, not a traceback; a payment recorded but not funded is funded by the sweep;
a second beat stands by; the simulated gateway counts each movement once across processes."""

import logging
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
import redis
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from common.beat import LOCK_KEY, BeatLock
from common.drill import drill_pause
from common.money import Money
from escrow import services as escrow_services
from escrow import tasks as escrow_tasks
from escrow.choices import PaymentStatus, PayoutStatus
from escrow.gateways.simulated import SimulatedGateway
from escrow.models import Payout, Posting, SimulatedMovement
from escrow.processor import payouts_retry
from leasing import services
from leasing.choices import LeaseState as S
from leasing.models import Lease
from tests.helpers import login, url

SESSION_LOAD = "django.contrib.sessions.backends.db.SessionStore._get_session_from_db"


@pytest.fixture
def queued(settings):
    """Work goes to a broker (as in production), and the simulated gateway keeps its books."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.SIMULATED_GATEWAY_RECORD = True


@pytest.mark.django_db
def test_a_confirmation_succeeds_with_the_broker_down_and_the_sweep_pays_once(
    p, client, queued, caplog, django_capture_on_commit_callbacks
):
    lease = p.lease_in(S.CHECKED_IN)
    refused = KombuOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        mock.patch.object(escrow_tasks.payout_execute, "delay", side_effect=refused) as delay,
        django_capture_on_commit_callbacks(execute=True),
        caplog.at_level(logging.ERROR, "common.tasks"),
    ):
        response = login(client, p.exporter).post(url("lease_confirm", lease.pk))

    assert response.status_code == 302
    assert response["Location"] == url("lease_detail", lease.pk)
    lease.refresh_from_db()
    assert lease.state == S.ACTIVE  # the step committed, and the person was told so
    assert delay.called
    assert "broker unavailable: escrow.tasks.payout_execute" in caplog.text
    payout = Payout.objects.get(escrow__lease=lease)
    assert payout.status == PayoutStatus.PENDING  # nothing paid while the broker is down

    assert payouts_retry() == 1  # the broker is back: the retry sweep finds it
    assert payouts_retry() == 0
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    [movement] = SimulatedMovement.objects.filter(operation="transfer", idempotency_key=payout.idempotency_key)
    assert (movement.calls, movement.amount) == (1, payout.amount)
    assert Posting.objects.filter(idempotency_key=f"{payout.idempotency_key}:paid").count() == 1


@pytest.mark.django_db
def test_an_error_that_is_not_the_broker_still_fails_the_request(p, queued, django_capture_on_commit_callbacks):
    escrow = p.lease_in(S.FUNDED).escrow
    with (
        mock.patch.object(escrow_tasks.payout_execute, "delay", side_effect=TypeError("a bug")),
        pytest.raises(TypeError),
        django_capture_on_commit_callbacks(execute=True),
    ):
        escrow_services.escrow_release(
            escrow=escrow, owner=p.owner_org, owner_amount=Decimal("10.00"), platform_fee=Decimal("1.00")
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server closed the connection unexpectedly"),
        InterfaceError("connection already closed"),
        redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
    ],
)
def test_a_lost_database_or_redis_answers_503_with_a_short_page(p, error):
    client = Client(raise_request_exception=False)
    client.force_login(p.exporter)
    with mock.patch(SESSION_LOAD, side_effect=error):
        response = client.get("/dashboard/")

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "Briefly unavailable" in response.content.decode()
    assert "Traceback" not in response.content.decode()


@pytest.mark.django_db
def test_a_lost_database_answers_503_json_under_the_api(p):
    client = Client(raise_request_exception=False)
    client.force_login(p.exporter)
    with mock.patch(SESSION_LOAD, side_effect=OperationalError("connection refused")):
        response = client.get("/api/v1/me/")

    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert "try again" in response.json()["detail"]


@pytest.mark.django_db
def test_other_errors_keep_the_500_page(p):
    client = Client(raise_request_exception=False)
    client.force_login(p.exporter)
    with mock.patch(SESSION_LOAD, side_effect=ZeroDivisionError):
        assert client.get("/dashboard/").status_code == 500


def _paid_not_funded(p):
    """The state a process leaves when it dies after recording the charge, before funding the lease."""
    lease = p.lease_in(S.ACCEPTED)
    with mock.patch("leasing.services.payments.lease_payment_succeeded"):
        p.pay(lease)
    lease.refresh_from_db()
    assert lease.state == S.ACCEPTED
    assert lease.escrow.payments.get().status == PaymentStatus.SUCCEEDED
    return lease


@pytest.mark.django_db
def test_the_sweep_funds_a_payment_recorded_but_not_funded(p):
    lease = _paid_not_funded(p)

    assert services.leases_fund_paid() == 1
    assert services.leases_fund_paid() == 0
    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    payment = lease.escrow.payments.get()
    assert Posting.objects.filter(idempotency_key=f"escrow:{lease.escrow.pk}:fund:{payment.pk}").count() == 1


@pytest.mark.django_db
def test_a_payment_recorded_but_not_funded_is_funded_not_expired_when_its_deadline_passes(p):
    lease = _paid_not_funded(p)
    Lease.objects.filter(pk=lease.pk).update(payment_due_at=timezone.now() - timedelta(minutes=1))

    assert services.leases_expire_unpaid() == 0
    lease.refresh_from_db()
    assert lease.state == S.ACCEPTED
    assert services.leases_fund_paid() == 1
    lease.refresh_from_db()
    assert lease.state == S.FUNDED


@pytest.mark.django_db
def test_paying_again_funds_a_payment_recorded_but_not_funded_without_charging_again(p, settings):
    settings.SIMULATED_GATEWAY_RECORD = True
    lease = _paid_not_funded(p)

    payment = p.pay(lease, payment_method="pm_card_mastercard")
    lease.refresh_from_db()
    assert lease.state == S.FUNDED
    assert lease.escrow.payments.count() == 1
    assert payment.status == PaymentStatus.SUCCEEDED
    assert SimulatedMovement.objects.filter(operation="charge").count() == 1


class FakeRedis:
    """Enough of Redis for the beat lock: SET NX EX, GET, and the two compare-and-act scripts."""

    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}

    def set(self, key, value, nx=False, ex=None):
        if nx and key in self.values:
            return None
        self.values[key] = value.encode()
        return True

    def get(self, key):
        return self.values.get(key)

    def eval(self, script, numkeys, key, token, *args):
        if self.values.get(key) != token.encode():
            return 0
        if "del" in script:
            del self.values[key]
        return 1


def test_a_second_beat_stands_by_and_says_so_once(caplog):
    redis = FakeRedis()
    first, second = BeatLock(redis, "host:1:a"), BeatLock(redis, "host:2:b")

    with caplog.at_level(logging.INFO, "common.beat"):
        assert first.hold()  # takes the lock
        assert first.hold()  # renews it
        assert not second.hold()
        assert not second.hold()
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [
        "beat host:2:b: another beat (host:1:a) is already running; run exactly one. "
        "This one stands by and sends nothing unless that one stops."
    ]

    first.release()  # a clean stop hands the lock over
    assert second.hold()
    assert redis.get(LOCK_KEY) == b"host:2:b"
    assert not first.hold()


def test_the_simulated_gateway_records_each_movement_once_across_processes(db, settings):
    settings.SIMULATED_GATEWAY_RECORD = True
    from decimal import Decimal

    for process in (SimulatedGateway(), SimulatedGateway(), SimulatedGateway()):  # each its own memory
        process.transfer(
            amount=Money(Decimal("90.00"), "EUR"),
            destination="acct_1",
            source_transaction="ch_1",
            transfer_group="lease_1",
            idempotency_key="escrow:1:release:1",
        )
    [movement] = SimulatedMovement.objects.all()
    assert (movement.operation, movement.calls, movement.amount) == ("transfer", 3, Decimal("90.00"))


def test_the_simulated_gateway_keeps_no_books_by_default(db):
    from decimal import Decimal

    SimulatedGateway().refund(charge_id="ch_1", amount=Money(Decimal("5.00"), "EUR"), idempotency_key="k")
    assert not SimulatedMovement.objects.exists()


def test_a_drill_pause_is_a_no_op_unless_the_drill_armed_it(tmp_path, settings):
    settings.WARESHARE_DRILL_DIR = ""
    drill_pause("payout_transferred")  # returns at once
    settings.WARESHARE_DRILL_DIR = str(tmp_path)
    drill_pause("payout_transferred")  # not armed: returns at once
    assert list(tmp_path.iterdir()) == []

    (tmp_path / "pause-payout_transferred").write_text("0")
    drill_pause("payout_transferred", payout=1)
    assert (tmp_path / "paused-payout_transferred").read_text().isdigit()  # the pid the drill kills
    assert not (tmp_path / "pause-payout_transferred").exists()  # one process, once


@pytest.mark.django_db
def test_reconciliation_sees_a_payout_sent_twice_when_the_simulated_gateway_keeps_books(
    p, settings, django_capture_on_commit_callbacks
):
    from escrow.reconcile import escrow_reconcile

    settings.SIMULATED_GATEWAY_RECORD = True
    with django_capture_on_commit_callbacks(execute=True):
        lease = p.lease_in(S.ACTIVE)
    payout = Payout.objects.get(escrow__lease=lease)
    assert payout.status == PayoutStatus.PAID
    assert escrow_reconcile(escrow=lease.escrow) == []

    SimulatedGateway().transfer(  # the same payout sent again under another key: the owner paid twice
        amount=Money(payout.amount, payout.currency),
        destination="acct",
        source_transaction="",
        transfer_group=lease.escrow.transfer_group,
        idempotency_key=f"{payout.idempotency_key}:again",
    )
    kinds = {(d.kind, d.problem) for d in escrow_reconcile(escrow=lease.escrow)}
    assert ("transfer", "unknown_to_wareshare") in kinds
    assert ("transfer", "total") in kinds

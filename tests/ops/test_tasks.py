"""Celery wiring: every sweep is on the beat schedule, tasks wrap the services, dispatch after commit."""

from datetime import timedelta

import pytest
from django.conf import settings

from common.tasks import run_sweep, task_dispatch
from escrow import tasks as escrow_tasks
from escrow.choices import PayoutStatus
from escrow.models import PayoutAccount
from leasing.choices import LeaseState as S
from marketplace.celery import SWEEP_INTERVALS, app, sweep_schedule
from tests.escrow.factories import PayoutAccountFactory
from tests.leasing.factories import Parties


def test_beat_runs_every_sweep_at_its_interval():
    schedule = app.conf.beat_schedule

    for path in settings.WARESHARE_SWEEPS:
        entry = schedule[f"sweep:{path}"]
        assert entry["task"] == "common.tasks.run_sweep"
        assert entry["args"] == (path,)
    minute, hour, day = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
    assert schedule["sweep:leasing.services.leases_expire_holds"]["schedule"] == minute
    assert schedule["sweep:leasing.services.leases_expire_unpaid"]["schedule"] == minute
    assert schedule["sweep:leasing.services.leases_auto_confirm"]["schedule"] == minute
    assert schedule["sweep:leasing.services.leases_complete"]["schedule"] == hour
    assert schedule["sweep:warehouses.services.calendar_extend_all"]["schedule"] == day
    assert schedule["sweep:escrow.processor.payouts_retry"]["schedule"] == 5 * minute
    assert schedule["sweep:escrow.processor.refunds_retry"]["schedule"] == 5 * minute


def test_a_sweep_without_an_interval_still_runs():
    assert sweep_schedule(["some.new.sweep"])["sweep:some.new.sweep"]["schedule"] == timedelta(minutes=5)
    assert "some.new.sweep" not in SWEEP_INTERVALS


def test_run_sweep_refuses_a_path_that_is_not_a_listed_sweep():
    with pytest.raises(ValueError, match="not a sweep"):
        run_sweep("os.system")


@pytest.mark.django_db
def test_run_sweep_runs_the_listed_sweep():
    assert run_sweep.delay("leasing.services.leases_expire_holds").get() == 0  # eager in tests


@pytest.mark.django_db
def test_dispatch_runs_in_process_after_commit_when_eager(django_capture_on_commit_callbacks):
    calls = []

    with django_capture_on_commit_callbacks() as callbacks:
        task_dispatch(calls.append, "payout 1")
        assert calls == []  # not before the commit

    for callback in callbacks:
        callback()
    assert calls == ["payout 1"]


@pytest.mark.django_db
def test_dispatch_queues_to_the_broker_when_not_eager(settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []

    class Task:
        def __call__(self, *args: object) -> None:
            raise AssertionError("must not run in the web process")

        def delay(self, *args: object) -> None:
            queued.append(args)

    with django_capture_on_commit_callbacks(execute=True):
        task_dispatch(Task(), 42)

    assert queued == [(42,)]


@pytest.mark.django_db
def test_the_payout_task_pays_and_is_safe_to_run_again(django_capture_on_commit_callbacks):
    p = Parties()
    PayoutAccount.objects.all().delete()
    lease = p.lease_in(S.CHECKED_IN)
    with django_capture_on_commit_callbacks(execute=True):
        p.confirm(lease)
    payout = lease.escrow.payouts.get()
    assert payout.status == PayoutStatus.WAITING

    PayoutAccountFactory(organisation=p.owner_org)  # the owner connects a payout account
    first = escrow_tasks.payout_execute.delay(payout.pk).get()
    again = escrow_tasks.payout_execute.delay(payout.pk).get()

    assert first == again == {"payout": payout.pk, "status": "paid"}
    assert lease.escrow.postings.filter(idempotency_key__endswith=":paid").count() == 1

"""scripts/restore_drill.py (`make restore-drill`): its load makes consistent leases, and ``replay``
funds a lease whose payment a backup caught between "charged" and "funded"."""

import importlib.util
from pathlib import Path

import pytest

from escrow import services as escrow_services
from escrow.models import Escrow
from leasing.choices import LeaseState as S
from leasing.consistency import consistency_check
from leasing.models import Lease

pytestmark = pytest.mark.django_db

_spec = importlib.util.spec_from_file_location(
    "restore_drill", Path(__file__).resolve().parent.parent / "scripts" / "restore_drill.py"
)
assert _spec is not None
assert _spec.loader is not None
drill = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(drill)


def test_a_payment_charged_but_not_yet_recorded_on_the_lease_is_replayed(p):
    lease = p.lease_in(S.ACCEPTED)
    escrow = Escrow.objects.get(lease=lease)
    # The first half of lease_pay: the processor charged and the answer is recorded; the process
    # stops (or the backup's snapshot is taken) before the lease is funded.
    payment = escrow_services.payment_start(escrow=escrow, amount=lease.total)
    escrow_services.payment_charge(payment=payment, payment_method="pm_card_visa", description="drill")
    assert [str(problem) for problem in consistency_check().problems] == [
        f"leases: lease {lease.pk}: (accepted) a payment succeeded but the lease was not funded"
    ]
    assert [pay.pk for pay in drill.payments_in_flight()] == [payment.pk]

    assert drill.replay() == 1

    assert Lease.objects.get(pk=lease.pk).state == S.FUNDED
    assert consistency_check().ok
    assert drill.replay() == 0


def test_the_load_makes_leases_that_stay_consistent(p, monkeypatch):
    monkeypatch.setattr(drill, "EXPORTERS", (p.exporter.email,))

    counts = drill.load(seconds=1.5, seed=1, pause=0)

    assert counts["requested"] >= 1
    assert counts["paid"] + counts["withdrawn"] == counts["requested"]
    assert Lease.objects.filter(state=S.FUNDED).count() == counts["paid"]
    assert Lease.objects.filter(state=S.CANCELLED).count() == counts["withdrawn"]
    assert consistency_check().ok

"""``leasing.consistency`` / ``manage.py consistency_check``: leases built through the real services are
consistent; one row corrupted behind the services' back (a raw UPDATE, as a bad restore or a
half-applied write would leave it) is found and named."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from escrow.models import LedgerEntry, Posting
from leasing.choices import LeaseState as S
from leasing.consistency import consistency_check
from leasing.models import Lease, LeaseEvent
from tests.warehouses.factories import days_from_now
from warehouses.models import CalendarDay, Reservation

pytestmark = pytest.mark.django_db

STATES = [S.REQUESTED, S.ACCEPTED, S.FUNDED, S.CHECKED_IN, S.ACTIVE, S.DISPUTED, S.COMPLETED]
STATES += [S.DECLINED, S.EXPIRED, S.CANCELLED]


def raw(sql: str, *params: int | str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))


def check() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("consistency_check", stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def problems() -> list[str]:
    return [str(problem) for problem in consistency_check().problems]


@pytest.fixture
def leases(p):
    return {state: p.lease_in(state) for state in STATES}


def test_leases_in_every_state_are_consistent(leases):
    report = consistency_check()

    assert report.problems == []
    assert set(report.checked) == {"calendar", "holds", "ledger", "leases", "stock"}  # stock: inventory registers it
    assert "10 leases" in report.checked["leases"]
    code, output = check()
    assert code == 0
    assert "calendar: " in output
    assert "ledger: " in output
    assert output.rstrip().endswith("consistent")


def test_a_calendar_row_that_disagrees_with_the_holds_is_found(leases, p):
    day = days_from_now(5)  # inside every lease's dates (3 … 12 days from now)
    row = CalendarDay.objects.get(listing=p.listing, day=day)
    raw(f"UPDATE {CalendarDay._meta.db_table} SET reserved = reserved + 1 WHERE id = %s", row.pk)

    assert problems() == [
        f"calendar: listing {p.listing.pk} on {day}: reserved {row.reserved + 1} of {row.capacity}, "
        f"live holds {row.reserved}"
    ]
    code, output = check()
    assert code == 1
    assert "calendar: " in output
    assert "1 problem(s)" in output
    assert "1 consistency problem(s)" in output


def test_an_unbalanced_posting_is_found(leases):
    posting = Posting.objects.filter(escrow__lease=leases[S.FUNDED]).get()
    line = LedgerEntry.objects.filter(posting=posting).order_by("pk")[0]
    raw(f"UPDATE {LedgerEntry._meta.db_table} SET amount = amount + 1 WHERE id = %s", line.pk)

    found = problems()
    assert f"ledger: posting {posting.idempotency_key}: debits and credits differ by 1.00 {posting.currency}" in found
    # the whole ledger no longer sums to zero either
    assert any(p.startswith("ledger: whole ledger: unbalanced") for p in found)
    assert all(p.startswith("ledger: ") for p in found)


def test_a_half_written_lease_is_found(leases):
    funded = leases[S.FUNDED]
    raw(f"UPDATE {Lease._meta.db_table} SET state = %s WHERE id = %s", S.ACTIVE, leases[S.ACCEPTED].pk)
    raw(f"DELETE FROM {LeaseEvent._meta.db_table} WHERE lease_id = %s", leases[S.REQUESTED].pk)
    postings = f"SELECT id FROM {Posting._meta.db_table} WHERE escrow_id = %s"
    raw(f"DELETE FROM {LedgerEntry._meta.db_table} WHERE posting_id IN ({postings})", funded.escrow.pk)
    raw(f"DELETE FROM {Posting._meta.db_table} WHERE escrow_id = %s", funded.escrow.pk)

    found = problems()
    accepted = leases[S.ACCEPTED].pk
    assert f"leases: lease {accepted}: (active) its latest event does not end in its state" in found
    assert f"leases: lease {accepted}: (active) is paid but has no succeeded payment" in found
    assert f"leases: lease {accepted}: (active) is paid but its escrow was never funded" in found
    assert f"leases: lease {accepted}: (active) is paid but has no release schedule" in found
    assert f"leases: lease {leases[S.REQUESTED].pk}: (requested) has no timeline event" in found
    assert f"leases: lease {funded.pk}: (funded) is paid but its escrow was never funded" in found


def test_a_recorded_payment_whose_lease_was_never_funded_is_found(p):
    """The window between recording the charge and funding the lease (two transactions in lease_pay)."""
    lease = p.lease_in(S.FUNDED)
    raw(f"UPDATE {Lease._meta.db_table} SET state = %s WHERE id = %s", S.ACCEPTED, lease.pk)
    raw(f"DELETE FROM {LeaseEvent._meta.db_table} WHERE lease_id = %s AND to_state = %s", lease.pk, S.FUNDED)

    assert f"leases: lease {lease.pk}: (accepted) a payment succeeded but the lease was not funded" in problems()


def test_holds_out_of_step_with_their_leases_are_found(leases, p):
    active, completed = leases[S.ACTIVE], leases[S.COMPLETED]
    hold = active.reservations.get()
    # The active lease's hold is released behind the calendar's back: the lease holds nothing, and the
    # calendar's reserved units no longer match the live holds.
    raw(f"UPDATE {Reservation._meta.db_table} SET released_at = created_at WHERE id = %s", hold.pk)

    found = problems()
    assert f"holds: lease {active.pk}: is active but holds no space" in found
    assert (
        f"calendar: listing {p.listing.pk} on {hold.start}: reserved 12 of 100, live holds 10" in found
    )  # 6 leases hold 2 each

    # The completed lease's hold comes back to life, beyond its (moved) dates.
    old = completed.reservations.get()
    raw(f"UPDATE {Reservation._meta.db_table} SET released_at = NULL WHERE id = %s", old.pk)

    found = problems()
    assert f"holds: lease {completed.pk}: is completed but still holds space" in found
    assert f"holds: lease {completed.pk}: live hold {old.pk} is off its listing or outside its dates" in found


def test_only_runs_the_named_checks(leases):
    report = consistency_check(only=("ledger",))

    assert list(report.checked) == ["ledger"]
    out = StringIO()
    call_command("consistency_check", "--only", "calendar", "--only", "holds", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["calendar", "holds", "consistent"]

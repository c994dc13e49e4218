"""Business dates belong to the warehouse: whoever looks, and from wherever, a Rotterdam lease's
"today" is Rotterdam's. The same lease, viewed and acted on by people whose profiles say Honolulu,
UTC and Shanghai, by the API (UTC) and by a sweep, gets the same answer on both sides of a
warehouse midnight and of a daylight-saving change."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from escrow import ledger
from leasing import rules, services
from leasing.choices import InstalmentStatus
from leasing.choices import LeaseState as S
from leasing.exceptions import InvalidTransition
from leasing.models import Lease
from tests.accounts.factories import OwnerOrganisationFactory
from tests.leasing.factories import Parties
from tests.warehouses.factories import ListingFactory, WarehouseFactory
from warehouses.dates import warehouse_midnight, warehouse_today

pytestmark = pytest.mark.django_db

VIEWERS = ("Pacific/Honolulu", "UTC", "Asia/Shanghai")


def rotterdam_parties() -> Parties:
    owner = OwnerOrganisationFactory()
    warehouse = WarehouseFactory(organisation=owner, timezone="Europe/Amsterdam")
    return Parties(listing=ListingFactory(warehouse=warehouse, price_per_unit_day=Decimal("1.00")))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_helpers_follow_the_warehouse_across_a_dst_change():
    warehouse = WarehouseFactory.build(timezone="Europe/Amsterdam")
    # Summer time starts on Sunday 28 March 2027 at 02:00: midnight is 23:00 UTC before, 22:00 UTC after.
    assert warehouse_midnight(warehouse, date(2027, 3, 28)) == utc(2027, 3, 27, 23, 0)
    assert warehouse_midnight(warehouse, date(2027, 3, 29)) == utc(2027, 3, 28, 22, 0)
    for zone in VIEWERS:
        with timezone.override(zone):
            assert warehouse_today(warehouse, now=utc(2027, 3, 28, 21, 59)) == date(2027, 3, 28)
            assert warehouse_today(warehouse, now=utc(2027, 3, 28, 22, 0)) == date(2027, 3, 29)


def test_the_owner_may_cancel_until_midnight_at_the_warehouse_whatever_the_viewers_zone(clock, client):
    clock.set(utc(2027, 1, 10, 12, 0))
    p = rotterdam_parties()
    lease = p.lease_in(S.FUNDED, start=date(2027, 1, 15), end=date(2027, 1, 24))
    p.owner.time_zone = "Pacific/Honolulu"  # 14 hours behind Rotterdam in January
    p.owner.save()
    page = reverse("leasing:lease_detail", args=[lease.pk])
    client.force_login(p.owner)

    clock.set(utc(2027, 1, 14, 22, 59))  # 23:59 in Rotterdam: the lease starts tomorrow
    for zone in VIEWERS:
        with timezone.override(zone):
            assert rules.cancel(Lease.objects.get(pk=lease.pk), rules.OWNER)
    assert client.get(page).context["detail"].changes.cancel == rules.OWNER

    clock.set(utc(2027, 1, 14, 23, 1))  # 00:01 in Rotterdam: the lease has begun (13:01 in Honolulu)
    for zone in VIEWERS:
        with timezone.override(zone):
            verdict = rules.cancel(Lease.objects.get(pk=lease.pk), rules.OWNER)
            assert not verdict
            assert verdict.error_code == "invalid_transition"
    assert client.get(page).context["detail"].changes.cancel == ""
    with timezone.override("Pacific/Honolulu"), pytest.raises(InvalidTransition):
        services.lease_cancel(lease=lease, by=p.owner, side=rules.OWNER)
    assert Lease.objects.get(pk=lease.pk).state == S.FUNDED


def test_a_confirmation_releases_only_the_months_begun_at_the_warehouse(clock):
    # 60 days from 1 March 2027: instalments 1–31 March and 1–29 April. Rotterdam is on summer time,
    # so 1 April begins at 22:00 UTC on 31 March; Shanghai is already in 1 April at 21:30 UTC.
    clock.set(utc(2027, 2, 20, 12, 0))
    p = rotterdam_parties()
    lease = p.lease_in(S.CHECKED_IN, start=date(2027, 3, 1), end=date(2027, 4, 29))
    clock.set(utc(2027, 3, 31, 21, 30))
    with timezone.override("Asia/Shanghai"):
        services.lease_confirm(lease=lease, by=p.exporter)
    statuses = list(Lease.objects.get(pk=lease.pk).instalments.order_by("sequence").values_list("status", flat=True))
    assert statuses == [InstalmentStatus.RELEASED, InstalmentStatus.SCHEDULED]


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_monthly_release_sweep_waits_for_midnight_at_the_warehouse(clock, viewer):
    clock.set(utc(2027, 2, 20, 12, 0))
    p = rotterdam_parties()
    lease = p.lease_in(S.ACTIVE, start=date(2027, 3, 1), end=date(2027, 4, 29))
    held = ledger.escrow_held(lease.escrow)
    assert held > 0

    with timezone.override(viewer):
        clock.set(utc(2027, 3, 31, 21, 59))  # 23:59 on 31 March in Rotterdam
        assert services.leases_release_due() == 0
        clock.set(utc(2027, 3, 31, 22, 1))  # 00:01 on 1 April in Rotterdam
        assert services.leases_release_due() == 1
    lease.refresh_from_db()
    assert ledger.escrow_held(lease.escrow) == 0


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_lease_completes_after_its_last_day_at_the_warehouse_across_the_autumn_dst_change(clock, viewer):
    # Summer time ends on Sunday 31 October 2027 at 03:00: that day begins at 22:00 UTC on 30 October.
    clock.set(utc(2027, 10, 1, 12, 0))
    p = rotterdam_parties()
    lease = p.lease_in(S.ACTIVE, start=date(2027, 10, 5), end=date(2027, 10, 30))
    with timezone.override(viewer):
        clock.set(utc(2027, 10, 30, 21, 59))
        assert services.leases_complete() == 0
        clock.set(utc(2027, 10, 30, 22, 1))
        assert services.leases_complete() == 1
    assert Lease.objects.get(pk=lease.pk).state == S.COMPLETED


def test_the_earliest_transfer_day_is_the_warehouses_today(clock):
    clock.set(utc(2027, 2, 20, 12, 0))
    p = rotterdam_parties()
    lease = p.lease_in(S.ACTIVE, start=date(2027, 3, 1), end=date(2027, 5, 29))
    clock.set(utc(2027, 4, 10, 22, 30))  # 00:30 on 11 April in Rotterdam; 10 April in Honolulu
    answers = set()
    for zone in VIEWERS:
        with timezone.override(zone):
            answers.add(rules.transfer_earliest(Lease.objects.get(pk=lease.pk)))
    assert answers == {date(2027, 4, 11)}  # April is still in escrow: from today at the warehouse
    clock.set(utc(2027, 4, 30, 22, 30))  # 00:30 on 1 May in Rotterdam: May's instalment is due
    services.leases_release_due()
    for zone in VIEWERS:
        with timezone.override(zone):
            # today at the warehouse, though May is already paid out to the owner
            assert rules.transfer_earliest(Lease.objects.get(pk=lease.pk)) == date(2027, 5, 1)

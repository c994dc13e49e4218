"""Extensions keep the stock; the end of a lease: one reminder at 7 days (the warehouse's day), overstays."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail

from inventory import services as inventory_services
from inventory.lifecycle import lease_end_remind
from inventory.lifecycle_pages import leases_ending_with_goods
from inventory.models import LeaseEndReminder, Overstay
from leasing import services
from leasing.choices import LeaseState as S
from leasing.consistency import consistency_check
from tests.helpers import login, url
from tests.inventory.lifecycle_helpers import empty, put, removal_shipped, stock
from tests.leasing.factories import Parties
from tests.trust.factories import staff_user
from tests.warehouses.factories import ListingFactory, WarehouseFactory, days_from_now

pytestmark = pytest.mark.django_db


def _at(day, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def test_an_extension_keeps_the_stock_and_open_orders_follow_when_the_lease_ends(clock):
    p = Parties(capacity=10)
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(10), quantity=3)
    sofa = put(lease, "SOFA-1", 6)
    order = inventory_services.order_create(lease=lease, by=p.exporter, kind="pickup", lines=[(sofa, 2)])
    order = inventory_services.order_accept(order=order, by=p.owner)  # 2 held
    waiting = inventory_services.order_create(lease=lease, by=p.exporter, kind="pickup", lines=[(sofa, 1)])
    before = stock(lease)
    extension = services.lease_extend(lease=lease, by=p.exporter, end=days_from_now(20))
    p.accept(extension)
    p.pay(extension)
    extension.refresh_from_db()
    assert extension.state == S.ACTIVE
    assert stock(lease) == before
    assert stock(extension) == {}

    clock.set(_at(days_from_now(11)))
    services.leases_complete()
    lease.refresh_from_db()
    assert lease.state == S.COMPLETED
    assert stock(lease) == {}
    assert stock(extension) == before
    assert extension.stock_levels.get(product=sofa).held == 2
    order.refresh_from_db()
    waiting.refresh_from_db()
    assert order.lease_id == waiting.lease_id == extension.pk
    assert order.events.last().note == f"Moved to extension lease #{extension.pk}"
    order = inventory_services.order_pick(order=order, by=p.owner)
    inventory_services.order_ship(order=order, by=p.owner, carrier="DHL", tracking_number="JD0002")
    assert stock(extension)["SOFA-1"] == before["SOFA-1"] - 2
    assert not Overstay.objects.exists()
    assert consistency_check(only=("stock",)).ok


def test_the_reminder_goes_once_from_7_days_before_the_end_at_the_warehouse(clock, django_capture_on_commit_callbacks):
    end = days_from_now(20)
    leases = {}
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14, UTC−11
        listing = ListingFactory(warehouse=WarehouseFactory(timezone=zone))
        p = Parties(listing=listing)
        lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=end, quantity=2)
        put(lease, "SOFA-1", 4)
        leases[zone] = lease
    far_east, far_west = leases["Pacific/Kiritimati"], leases["Pacific/Pago_Pago"]

    clock.set(_at(end - timedelta(days=8), hour=11))  # 7 days before the end in Kiritimati; 8 in Pago Pago
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert lease_end_remind() == 1
    assert LeaseEndReminder.objects.get().lease == far_east
    recipients = {address for message in mail.outbox for address in message.to}
    both = {m.user.email for m in far_east.exporter.memberships.all()} | {
        m.user.email for m in far_east.owner.memberships.all()
    }
    assert both <= recipients
    assert len(both) == 2
    assert any("Goods remain" in message.subject for message in mail.outbox)
    assert lease_end_remind() == 0  # once

    clock.set(_at(end - timedelta(days=7), hour=12))  # now 7 days before in Pago Pago too
    assert lease_end_remind() == 1
    assert set(LeaseEndReminder.objects.values_list("lease", flat=True)) == {far_east.pk, far_west.pk}
    assert lease_end_remind() == 0


def test_the_reminder_is_in_simplified_chinese_for_a_chinese_reader(clock, django_capture_on_commit_callbacks):
    p = Parties()
    p.exporter.language = "zh-hans"
    p.exporter.save()
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(10), quantity=2)
    put(lease, "SOFA-1", 4)
    clock.set(_at(days_from_now(4)))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert lease_end_remind() == 1
    to_exporter = [message for message in mail.outbox if p.exporter.email in message.to]
    assert to_exporter
    assert "货物" in to_exporter[0].subject


def _overstayed(clock, capture=None):
    p = Parties(capacity=10)
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(10), quantity=3)
    put(lease, "SOFA-1", 5)
    clock.set(_at(days_from_now(12)))
    mail.outbox.clear()
    if capture is not None:
        with capture(execute=True):
            services.leases_complete()
    else:
        services.leases_complete()
    lease.refresh_from_db()
    return p, lease


def test_a_lease_ending_with_goods_overstays_both_see_it_and_a_removal_resolves_it(
    client, clock, django_capture_on_commit_callbacks
):
    p, lease = _overstayed(clock, django_capture_on_commit_callbacks)
    assert lease.state == S.COMPLETED
    overstay = Overstay.objects.get(lease=lease)
    assert overstay.is_open
    assert overstay.units == sum(stock(lease).values())
    assert overstay.since == lease.end + timedelta(days=1)
    assert any("overstayed" in message.subject for message in mail.outbox)
    for user in (p.owner, p.exporter):
        login(client, user)
        page = client.get(url("leasing:lease_detail", lease.pk)).content.decode()
        assert "Goods overstayed the end of this lease" in page
    assert [found.pk for found in leases_ending_with_goods(p.exporter_org)] == [lease.pk]
    assert [found.pk for found in leases_ending_with_goods(Parties().exporter_org)] == []  # another organisation

    removal_shipped(lease, p.exporter, p.owner)  # a completed lease still takes a removal order
    assert stock(lease) == {}
    overstay.refresh_from_db()
    assert not overstay.is_open
    assert overstay.resolution == "removed"
    assert consistency_check(only=("stock",)).ok


def test_an_overstayed_lease_may_still_be_extended_and_the_extension_takes_the_goods(clock):
    p, lease = _overstayed(clock)
    before = stock(lease)
    extension = services.lease_extend(lease=lease, by=p.exporter, end=days_from_now(20))
    assert extension.start == lease.end + timedelta(days=1)  # the overstay days are paid for
    p.accept(extension)
    p.pay(extension)
    extension.refresh_from_db()
    assert extension.state == S.ACTIVE
    assert stock(extension) == before
    assert stock(lease) == {}
    overstay = Overstay.objects.get(lease=lease)
    assert (overstay.resolution, overstay.extension_id) == ("extended", extension.pk)


def test_a_lease_ending_empty_does_not_overstay_nor_may_it_be_extended_late(clock):
    p = Parties(capacity=10)
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(10), quantity=3)
    empty(lease)
    clock.set(_at(days_from_now(12)))
    services.leases_complete()
    assert not Overstay.objects.exists()
    with pytest.raises(Exception) as refused:
        services.lease_extend(lease=lease, by=p.exporter, end=days_from_now(20))
    assert "active" in str(refused.value)


def test_overstays_are_listed_for_staff_only_in_constant_queries(client, clock, django_assert_max_num_queries):
    _overstayed(clock)
    login(client, Parties().exporter)
    assert client.get(url("staff_inventory:overstays")).status_code == 404
    client.force_login(staff_user())
    with django_assert_max_num_queries(30) as one:
        assert client.get(url("staff_inventory:overstays")).status_code == 200
    for _ in range(2):
        p = Parties(capacity=10)
        lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(10), quantity=3)
        put(lease, "SOFA-1", 5)
    clock.advance(days=12)
    services.leases_complete()
    assert Overstay.objects.count() == 3
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url("staff_inventory:overstays")).content.decode()
    assert page.count("badge-warn") >= 3


def test_leases_ending_with_goods_runs_in_constant_queries(clock, django_assert_num_queries):
    p = Parties(capacity=20)
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(10), quantity=2)
    put(lease, "SOFA-1", 3)
    clock.set(_at(days_from_now(5)))
    with django_assert_num_queries(1):
        assert len(leases_ending_with_goods(p.exporter_org)) == 1
    clock.set(clock.start)
    for _ in range(2):
        other = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(9), quantity=2)
        put(other, "SOFA-1", 3)
    clock.set(_at(days_from_now(5)))
    with django_assert_num_queries(1):
        assert len(leases_ending_with_goods(p.exporter_org)) == 3


def test_both_sides_see_the_goods_remain_banner_before_the_end_and_a_stranger_gets_404(client, clock):
    p = Parties(capacity=10)
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(10), quantity=3)
    put(lease, "SOFA-1", 5)
    units = sum(stock(lease).values())
    login(client, p.exporter)
    assert "lease-end" not in client.get(url("leasing:lease_detail", lease.pk)).content.decode()  # 9 days to go

    clock.set(_at(days_from_now(5)))
    for user in (p.owner, p.exporter):
        login(client, user)
        page = client.get(url("leasing:lease_detail", lease.pk)).content.decode()
        assert "This lease ends in 5 days" in page
        assert f"{units} units are still on it" in page
    stranger = Parties()
    login(client, stranger.exporter)
    assert client.get(url("leasing:lease_detail", lease.pk)).status_code == 404
    assert leases_ending_with_goods(stranger.exporter_org) == []
    assert [found.pk for found in leases_ending_with_goods(p.owner_org)] == [lease.pk]

    # A paid extension takes the goods over: no banner, no reminder.
    clock.set(clock.start)
    extension = services.lease_extend(lease=lease, by=p.exporter, end=days_from_now(20))
    p.accept(extension)
    p.pay(extension)
    clock.set(_at(days_from_now(5)))
    login(client, p.exporter)
    assert "lease-end" not in client.get(url("leasing:lease_detail", lease.pk)).content.decode()
    assert leases_ending_with_goods(p.exporter_org) == []
    assert lease_end_remind() == 0


def test_the_exporter_extends_an_overstayed_lease_from_its_page(client, clock):
    p, lease = _overstayed(clock)
    login(client, p.exporter)
    end = days_from_now(20)
    preview = client.get(url("leasing:lease_extend", lease.pk) + f"?end={end.isoformat()}")
    assert preview.status_code == 200
    response = client.post(url("leasing:lease_extend", lease.pk), {"end": end.isoformat()})
    assert response.status_code == 302
    extension = lease.children.get()
    assert (extension.start, extension.end, extension.quantity) == (lease.end + timedelta(days=1), end, 3)
    stranger = Parties()
    login(client, stranger.exporter)
    assert client.post(url("leasing:lease_extend", lease.pk), {"end": end.isoformat()}).status_code == 404

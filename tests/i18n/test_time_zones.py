"""Acceptance 3: a check-in deadline at a Rotterdam warehouse, seen by a user in Shanghai, is shown
in the warehouse's time (named) and in the viewer's, correctly on both sides of a daylight-saving
change. Deadlines are stored in UTC."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from accounts.middleware import UserLocaleMiddleware
from accounts.models import User
from leasing.choices import LeaseState as S
from tests.leasing.factories import Parties

pytestmark = pytest.mark.django_db

TAG = Template("{% load zones %}{% zoned when zone %}")
TEXT = Template("{% load zones %}{{ when|zoned_text:zone }}")


def render(template: Template, when: object, zone: str = "Europe/Amsterdam") -> str:
    return template.render(Context({"when": when, "zone": zone}))


@pytest.fixture
def checked_in_before_dst(before_dst):
    """Checked in on Friday 28 March 2025 at 11:00 in Rotterdam (10:00 UTC, winter time): the 48-hour
    confirmation window ends on Sunday 30 March, after the clocks went forward at 02:00."""
    p = Parties(capacity=100)
    assert p.listing.warehouse.timezone == "Europe/Amsterdam"
    lease = p.lease_in(S.FUNDED)
    before_dst.set(datetime(2025, 3, 28, 10, 0, tzinfo=UTC))
    p.check_in(lease)
    lease.refresh_from_db()
    assert lease.state == S.CHECKED_IN
    return p, lease


def test_the_deadline_is_stored_in_utc_and_shown_in_both_zones_across_dst(checked_in_before_dst):
    p, lease = checked_in_before_dst
    assert lease.confirm_by == datetime(2025, 3, 30, 10, 0, tzinfo=UTC)
    User.objects.filter(pk=p.exporter.pk).update(time_zone="Asia/Shanghai")
    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=p.exporter.pk)
    shown = {}

    def view(request):  # what a page renders once the middleware has chosen the viewer's zone
        shown["html"] = render(TAG, lease.confirm_by, lease.listing.warehouse.timezone)
        shown["zone"] = timezone.get_current_timezone_name()
        return HttpResponse()

    UserLocaleMiddleware(view)(request)

    assert shown["zone"] == "Asia/Shanghai"
    # 10:00 UTC is 12:00 in Rotterdam on summer time (not 11:00 as in winter) and 18:00 in Shanghai.
    assert '<time datetime="2025-03-30T10:00:00+00:00" class="zoned">' in shown["html"]
    assert "30 Mar 2025, 12:00 (Europe/Amsterdam, UTC+02:00)" in shown["html"]
    assert "30 Mar 2025, 18:00 in your time zone (Asia/Shanghai, UTC+08:00)" in shown["html"]
    assert timezone.get_current_timezone_name() == "UTC"  # the middleware leaves no zone behind


@pytest.mark.parametrize(
    ("utc", "amsterdam", "shanghai"),
    [
        # spring: CET (UTC+1) before 01:00 UTC on 30 March 2025, CEST (UTC+2) after
        (datetime(2025, 3, 30, 0, 30, tzinfo=UTC), "30 Mar 2025, 01:30 (Europe/Amsterdam, UTC+01:00)", "08:30"),
        (datetime(2025, 3, 30, 1, 30, tzinfo=UTC), "30 Mar 2025, 03:30 (Europe/Amsterdam, UTC+02:00)", "09:30"),
        # autumn: CEST until 01:00 UTC on 26 October 2025, CET after; 02:30 happens twice in Rotterdam
        (datetime(2025, 10, 26, 0, 30, tzinfo=UTC), "26 Oct 2025, 02:30 (Europe/Amsterdam, UTC+02:00)", "08:30"),
        (datetime(2025, 10, 26, 1, 30, tzinfo=UTC), "26 Oct 2025, 02:30 (Europe/Amsterdam, UTC+01:00)", "09:30"),
    ],
)
def test_both_sides_of_each_change(utc, amsterdam, shanghai):
    with timezone.override(ZoneInfo("Asia/Shanghai")):
        text = render(TEXT, utc)
    assert text == f"{amsterdam}; {utc.day} {utc:%b} 2025, {shanghai} in your time zone (Asia/Shanghai, UTC+08:00)"


def test_in_chinese():
    with translation.override("zh-hans"), timezone.override(ZoneInfo("Asia/Shanghai")):
        text = render(TEXT, datetime(2025, 3, 30, 10, 0, tzinfo=UTC))
    assert text == (
        "2025年3月30日 12:00（Europe/Amsterdam，UTC+02:00）；"
        "您所在时区：2025年3月30日 18:00（Asia/Shanghai，UTC+08:00）"
    )


def test_a_viewer_in_the_warehouse_zone_sees_it_once():
    with timezone.override(ZoneInfo("Europe/Paris")):  # same clock as Amsterdam
        html = render(TAG, datetime(2025, 3, 30, 10, 0, tzinfo=UTC))
    assert "in your time zone" not in html
    assert "12:00 (Europe/Amsterdam, UTC+02:00)" in html


def test_dates_without_a_time_are_days_at_the_warehouse():
    with timezone.override(ZoneInfo("Asia/Shanghai")):
        assert render(TEXT, date(2025, 3, 30)) == "30 Mar 2025 (Europe/Amsterdam)"
    assert render(TAG, None) == ""
    assert "(UTC, UTC)" in render(TEXT, datetime(2025, 3, 30, 10, 0, tzinfo=UTC), zone="Not/AZone")


def test_the_lease_page_shows_the_check_in_deadline_in_both_zones(client, checked_in_before_dst):
    p, lease = checked_in_before_dst
    User.objects.filter(pk=p.exporter.pk).update(time_zone="Asia/Shanghai")
    client.force_login(p.exporter)
    page = client.get(reverse("leasing:lease_detail", args=[lease.pk])).content.decode()
    assert "30 Mar 2025, 12:00 (Europe/Amsterdam, UTC+02:00)" in page
    assert "30 Mar 2025, 18:00 in your time zone (Asia/Shanghai, UTC+08:00)" in page

"""Business dates belong to the warehouse.

"Today", a start at midnight, a deadline: every business decision about a lease, a listing's window
or a calendar day is taken in the warehouse's time zone, never in the viewer's (``accounts`` activates
the signed-in user's zone for display) or the server's. These helpers are the only way to ask.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.utils import timezone

from common.timezones import zone_get

if TYPE_CHECKING:
    from .models import Warehouse

UTC = ZoneInfo("UTC")


def warehouse_zone(warehouse: Warehouse | None) -> ZoneInfo:
    """The warehouse's zone (UTC for a warehouse without one, or an unknown name)."""
    if warehouse is None:
        return UTC
    return zone_get(warehouse.timezone) or UTC


def warehouse_today(warehouse: Warehouse | None, *, now: datetime | None = None) -> date:
    """The date it is now at the warehouse."""
    return (now or timezone.now()).astimezone(warehouse_zone(warehouse)).date()


def warehouse_midnight(warehouse: Warehouse | None, day: date) -> datetime:
    """The moment ``day`` begins at the warehouse (aware; DST-correct through zoneinfo)."""
    return datetime.combine(day, time.min, tzinfo=warehouse_zone(warehouse))


def today_range(*, now: datetime | None = None) -> tuple[date, date]:
    """The earliest and the latest date it is anywhere on Earth now (UTC-12, UTC+14): for questions
    asked across warehouses (a search's start, a sweep's candidates) before each warehouse is asked."""
    moment = (now or timezone.now()).astimezone(UTC)
    return (moment - timedelta(hours=12)).date(), (moment + timedelta(hours=14)).date()

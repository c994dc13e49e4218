"""Times that concern a warehouse, shown in the warehouse's time zone — named — and in the
viewer's own zone where that differs.

Stored datetimes are UTC. A hold expiry, a payment due date or a check-in confirmation window
is a deadline at the warehouse, so it is shown first as the warehouse's wall clock with the zone
and its UTC offset at that moment (daylight saving included), then as the viewer's wall clock.
The viewer's zone is the active one: the signed-in user's (``UserLocaleMiddleware``) or the
email recipient's (``common.emails.email_send``). Dates without a time (an ETA) are calendar
days at the warehouse and are shown with its zone only.

    {% load zones %}
    {% zoned lease.confirm_by warehouse.timezone %}              HTML, the viewer's time on a new line
    {% zoned lease.confirm_by warehouse.timezone inline=True %}  HTML, on one line
    {{ lease.confirm_by|zoned_text:warehouse.timezone }}         plain text (emails)
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from common.timezones import zone_get

register = template.Library()


def _offset(moment: datetime) -> str:
    """``UTC+02:00``, ``UTC−03:30``, or ``UTC`` for no offset."""
    offset = moment.utcoffset()
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes > 0 else "−"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def _zone_name(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


@dataclass(frozen=True)
class Zoned:
    """A moment as seen at the warehouse, and by the viewer when their clock differs."""

    iso: str
    place: str  # "30 Mar 2025, 12:00 (Europe/Amsterdam, UTC+02:00)"
    viewer: str | None  # "30 Mar 2025, 18:00 in your time zone (Asia/Shanghai, UTC+08:00)"


def zoned_parts(value: datetime | date, zone_name: str | None) -> Zoned:
    """The texts for ``value`` at the warehouse in ``zone_name`` (UTC if unknown), in the active
    language and formats, and for the viewer in the active time zone."""
    zone = zone_get(zone_name) or UTC
    if not isinstance(value, datetime):
        text = _("%(date)s (%(zone)s)") % {"date": formats.date_format(value, "DATE_FORMAT"), "zone": _zone_name(zone)}
        return Zoned(iso=value.isoformat(), place=text, viewer=None)
    moment = value if timezone.is_aware(value) else timezone.make_aware(value, UTC)
    there = moment.astimezone(zone)
    place = _("%(time)s (%(zone)s, %(offset)s)") % {
        "time": formats.date_format(there, "DATETIME_FORMAT"),
        "zone": _zone_name(zone),
        "offset": _offset(there),
    }
    viewer_zone = timezone.get_current_timezone()
    here = moment.astimezone(viewer_zone)
    viewer = None
    if here.utcoffset() != there.utcoffset():
        viewer = _("%(time)s in your time zone (%(zone)s, %(offset)s)") % {
            "time": formats.date_format(here, "DATETIME_FORMAT"),
            "zone": _zone_name(viewer_zone),
            "offset": _offset(here),
        }
    return Zoned(iso=moment.astimezone(UTC).isoformat(), place=place, viewer=viewer)


@register.simple_tag
def zoned(value: datetime | date | None, zone_name: str | None, inline: bool = False) -> SafeString | str:
    """``{% zoned when warehouse.timezone %}``: a ``<time>`` at the warehouse, then the viewer's."""
    if value is None or value == "":
        return ""
    parts = zoned_parts(value, zone_name)
    html = format_html('<time datetime="{}" class="zoned">{}</time>', parts.iso, parts.place)
    if parts.viewer:
        separator = mark_safe(" · " if inline else "<br>")  # a constant
        html = format_html('{}{}<small class="zoned-viewer">{}</small>', html, separator, parts.viewer)
    return html


@register.filter
def zoned_text(value: datetime | date | None, zone_name: str | None) -> str:
    """``{{ when|zoned_text:warehouse.timezone }}``: the same in plain text, on one line."""
    if value is None or value == "":
        return ""
    parts = zoned_parts(value, zone_name)
    return _("%(place)s; %(viewer)s") % {"place": parts.place, "viewer": parts.viewer} if parts.viewer else parts.place

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from leasing.choices import LeaseState, ShipmentStatus
from leasing.selectors import STATE_TONE

register = template.Library()

SHIPMENT_TONE: dict[str, str] = {ShipmentStatus.ARRIVED: "warn", ShipmentStatus.CHECKED_IN: "ok"}


@register.simple_tag
def state_badge(state: str) -> SafeString:
    """``{% state_badge lease.state %}`` → the state's label in a badge of its tone."""
    tone = STATE_TONE.get(state)
    return format_html('<span class="badge{}">{}</span>', f" badge-{tone}" if tone else "", LeaseState(state).label)


@register.simple_tag
def shipment_badge(status: str) -> SafeString:
    tone = SHIPMENT_TONE.get(status)
    return format_html(
        '<span class="badge{}">{}</span>', f" badge-{tone}" if tone else "", ShipmentStatus(status).label
    )


@register.filter
def actor_name(user: object) -> str:
    """A person's name for the timeline; steps taken by the platform itself read "Wareshare"."""
    if user is None:
        return "Wareshare"
    return user.get_full_name() or user.email  # type: ignore[attr-defined]

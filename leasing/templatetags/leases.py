from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from leasing.choices import InstalmentStatus, LeaseState, ShipmentStatus, TransferState
from leasing.selectors import STATE_TONE, note_text

register = template.Library()

SHIPMENT_TONE: dict[str, str] = {ShipmentStatus.ARRIVED: "warn", ShipmentStatus.CHECKED_IN: "ok"}
INSTALMENT_TONE: dict[str, str] = {InstalmentStatus.RELEASED: "ok", InstalmentStatus.DUE: "warn"}
TRANSFER_TONE: dict[str, str] = {
    TransferState.OFFERED: "warn",
    TransferState.ACCEPTED: "warn",
    TransferState.APPROVED: "warn",
    TransferState.COMPLETED: "ok",
    TransferState.DECLINED: "bad",
    TransferState.LAPSED: "bad",
}


def _badge(tone: str | None, label: str) -> SafeString:
    return format_html('<span class="badge{}">{}</span>', f" badge-{tone}" if tone else "", label)


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


@register.simple_tag
def instalment_badge(status: str) -> SafeString:
    return _badge(INSTALMENT_TONE.get(status), str(InstalmentStatus(status).label))


@register.simple_tag
def transfer_badge(state: str) -> SafeString:
    return _badge(TRANSFER_TONE.get(state), str(TransferState(state).label))


@register.filter
def stored_text(text: str) -> str:
    """``{{ refund.reason|stored_text }}``: a text stored in English (a timeline note, a refund's
    reason) in the reader's language where it is one of the platform's fixed texts."""
    return note_text(text or "")


@register.filter
def actor_name(user: object) -> str:
    """A person's name for the timeline; steps taken by the platform itself read "Wareshare"."""
    if user is None:
        return "Wareshare"
    return user.get_full_name() or user.email  # type: ignore[attr-defined]

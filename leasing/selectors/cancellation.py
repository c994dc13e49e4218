"""The cancellation page: the policy in words and the refund line by line."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..choices import CancelledBy, InstalmentStatus, LeaseState
from ..models import (
    Instalment,
    Lease,
)
from ..services import cancellation as cancel_rule

if TYPE_CHECKING:
    pass

S = LeaseState


def _refund_words(percent: int) -> str:
    if percent == 100:
        return _("a full refund")
    if percent == 0:
        return _("no refund")
    return _("a %(percent)s%% refund") % {"percent": percent}


def policy_rule(policy: str) -> str:
    """The policy in words, from the same table the refunds are worked out with."""
    hours, before, after = cancel_rule.POLICIES[policy]
    if hours > 24 and hours % 24 == 0:
        when = ngettext("%(count)s day", "%(count)s days", hours // 24) % {"count": hours // 24}
    else:
        when = ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
    return _("%(before)s until %(when)s before the start; %(after)s after.") % {
        "before": capfirst(_refund_words(before)),
        "when": when,
        "after": _refund_words(after),
    }


@dataclass(frozen=True)
class CancellationRow:
    line: cancel_rule.CancellationLine
    until: datetime | None  # when this period's refund drops to the policy's lower percentage


@dataclass
class CancellationView:
    lease: Lease
    side: str
    quote: cancel_rule.CancellationQuote
    policy: str  # the policy's name
    rule: str  # the policy in words
    rows: list[CancellationRow]
    released: list[Instalment]  # instalments already paid out to the owner: not refundable

    @property
    def by_owner(self) -> bool:
        return self.side == CancelledBy.OWNER

    @property
    def released_months(self) -> str:
        """The released instalments' numbers: "1, 2"."""
        return ", ".join(str(item.sequence) for item in self.released)


def lease_cancellation_get(*, lease: Lease, side: str) -> CancellationView:
    """The confirmation page's figures: ``services.lease_cancel_quote`` line by line, with when
    each line's refund would drop, and the policy in words."""
    quote = cancel_rule.lease_cancel_quote(lease=lease, side=side)
    policy = lease.listing.cancellation_policy
    hours, before, after = cancel_rule.POLICIES[policy]
    rows = []
    for line in quote.lines:
        until = None
        if side == CancelledBy.EXPORTER and before != after and line.percent == before:
            until = cancel_rule.starts_at(lease, line.instalment.start) - timedelta(hours=hours)
        rows.append(CancellationRow(line=line, until=until))
    released = [item for item in lease.instalments.all() if item.status == InstalmentStatus.RELEASED]
    return CancellationView(
        lease=lease,
        side=side,
        quote=quote,
        policy=lease.listing.get_cancellation_policy_display(),
        rule=policy_rule(policy),
        rows=rows,
        released=released,
    )

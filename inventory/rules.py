"""What may each side do with goods and outbound orders now, and why not (docs/inventory.md).

Like ``leasing.rules``: each function answers with a ``leasing.rules.Verdict``; the services call
``.require()`` under their locks, pages and the API only read it. Who the person is (a member of the
side's organisation) and what they typed are checked by the services.

- Goods can be on a lease from its first check-in (a funded lease with part of its shipments in)
  until they are shipped, removed or carried to another lease — also after the lease ended
  (completed, cancelled, transferred): goods still there are the exporter's and must be able to
  leave. A lease that never held goods (requested, accepted, declined, expired) takes no order and
  no adjustment. So the exporter may order goods out of a lease in any of ``GOODS_STATES`` while
  something is on hand, and the owner may adjust its stock in those states.
- An order moves ``requested → accepted → picked → shipped → delivered``; the owner may refuse it
  (with a reason) until it ships; the exporter may cancel it only before picking. ``deliver`` may be
  marked by either side.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from leasing.choices import LeaseState
from leasing.core import state_word
from leasing.exceptions import NotAllowed
from leasing.models import Lease
from leasing.rules import EXPORTER, OWNER, SIDES, YES, Verdict, no

from .choices import OrderStatus
from .exceptions import InvalidAdjustment, InvalidOrder, OrderStepNotAllowed
from .models import OutboundOrder, StockLevel

__all__ = [
    "EXPORTER",
    "GOODS_STATES",
    "ORDER_STEPS",
    "OWNER",
    "SIDES",
    "STEP_TO",
    "adjust_allowed",
    "order_allowed",
    "order_create_allowed",
    "order_side",
    "order_step",
]

S = LeaseState
OS = OrderStatus
# Lease states in which goods can be on the lease (see the module's docstring).
GOODS_STATES = frozenset({S.FUNDED, S.CHECKED_IN, S.ACTIVE, S.DISPUTED, S.COMPLETED, S.CANCELLED, S.TRANSFERRED})

# step -> (the sides that may take it, the statuses it may be taken from)
ORDER_STEPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cancel": ((EXPORTER,), (OS.REQUESTED, OS.ACCEPTED)),
    "accept": ((OWNER,), (OS.REQUESTED,)),
    "refuse": ((OWNER,), (OS.REQUESTED, OS.ACCEPTED, OS.PICKED)),
    "pick": ((OWNER,), (OS.ACCEPTED,)),
    "ship": ((OWNER,), (OS.PICKED,)),
    "deliver": ((OWNER, EXPORTER), (OS.SHIPPED,)),
}
# The status each step leads to.
STEP_TO: dict[str, str] = {
    "cancel": OS.CANCELLED,
    "accept": OS.ACCEPTED,
    "refuse": OS.REFUSED,
    "pick": OS.PICKED,
    "ship": OS.SHIPPED,
    "deliver": OS.DELIVERED,
}


def _status_word(status: str) -> str:
    return str(dict(OrderStatus.choices).get(status, status)).lower()


def order_step(order: OutboundOrder, side: str, step: str) -> Verdict:
    """Whether ``side`` may take ``step`` on ``order`` in its status now."""
    sides, statuses = ORDER_STEPS[step]
    if side not in sides:
        if sides == (OWNER,):
            return no(NotAllowed, _("Only the warehouse owner can do this."))
        return no(NotAllowed, _("Only the exporter who placed the order can do this."))
    if order.status in statuses:
        return YES
    if step == "cancel" and order.status == OS.PICKED:
        return no(
            OrderStepNotAllowed,
            _("The goods are already picked: the order can no longer be cancelled. Ask the owner to refuse it."),
        )
    return no(
        OrderStepNotAllowed,
        _("An order that is %(status)s cannot be %(step)s.")
        % {"status": _status_word(order.status), "step": _status_word(STEP_TO[step])},
    )


def order_allowed(order: OutboundOrder, side: str) -> list[str]:
    """The steps ``side`` may take on ``order`` now (what pages offer and the API's ``actions``)."""
    return [step for step in ORDER_STEPS if order_step(order, side, step)]


def order_side(order: OutboundOrder, organisation_id: int) -> str | None:
    """The side an organisation is on for ``order`` (the lease's exporter or its warehouse's owner)."""
    lease = order.lease
    if lease.exporter_id == organisation_id:
        return EXPORTER
    if lease.listing.warehouse.organisation_id == organisation_id:
        return OWNER
    return None


def _on_hand(lease: Lease) -> int:
    return sum(StockLevel.objects.filter(lease=lease).values_list("on_hand", flat=True))


def order_create_allowed(lease: Lease, organisation_id: int, *, on_hand: int | None = None) -> Verdict:
    """The lease's exporter may order goods out while the lease is in ``GOODS_STATES`` and
    something is on hand. ``on_hand``: the lease's units on hand, if already known."""
    if organisation_id != lease.exporter_id:
        return no(NotAllowed, _("Only the exporter who leased the space can order its goods out."))
    if lease.state not in GOODS_STATES:
        return no(
            InvalidOrder,
            _("A lease that is %(state)s has no goods to send out.") % {"state": state_word(lease.state)},
            code="no_goods",
        )
    if (on_hand if on_hand is not None else _on_hand(lease)) < 1:
        return no(InvalidOrder, _("Nothing is on hand on this lease."), code="no_goods")
    return YES


def adjust_allowed(lease: Lease, organisation_id: int) -> Verdict:
    """The warehouse's owner may record goods found, lost or damaged on a lease that can hold goods."""
    if organisation_id != lease.listing.warehouse.organisation_id:
        return no(NotAllowed, _("Only the warehouse owner can adjust the stock."))
    if lease.state not in GOODS_STATES:
        return no(
            InvalidAdjustment,
            _("A lease that is %(state)s holds no goods to adjust.") % {"state": state_word(lease.state)},
            code="no_goods",
        )
    return YES

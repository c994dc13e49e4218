"""What leasing lets the apps above it hook into, so that the arrows point one way.

Trust (ratings, blacklist) sits above leasing: leasing never imports it. Instead trust, in its
``AppConfig.ready()``, connects to ``lease_changed`` and registers a standing check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.dispatch import Signal

if TYPE_CHECKING:
    from accounts.models import Organisation

    from .models import Lease, LeaseTransfer

# Sent inside the transaction by ``leasing.core.lease_transition`` after the event row is written,
# with ``lease``, ``from_state``, ``to_state`` and ``by`` (a User or None).
lease_changed = Signal()

StandingCheck = Callable[[Sequence[tuple["Organisation", str]]], None]
_standing_checks: list[StandingCheck] = []


def standing_check_register(check: StandingCheck) -> None:
    """Register ``check(pairs)``: for each ``(organisation, action)`` in order, it raises an
    ApplicationError when the organisation may not do ``action`` (one of the English action
    phrases, e.g. "request a lease"). One call checks every pair, so it can ask once for all."""
    if check not in _standing_checks:
        _standing_checks.append(check)


def standing_require(organisation: Organisation, action: str, *more: tuple[Organisation, str]) -> None:
    """Run every registered standing check (trust's blacklist) for ``organisation`` and ``action``,
    then for each further ``(organisation, action)`` pair in ``more``, in one check."""
    pairs = [(organisation, action), *more]
    for check in _standing_checks:
        check(pairs)


PageExtras = Callable[["Lease", "Organisation"], dict[str, Any]]
_page_extras: list[PageExtras] = []


def lease_page_extras_register(extras: PageExtras) -> None:
    """Register ``extras(lease, organisation) -> dict``: what an app above leasing adds to the lease
    page (trust: the latest dispute, whether a review is due). Each must run a fixed number of queries."""
    if extras not in _page_extras:
        _page_extras.append(extras)


def lease_page_extras(lease: Lease, organisation: Organisation) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for extras in _page_extras:
        found.update(extras(lease, organisation))
    return found


# Sent inside the transaction whenever a transfer offer changes state: by ``core.transfer_transition``
# and, for a new offer (``from_state`` None), by ``transfers.transfer_offer``; with ``transfer``,
# ``from_state``, ``to_state`` and ``by`` (a User or None). The API sends its webhooks from it.
transfer_changed = Signal()


# Sent inside ``services.checkin_record``'s transaction once the check-in and its lines are written,
# with ``checkin`` (a CheckIn; each CheckInLine has ``received_quantity`` and ``damaged_quantity``)
# and ``by`` (the owner's User). Inventory connects here to write the goods into its ledger.
checkin_recorded = Signal()


TransferExtras = Callable[["LeaseTransfer", "Organisation"], dict[str, Any]]
_transfer_extras: list[TransferExtras] = []


def transfer_page_extras_register(extras: TransferExtras) -> None:
    """Register ``extras(transfer, organisation) -> dict``: what an app above leasing adds to the
    transfer page (inventory: the goods the offer carries). Each must run a fixed number of queries."""
    if extras not in _transfer_extras:
        _transfer_extras.append(extras)


def transfer_page_extras(transfer: LeaseTransfer, organisation: Organisation) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for extras in _transfer_extras:
        found.update(extras(transfer, organisation))
    return found


TransferCheck = Callable[["LeaseTransfer"], None]
_transfer_checks: list[TransferCheck] = []


def transfer_check_register(check: TransferCheck) -> None:
    """Register ``check(transfer)``: it raises an ApplicationError (InvalidTransfer) when the transfer
    cannot complete now (inventory: a transfer whose goods are to be removed still has goods on the
    lease). Run before the receiver is charged and again, under the locks, when the transfer completes."""
    if check not in _transfer_checks:
        _transfer_checks.append(check)


def transfer_require(transfer: LeaseTransfer) -> None:
    """Run every registered transfer check (``transfer_check_register``)."""
    for check in _transfer_checks:
        check(transfer)


LateExtension = Callable[["Lease"], bool]
_late_extensions: list[LateExtension] = []


def late_extension_register(allows: LateExtension) -> None:
    """Register ``allows(lease) -> bool``: whether a completed lease may still be extended (inventory:
    its goods overstayed the end). One query at most."""
    if allows not in _late_extensions:
        _late_extensions.append(allows)


def late_extension_allowed(lease: Lease) -> bool:
    return any(allows(lease) for allows in _late_extensions)


SkuChoices = Callable[["Organisation"], list[tuple[str, str]]]
_sku_choices: list[SkuChoices] = []


def shipment_sku_choices_register(choices: SkuChoices) -> None:
    """Register ``choices(organisation) -> [(sku, description), ...]``: the SKUs the shipment form
    offers the exporter (inventory: its products). Each must run a fixed number of queries."""
    if choices not in _sku_choices:
        _sku_choices.append(choices)


def shipment_sku_choices(organisation: Organisation) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for choices in _sku_choices:
        found.extend(choices(organisation))
    return found

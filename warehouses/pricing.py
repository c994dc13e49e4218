"""The price of storing goods: one function, used by quotes, search results and leases."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings

from common.money import Money, quantize

from .models import Listing


def lease_days(start: date, end: date) -> int:
    """Days in a lease; both ``start`` and ``end`` are days of storage."""
    return (end - start).days + 1


@dataclass(frozen=True)
class Quote:
    """What the exporter pays: storage + handling in + handling out + platform fee (+ ``carried``) = total.

    The owner receives ``subtotal`` (= ``owner_amount``) when the escrow is released. ``carried``:
    on a lease taken by a transfer, the part of its price that pays the transferring exporter back
    for days already paid out to the owner (docs/money.md). ``unit_price`` is rounded down to the
    currency when storage does not divide by the unit-days (a transfer's price): ``remainder`` is
    what quantity × days × unit_price falls short of ``storage``, so the breakdown adds up exactly.
    """

    currency: str
    quantity: int
    days: int
    unit_price: Decimal
    storage: Decimal
    handling_in: Decimal
    handling_out: Decimal
    platform_fee: Decimal
    fee_percent: Decimal
    carried: Decimal = Decimal(0)

    @property
    def multiplied(self) -> Decimal:
        """quantity × days × unit_price: ``storage`` less ``remainder``."""
        return self.quantity * self.days * self.unit_price

    @property
    def remainder(self) -> Decimal:
        return self.storage - self.multiplied

    @property
    def subtotal(self) -> Decimal:
        return self.storage + self.handling_in + self.handling_out

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.platform_fee + self.carried

    @property
    def owner_amount(self) -> Decimal:
        return self.subtotal

    def money(self, field: str) -> Money:
        return Money(getattr(self, field), self.currency)


def listing_quote(*, listing: Listing, start: date, end: date, quantity: int, handling: bool = True) -> Quote:
    """The price of ``quantity`` units for ``start..end``; without ``handling`` (an extension: the
    goods are already in) storage and the platform fee only."""
    days = lease_days(start, end)
    currency = listing.currency
    fee_percent = settings.WARESHARE["PLATFORM_FEE_PERCENT"]
    storage = quantize(listing.price_per_unit_day * quantity * days, currency)
    handling_in = quantize(listing.handling_in_fee * quantity, currency) if handling else Decimal(0)
    handling_out = quantize(listing.handling_out_fee * quantity, currency) if handling else Decimal(0)
    platform_fee = quantize((storage + handling_in + handling_out) * fee_percent / 100, currency)
    return Quote(
        currency=currency,
        quantity=quantity,
        days=days,
        unit_price=listing.price_per_unit_day,
        storage=storage,
        handling_in=handling_in,
        handling_out=handling_out,
        platform_fee=platform_fee,
        fee_percent=fee_percent,
    )

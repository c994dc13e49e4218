from decimal import Decimal

from django import template

from common.money import format_money

register = template.Library()


@register.simple_tag
def money(amount: Decimal | None, currency: str) -> str:
    """``{% money amount currency %}`` → "€1,234.50", rounded to the currency's minor unit."""
    return "—" if amount is None else format_money(Decimal(amount), currency)


UNIT_NAMES = {"pallet": ("pallet position", "pallet positions"), "sqm": ("m²", "m²"), "cbm": ("m³", "m³")}


@register.filter
def units(quantity: int, unit: str) -> str:
    """``{{ 7|units:"pallet" }}`` → "7 pallet positions"; ``{{ 7|units:"sqm" }}`` → "7 m²"."""
    one, many = UNIT_NAMES.get(unit, (unit, unit))
    return f"{quantity:,} {one if quantity == 1 else many}"

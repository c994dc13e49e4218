from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import ngettext

from common.money import format_money

register = template.Library()


@register.simple_tag
def money(amount: Decimal | None, currency: str) -> str:
    """``{% money amount currency %}`` → "€1,234.50", rounded to the currency's minor unit and
    written as the active language writes numbers."""
    return "—" if amount is None else format_money(Decimal(amount), currency)


def _unit_text(unit: str, quantity: int, count: str) -> str:
    if unit == "pallet":
        return ngettext("%(count)s pallet position", "%(count)s pallet positions", quantity) % {"count": count}
    symbol = {"sqm": "m²", "cbm": "m³"}.get(unit, unit)
    return f"{count} {symbol}"


@register.filter
def units(quantity: int, unit: str) -> str:
    """``{{ 7|units:"pallet" }}`` → "7 pallet positions"; ``{{ 7|units:"sqm" }}`` → "7 m²"."""
    return _unit_text(unit, quantity, number_format(quantity, use_l10n=True, force_grouping=True))

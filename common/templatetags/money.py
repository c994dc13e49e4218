from decimal import Decimal

from django import template

from common.money import format_money

register = template.Library()


@register.simple_tag
def money(amount: Decimal | None, currency: str) -> str:
    """``{% money amount currency %}`` → "€1,234.50", rounded to the currency's minor unit."""
    return "—" if amount is None else format_money(Decimal(amount), currency)

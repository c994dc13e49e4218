"""Money is a Decimal and an ISO 4217 currency, never a float.

Rounding is explicit: ``quantize`` rounds half-up to the currency's minor unit.
Minor units appear only at the payment processor boundary (``to_minor``/``from_minor``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# Currencies without a minor unit (ISO 4217 exponent 0) that the platform accepts.
ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XOF", "XAF"})
# Currencies with three decimals (ISO 4217 exponent 3). Stripe takes them in minor units (fils,
# baisa, millimes) but only with the last digit 0: the Stripe gateway refuses anything finer.
THREE_DECIMAL = frozenset({"KWD", "BHD", "JOD", "OMR", "TND"})
CURRENCIES = (
    ("EUR", _("Euro")),
    ("USD", _("US dollar")),
    ("GBP", _("Pound sterling")),
    ("CNY", _("Chinese yuan")),
    ("HKD", _("Hong Kong dollar")),
    ("SGD", _("Singapore dollar")),
    ("JPY", _("Japanese yen")),
    ("KRW", _("South Korean won")),
    ("AUD", _("Australian dollar")),
    ("CAD", _("Canadian dollar")),
    ("AED", _("UAE dirham")),
    ("BRL", _("Brazilian real")),
)
SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "US$", "CNY": "CN¥", "JPY": "JP¥", "KRW": "₩"}
# Where a language writes a currency its own way: in Chinese the yuan is plain ¥ (CLDR).
LOCAL_SYMBOLS = {"zh-hans": {"CNY": "¥"}}


def exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit."""
    return amount.quantize(Decimal(1).scaleb(-exponent(currency)), rounding=ROUND_HALF_UP)


def quantize_down(amount: Decimal, currency: str) -> Decimal:
    """Round towards zero to the currency's minor unit: the rule for every pro-rata share (refunds,
    monthly instalments, transfer values), so shares never add up to more than the whole."""
    return amount.quantize(Decimal(1).scaleb(-exponent(currency)), rounding=ROUND_DOWN)


def to_minor(amount: Decimal, currency: str) -> int:
    """Decimal major units -> integer minor units; refuses amounts that would lose precision."""
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} has more precision than the currency allows")
    return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    return quantize(Decimal(minor).scaleb(-exponent(currency)), currency)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


def format_money(amount: Decimal, currency: str) -> str:
    """ "€1,234.50", "JP¥1,235", "1,234.500 KWD": the currency's decimals, digits grouped and
    separated as the active language writes them (``marketplace/formats``)."""
    value = quantize(amount, currency) + 0  # + 0 turns -0.00 (a float sum's residue) into 0.00
    digits = exponent(currency)
    text = number_format(value, decimal_pos=digits, use_l10n=True, force_grouping=True)
    symbol = LOCAL_SYMBOLS.get(get_language() or "", {}).get(currency) or SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"

"""The one check of a product's fields, shared by the product services and every CSV row."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django_countries import countries

from common.money import CURRENCIES

from ..models import Product

__all__ = ["DESCRIPTION_MAX", "PRODUCT_COLUMNS", "PRODUCT_FIELDS", "SKU_MAX", "clean_text", "product_clean"]

# The columns of the CSV, in order; also every field a product takes.
PRODUCT_COLUMNS = [
    "sku",
    "description",
    "units_per_carton",
    "units_per_pallet",
    "weight_kg",
    "length_cm",
    "width_cm",
    "height_cm",
    "hs_code",
    "origin_country",
    "unit_value",
    "currency",
]
PRODUCT_FIELDS = frozenset(PRODUCT_COLUMNS)
SKU_MAX = Product._meta.get_field("sku").max_length or 64
DESCRIPTION_MAX = Product._meta.get_field("description").max_length or 200
HS_CODE = re.compile(r"^\d{6,10}$")  # 6 digits (the HS), up to 10 with national tariff digits
CURRENCY_CODES = frozenset(code for code, _name in CURRENCIES)
# field -> (max digits, decimal places) of the Decimal fields
DECIMALS = {
    "weight_kg": (10, 3),
    "length_cm": (8, 1),
    "width_cm": (8, 1),
    "height_cm": (8, 1),
    "unit_value": (14, 2),
}


def clean_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _count(value: Any) -> int | None:
    text = clean_text(value)
    if text == "":
        return None
    if isinstance(value, bool) or not re.fullmatch(r"\d+", text) or int(text) < 1:
        raise ValueError(_("Give a whole number of 1 or more."))
    return int(text)


def _decimal(value: Any, name: str) -> Decimal | None:
    text = clean_text(value)
    if text == "":
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("Give a number, such as 12.5.")) from None
    if not number.is_finite() or number < 0:
        raise ValueError(_("Give a number of 0 or more."))
    digits, places = DECIMALS[name]
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(_("Give at most %(places)s decimal places.") % {"places": places})
    if number >= Decimal(10) ** (digits - places):
        raise ValueError(_("This number is too large."))
    return number


def _country(value: Any) -> str:
    text = clean_text(value)
    if not text:
        return ""
    code = countries.alpha2(text) or countries.by_name(text) or ""
    if not code:
        raise ValueError(_("%(value)s is not a country: use its ISO code, such as CN or DE.") % {"value": text})
    return str(code)


def product_clean(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean the product fields in ``data`` (only those given): the values, and the message of
    each field in error. SKU: 1–64 characters, no spaces at either end, no control characters;
    description: required; counts: whole numbers ≥ 1; sizes and value: ≥ 0; HS code: 6–10 digits
    (dots and spaces ignored); country: an ISO 3166 country (code or English name); a declared
    value needs its currency."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, raw in data.items():
        if name not in PRODUCT_FIELDS:
            errors[name] = _("Unknown field.")
            continue
        try:
            if name == "sku":
                sku = clean_text(raw)
                if not sku:
                    raise ValueError(_("Give the SKU code."))
                if len(sku) > SKU_MAX or any(not ch.isprintable() for ch in sku):
                    raise ValueError(_("A SKU has at most %(max)s printable characters.") % {"max": SKU_MAX})
                values[name] = sku
            elif name == "description":
                text = clean_text(raw)
                if not text:
                    raise ValueError(_("Give a description of the goods."))
                if len(text) > DESCRIPTION_MAX:
                    raise ValueError(_("At most %(max)s characters.") % {"max": DESCRIPTION_MAX})
                values[name] = text
            elif name in ("units_per_carton", "units_per_pallet"):
                values[name] = _count(raw)
            elif name in DECIMALS:
                values[name] = _decimal(raw, name)
            elif name == "hs_code":
                code = re.sub(r"[\s.]", "", clean_text(raw))
                if code and not HS_CODE.match(code):
                    raise ValueError(_("An HS code has 6 to 10 digits, such as 8517.62 or 8517620000."))
                values[name] = code
            elif name == "origin_country":
                values[name] = _country(raw)
            elif name == "currency":
                currency = clean_text(raw).upper()
                if currency and currency not in CURRENCY_CODES:
                    raise ValueError(_("%(value)s is not a currency Wareshare takes.") % {"value": clean_text(raw)})
                values[name] = currency
        except ValueError as error:
            errors[name] = str(error.args[0])
    return values, errors

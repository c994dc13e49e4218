"""Products (SKUs) of an exporter organisation, and their CSV import and export (docs/inventory.md).

One cleaning function (``product_clean``) serves the form-like services and every CSV row, so a
product is checked the same way wherever it comes from.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_countries import countries

from accounts.models import Organisation, User
from accounts.selectors import user_is_member
from common.money import CURRENCIES
from leasing.exceptions import NotAllowed

from ..exceptions import InvalidProduct
from ..models import OutboundLine, Product, StockLevel, StockMovement

__all__ = [
    "PRODUCT_COLUMNS",
    "PRODUCT_FIELDS",
    "product_clean",
    "product_create",
    "product_delete",
    "product_for_line",
    "product_update",
    "sku_for_description",
]

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


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _count(value: Any) -> int | None:
    text = _text(value)
    if text == "":
        return None
    if isinstance(value, bool) or not re.fullmatch(r"\d+", text) or int(text) < 1:
        raise ValueError(_("Give a whole number of 1 or more."))
    return int(text)


def _decimal(value: Any, name: str) -> Decimal | None:
    text = _text(value)
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
    text = _text(value)
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
                sku = _text(raw)
                if not sku:
                    raise ValueError(_("Give the SKU code."))
                if len(sku) > SKU_MAX or any(not ch.isprintable() for ch in sku):
                    raise ValueError(_("A SKU has at most %(max)s printable characters.") % {"max": SKU_MAX})
                values[name] = sku
            elif name == "description":
                text = _text(raw)
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
                code = re.sub(r"[\s.]", "", _text(raw))
                if code and not HS_CODE.match(code):
                    raise ValueError(_("An HS code has 6 to 10 digits, such as 8517.62 or 8517620000."))
                values[name] = code
            elif name == "origin_country":
                values[name] = _country(raw)
            elif name == "currency":
                currency = _text(raw).upper()
                if currency and currency not in CURRENCY_CODES:
                    raise ValueError(_("%(value)s is not a currency Wareshare takes.") % {"value": _text(raw)})
                values[name] = currency
        except ValueError as error:
            errors[name] = str(error.args[0])
    return values, errors


def _value_needs_currency(product: Product, errors: dict[str, str]) -> None:
    if product.unit_value is not None and not product.currency and not {"unit_value", "currency"} & set(errors):
        errors["currency"] = _("Give the currency of the declared unit value.")


def _sku_taken(organisation: Organisation, sku: str, exclude: int | None = None) -> bool:
    found = Product.objects.filter(organisation=organisation, sku__iexact=sku)
    if exclude is not None:
        found = found.exclude(pk=exclude)
    return found.exists()


def _raise(errors: dict[str, str]) -> None:
    if errors:
        field, message = next(iter(errors.items()))
        detail = "; ".join(f"{name}: {text}" for name, text in errors.items())
        raise InvalidProduct(detail if len(errors) > 1 else f"{field}: {message}", code="invalid_product")


def _require_member(organisation: Organisation, by: User) -> None:
    if not user_is_member(by, organisation):
        raise NotAllowed(_("Only members of the organisation can change its products."))


@transaction.atomic
def product_create(*, organisation: Organisation, by: User, sku: str, description: str, **fields: Any) -> Product:
    """A new product of ``organisation`` (``by`` a member). The SKU is unique in the organisation,
    compared without case. Raises InvalidProduct (nothing written) on any bad field."""
    _require_member(organisation, by)
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()  # one SKU check at a time
    values, errors = product_clean({"sku": sku, "description": description, **fields})
    product = Product(organisation=organisation, **values)
    _value_needs_currency(product, errors)
    if "sku" not in errors and _sku_taken(organisation, values["sku"]):
        errors["sku"] = _("Your organisation already has a product with SKU %(sku)s.") % {"sku": values["sku"]}
    _raise(errors)
    product.save()
    return product


@transaction.atomic
def product_update(*, product: Product, by: User, **fields: Any) -> Product:
    """Change the given fields of ``product`` (``by`` a member of its organisation)."""
    _require_member(product.organisation, by)
    Organisation.objects.select_for_update().filter(pk=product.organisation_id).first()
    product = Product.objects.select_for_update().get(pk=product.pk)
    values, errors = product_clean(fields)
    for name, value in values.items():
        setattr(product, name, value)
    _value_needs_currency(product, errors)
    if "sku" in values and _sku_taken(product.organisation, values["sku"], exclude=product.pk):
        errors["sku"] = _("Your organisation already has a product with SKU %(sku)s.") % {"sku": values["sku"]}
    _raise(errors)
    product.save()
    return product


@transaction.atomic
def product_delete(*, product: Product, by: User) -> None:
    """Delete a product that never moved: once it has stock, movements or order lines it stays (the
    ledger points at it)."""
    _require_member(product.organisation, by)
    product = Product.objects.select_for_update().get(pk=product.pk)
    used = (
        StockMovement.objects.filter(product=product).exists()
        or StockLevel.objects.filter(product=product).exists()
        or OutboundLine.objects.filter(product=product).exists()
    )
    if used:
        raise InvalidProduct(
            _("%(sku)s has stock movements or orders: it cannot be deleted.") % {"sku": product.sku}, code="in_use"
        )
    product.delete()


def sku_for_description(description: str) -> str:
    """The SKU a free-text shipment line becomes: the description's words (ASCII, upper case, at
    most 40 characters) and six hex digits of a hash of the description (case and spacing
    ignored), e.g. "Blue ceramic mugs" → ``BLUE-CERAMIC-MUGS-1A2B3C``. The same description always
    gives the same SKU; a description with no ASCII letters gives ``ITEM-<hash>``."""
    normal = " ".join(description.split()).casefold()
    digest = hashlib.sha256(normal.encode()).hexdigest()[:6].upper()
    words = slugify(normal)[:40].strip("-").upper() or "ITEM"
    return f"{words}-{digest}"


def product_for_line(*, organisation: Organisation, sku: str, description: str) -> Product:
    """The product a shipment line announces: the organisation's product with ``sku`` (compared
    without case; cut to 64 characters), created from the line if it has none; a line without a SKU
    becomes ``sku_for_description(description)``. Joins the caller's transaction."""
    code = _text(sku)[:SKU_MAX] or sku_for_description(description)
    found = Product.objects.filter(organisation=organisation, sku__iexact=code).order_by("pk").first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Product.objects.create(
                organisation=organisation,
                sku=code,
                description=_text(description)[:DESCRIPTION_MAX] or code,
            )
    except IntegrityError:  # created by a concurrent check-in
        return Product.objects.get(organisation=organisation, sku=code)

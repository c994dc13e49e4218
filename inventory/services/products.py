"""Products (SKUs) of an exporter organisation, and their CSV import and export (docs/inventory.md).

One cleaning function (``product_clean``) serves the form-like services and every CSV row, so a
product is checked the same way wherever it comes from.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.selectors import user_is_member
from leasing.exceptions import NotAllowed

from ..exceptions import InvalidProduct
from ..models import OutboundLine, Product, StockLevel, StockMovement
from .clean import DESCRIPTION_MAX, PRODUCT_COLUMNS, SKU_MAX, clean_text, product_clean
from .imports import ImportResult, RowError, products_export, products_import

__all__ = [
    "PRODUCT_COLUMNS",
    "ImportResult",
    "RowError",
    "product_clean",
    "product_create",
    "product_delete",
    "product_for_line",
    "product_update",
    "products_export",
    "products_import",
    "sku_for_description",
]


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
        raise InvalidProduct("; ".join(f"{name}: {text}" for name, text in errors.items()), errors=errors)


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
    code = clean_text(sku)[:SKU_MAX] or sku_for_description(description)
    found = Product.objects.filter(organisation=organisation, sku__iexact=code).order_by("pk").first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Product.objects.create(
                organisation=organisation,
                sku=code,
                description=clean_text(description)[:DESCRIPTION_MAX] or code,
            )
    except IntegrityError:  # created by a concurrent check-in
        return Product.objects.get(organisation=organisation, sku=code)

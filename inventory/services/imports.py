"""CSV import and export of an organisation's products (tablib), all or nothing (docs/inventory.md).

The header names the columns (``PRODUCT_COLUMNS``; ``sku`` and ``description`` required, the others
optional, any order). A row whose SKU the organisation already has (compared without case) updates
that product: the columns present replace its values, an empty cell clears an optional field. Every
row is checked first; any problem (malformed CSV, unknown or missing column, a SKU twice in the
file, a bad value) refuses the whole file with one ``RowError`` per problem, and nothing is written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import tablib
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.selectors import user_is_member
from leasing.exceptions import NotAllowed

from ..exceptions import InvalidImport, RowError
from ..models import Product
from .products import PRODUCT_COLUMNS, product_clean

__all__ = ["IMPORT_MAX_ROWS", "ImportResult", "RowError", "products_export", "products_import"]

IMPORT_MAX_ROWS = 5000
IMPORT_MAX_CHARS = 2_000_000
REQUIRED = ("sku", "description")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    products: list[Product] = field(default_factory=list)


def _refuse(errors: list[RowError]) -> InvalidImport:
    return InvalidImport(
        _("The file was not imported (%(count)s problems); nothing was changed.") % {"count": len(errors)}
        if len(errors) != 1
        else _("The file was not imported: row %(row)s, %(field)s: %(message)s")
        % {"row": errors[0].row, "field": errors[0].field or "-", "message": errors[0].message},
        errors=errors,
    )


def _load(data: str) -> tablib.Dataset:
    """Parse the CSV strictly (an unclosed quote is an error) and refuse ragged rows, each named;
    then hand the rows to tablib."""
    if len(data) > IMPORT_MAX_CHARS:
        raise _refuse([RowError(0, "", _("The file is too large (at most 2 MB)."))])
    text = data.lstrip("\ufeff")
    if "\x00" in text or not text.strip():
        raise _refuse([RowError(0, "", _("This is not a CSV file with a header row."))])
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as error:
        raise _refuse([RowError(0, "", _("Malformed CSV: %(problem)s") % {"problem": error})]) from error
    header, body = rows[0], rows[1:]
    ragged = [
        RowError(
            number,
            "",
            _("Malformed CSV: this row has %(cells)s cells, the header %(columns)s.")
            % {"cells": len(row), "columns": len(header)},
        )
        for number, row in enumerate(body, start=1)
        if row and len(row) != len(header)
    ]
    if ragged:
        raise _refuse(ragged)
    # A blank line stays a (blank, skipped) row, so row numbers stay the file's.
    return tablib.Dataset(*[tuple(row or [""] * len(header)) for row in body], headers=header)


@transaction.atomic
def products_import(*, organisation: Organisation, by: User, data: str) -> ImportResult:
    """Create or update ``organisation``'s products from CSV text, all or nothing. Raises
    InvalidImport (``.errors``: ``RowError(row, field, message)``; row 1 is the first row after
    the header) and writes nothing if any row is bad."""
    if not user_is_member(by, organisation):
        raise NotAllowed(_("Only members of the organisation can change its products."))
    dataset = _load(data)
    headers = [(name or "").strip().lower() for name in (dataset.headers or [])]
    errors: list[RowError] = []
    for name in headers:
        if name not in PRODUCT_COLUMNS:
            errors.append(
                RowError(0, name, _("Unknown column: use %(columns)s.") % {"columns": ", ".join(PRODUCT_COLUMNS)})
            )
    for name in REQUIRED:
        if name not in headers:
            errors.append(RowError(0, name, _("The column is missing.")))
    if len(set(headers)) != len(headers):
        errors.append(RowError(0, "", _("A column is named twice.")))
    if len(dataset) > IMPORT_MAX_ROWS:
        errors.append(RowError(0, "", _("At most %(max)s rows at a time.") % {"max": IMPORT_MAX_ROWS}))
    if errors:
        raise _refuse(errors)
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()  # one import at a time
    existing = {product.sku.casefold(): product for product in Product.objects.filter(organisation=organisation)}
    seen: dict[str, int] = {}
    cleaned: list[tuple[int, dict]] = []
    for number, row in enumerate(dataset, start=1):
        raw = dict(zip(headers, row, strict=True))
        if all(str(value or "").strip() == "" for value in raw.values()):
            continue  # a blank line
        values, problems = product_clean(raw)
        for name, message in problems.items():
            errors.append(RowError(number, name, message))
        sku = values.get("sku")
        if sku:
            key = sku.casefold()
            if key in seen:
                errors.append(
                    RowError(
                        number, "sku", _("SKU %(sku)s is already on row %(row)s.") % {"sku": sku, "row": seen[key]}
                    )
                )
            else:
                seen[key] = number
        if "unit_value" not in problems and values.get("unit_value") is not None:
            currency = values.get(
                "currency", existing[sku.casefold()].currency if sku and sku.casefold() in existing else ""
            )
            if not currency and "currency" not in problems:
                errors.append(RowError(number, "currency", _("Give the currency of the declared unit value.")))
        cleaned.append((number, values))
    if errors:
        raise _refuse(errors)
    result = ImportResult()
    for _number, values in cleaned:
        product = existing.get(values["sku"].casefold())
        if product is None:
            product = Product(organisation=organisation)
            result.created += 1
        else:
            result.updated += 1
        for name, value in values.items():
            setattr(product, name, value)
        product.save()
        result.products.append(product)
    return result


def products_export(*, organisation: Organisation) -> str:
    """``organisation``'s products as CSV text, with the import's columns (``PRODUCT_COLUMNS``)."""
    dataset = tablib.Dataset(headers=PRODUCT_COLUMNS)
    for row in Product.objects.filter(organisation=organisation).order_by("sku", "pk").values_list(*PRODUCT_COLUMNS):
        dataset.append(["" if value is None else str(value) for value in row])
    return dataset.export("csv")

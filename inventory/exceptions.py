"""Inventory's domain errors: each has a stable ``code`` (the API's JSON) and a translated detail."""

from __future__ import annotations

from dataclasses import dataclass

from common.exceptions import ApplicationError


class InvalidProduct(ApplicationError):
    code = "invalid_product"


@dataclass(frozen=True)
class RowError:
    """One problem of a CSV import: the row (1 = the first data row after the header; 0 = the
    file or its header), the column (empty for the whole row) and the message."""

    row: int
    field: str
    message: str


class InvalidImport(ApplicationError):
    """The CSV was refused as a whole: nothing was written. ``errors`` lists every problem found."""

    code = "invalid_import"

    def __init__(self, detail: str, *, errors: list[RowError], code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.errors = errors


class InsufficientStock(ApplicationError):
    """Fewer units are available (on hand, not held for another order) than asked for."""

    code = "insufficient_stock"
    status = 409


class InvalidOrder(ApplicationError):
    code = "invalid_order"


class OrderStepNotAllowed(ApplicationError):
    """The order's status does not allow this step now (accepting a shipped order, cancelling a
    picked one): a conflict with its state."""

    code = "invalid_order_step"
    status = 409


class InvalidAdjustment(ApplicationError):
    code = "invalid_adjustment"


class InvalidMove(ApplicationError):
    code = "invalid_move"

"""Schemathesis hooks of the contract run (``scripts/api_contract.sh``): the one thing a schema cannot say.

JSON Schema states each value on its own. Some rules of this API are about a value and today's date
(a start not in the past), about two values (an end after the start, a radius only with a port), or
about other rows (a listing id that exists and is yours). A request the schema allows can break
them, and the server answers 400 — rightly. So ``api_contract.toml`` lets Schemathesis's
``positive_data_acceptance`` take a 400 (and a 422, the answer to an Idempotency-Key reused with
another body, which depends on an earlier request), and ``rejection_is_a_stated_rule`` below takes
the strictness back: a schema-valid request may be refused only

- with 400 naming only the fields (or domain codes) listed for its operation in ``RULES``, each a
  rule the schema cannot state (anything else, e.g. a header length, a pattern, a minimum, belongs in
  the schema: fix the schema, not this list);
- with 422 ``idempotency_key_reused``.
"""

import json
from typing import Any

import schemathesis
from schemathesis.specs.openapi.checks import is_unexpected_http_status_case

DATES = "dates are business dates: not in the past, the end on or after the start"
EXISTS = "an object that exists and that you may use (an id, or a UN/LOCODE in the ports table)"
FILES = "a file is a PDF or an image by its bytes (and its name's extension), not empty, within the size limit"

RULES: dict[str, dict[str, str]] = {
    "GET /api/v1/search/": {
        "start": DATES + "; both dates or neither",
        "end": DATES + "; both dates or neither",
        "port": EXISTS + "; needed for `radius`",
        "currency": "needed with `max_price` (prices are not converted)",
        "sort": "`distance` needs a `port`",
    },
    "POST /api/v1/leases/": {
        "listing": EXISTS,
        "start": DATES,
        "end": DATES,
        "invalid_dates": "the listing's minimum and maximum lease, and its availability window",
    },
    "POST /api/v1/leases/{id}/extend/": {"end": "after the lease's end", "invalid_extension": "the listing's rules"},
    "POST /api/v1/leases/{id}/dispute/": {
        "claimed_amount": "at most what escrow holds",
        "evidence": FILES,
        "evidence_invalid": FILES,
        "dispute_invalid": "a claim in the lease currency's minor units and not negative",
    },
    "POST /api/v1/disputes/{id}/messages/": {
        "dispute_invalid": "a message, a file, or both: one of two fields (and files only in multipart)",
        "files": FILES,
        "evidence_invalid": FILES,
    },
    "GET /api/v1/leases/{id}/transfer-quote/": {
        "price": "above zero: a decimal string's minimum cannot be stated in JSON Schema",
    },
    "POST /api/v1/leases/{id}/transfers/": {
        "price": "above zero: a decimal string's minimum cannot be stated in JSON Schema",
        "to_organisation": EXISTS + " (another verified exporter)",
        "invalid_transfer": "the lease's days and units still in escrow from `start`",
    },
    "POST /api/v1/leases/{id}/shipments/": {
        "eta": DATES,
        "invalid_shipment": "a bonded warehouse needs `customs_reference`",
    },
    "POST /api/v1/shipments/{id}/checkin/": {
        "received": "one count for each declared line of this shipment, each line once",
        "invalid_shipment": "one count for each declared line of this shipment",
        "photos": FILES,
    },
    "POST /api/v1/listings/": {
        "warehouse": EXISTS,
        "available_from": DATES,
        "available_until": DATES,
        "max_days": "at least `min_days`",
        "min_days": "at most `max_days`",
        "invalid_dates": DATES,
    },
    "PATCH /api/v1/listings/{id}/": {
        "available_from": DATES,
        "available_until": DATES,
        "max_days": "at least `min_days`",
        "min_days": "at most `max_days`",
        "invalid_dates": DATES,
    },
    "POST /api/v1/listings/{id}/exceptions/": {"start": DATES, "end": DATES, "invalid_dates": DATES},
    "POST /api/v1/products/": {
        "sku": "printable characters (Python's str.isprintable), which JSON Schema cannot list",
        "currency": "needed with `unit_value` (OpenAPI 3.0 has no dependentRequired)",
        "invalid_product": "a SKU unique in your organisation, compared without case (other rows)",
    },
    "PATCH /api/v1/products/{id}/": {
        "sku": "printable characters (Python's str.isprintable), which JSON Schema cannot list",
        "currency": "needed when the product has a `unit_value` (this request's or the stored one)",
        "invalid_product": "a SKU unique in your organisation, compared without case (other rows)",
    },
    "DELETE /api/v1/products/{id}/": {"in_use": "a product that has moved stays: the stock ledger points at it"},
    "POST /api/v1/products/import/": {
        "invalid_import": "each CSV row a valid product, each SKU once: the CSV's content is not JSON",
        "file": "UTF-8 text",
    },
    "POST /api/v1/leases/{id}/adjustments/": {
        "product": EXISTS + " (a product of the lease's exporter)",
        "no_goods": "the lease can hold goods in its state (checked in, active …)",
        "photos": FILES,
    },
    "POST /api/v1/leases/{id}/orders/": {
        "lines": EXISTS + " (a SKU of your products); each SKU once",
        "consignee_missing": "a `ship` order needs the consignee's name, address, country and phone",
        "no_lines": "a `ship` or `pickup` order has lines",
        "invalid_order": "a `removal` has no lines (it takes everything on hand)",
        "no_goods": "the lease holds goods now",
    },
    "POST /api/v1/warehouses/": {"nearest_port": EXISTS},
    "PATCH /api/v1/warehouses/{id}/": {"nearest_port": EXISTS},
}


def _body(response: Any) -> dict[str, Any]:
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@schemathesis.check
def rejection_is_a_stated_rule(ctx: Any, response: Any, case: Any) -> bool | None:
    """A schema-valid request refused with 400 names only rules the schema cannot state (RULES); with 422,
    only a reused Idempotency-Key."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or is_unexpected_http_status_case(case):
        return None
    if response.status_code not in (400, 422):
        return None
    body, label = _body(response), case.operation.label
    if response.status_code == 422:
        if body.get("code") == "idempotency_key_reused":
            return None
        raise AssertionError(f"{label}: a schema-valid request answered 422 `{body.get('code')}`")
    named = set(body.get("fields") or {}) if body.get("code") == "invalid" else {str(body.get("code"))}
    stated = RULES.get(label, {})
    unstated = sorted(named - set(stated)) or ([] if named else ["(nothing named)"])
    if unstated:
        raise AssertionError(
            f"{label}: a schema-valid request answered 400 for {', '.join(unstated)}: {body}\n"
            "Say it in the schema (api/schema.py, the serializer or the filter), or, for a rule JSON Schema "
            "cannot state, list it in RULES in scripts/api_contract_checks.py with the reason."
        )
    return None

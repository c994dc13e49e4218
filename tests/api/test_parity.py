"""Every step a person can take on a lease or transfer page has an API operation: the rules module
lists the steps (``leasing.rules.LEASE_ACTIONS``, ``SHIPMENT_ACTIONS``, ``TRANSFER_ACTIONS``), the
committed schema lists the operations. Removing an endpoint, or adding a rule without one, fails here."""

from pathlib import Path

import yaml

from leasing import rules

SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[2] / "schema" / "openapi.yaml").read_text())

# Each step → the operation that takes it.
OPERATIONS = {
    "accept": ("post", "/api/v1/leases/{id}/accept/"),
    "decline": ("post", "/api/v1/leases/{id}/decline/"),
    "withdraw": ("post", "/api/v1/leases/{id}/withdraw/"),
    "pay": ("post", "/api/v1/leases/{id}/pay/"),
    "pay_instalment": ("post", "/api/v1/leases/{id}/instalments/pay/"),
    "announce": ("post", "/api/v1/leases/{id}/shipments/"),
    "confirm": ("post", "/api/v1/leases/{id}/confirm/"),
    "dispute": ("post", "/api/v1/leases/{id}/dispute/"),
    "cancel": ("post", "/api/v1/leases/{id}/cancel/"),
    "extend": ("post", "/api/v1/leases/{id}/extend/"),
    "transfer": ("post", "/api/v1/leases/{id}/transfers/"),
    "mark": ("post", "/api/v1/shipments/{id}/status/"),
    "check_in": ("post", "/api/v1/shipments/{id}/checkin/"),
    "transfer_accept": ("post", "/api/v1/transfers/{id}/accept/"),
    "transfer_consent": ("post", "/api/v1/transfers/{id}/consent/"),
    "transfer_withdraw": ("post", "/api/v1/transfers/{id}/withdraw/"),
}


def test_every_page_step_has_an_api_operation():
    steps = set(rules.LEASE_ACTIONS) | set(rules.SHIPMENT_ACTIONS) | set(rules.TRANSFER_ACTIONS)
    assert steps == set(OPERATIONS), "a step has no operation"
    missing = [step for step, (method, path) in OPERATIONS.items() if method not in SCHEMA["paths"].get(path, {})]
    assert missing == []

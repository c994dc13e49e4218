"""Every step a person can take on a lease page has an API operation: the rules module lists the
steps (``leasing.rules.LEASE_ACTIONS``, ``SHIPMENT_ACTIONS``), the committed schema lists the
operations. Removing an endpoint, or adding a rule without one, fails here."""

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
    "announce": ("post", "/api/v1/leases/{id}/shipments/"),
    "confirm": ("post", "/api/v1/leases/{id}/confirm/"),
    "dispute": ("post", "/api/v1/leases/{id}/dispute/"),
    "cancel": ("post", "/api/v1/leases/{id}/cancel/"),
    "extend": ("post", "/api/v1/leases/{id}/extend/"),
    "mark": ("post", "/api/v1/shipments/{id}/status/"),
    "check_in": ("post", "/api/v1/shipments/{id}/checkin/"),
}
# Steps the pages offer that the API does not take yet (issue #19: transfers). Each must really be
# missing from the schema: when its endpoint lands, move it into OPERATIONS.
NOT_YET = {"transfer": "/api/v1/leases/{id}/transfers/"}


def test_every_page_step_has_an_api_operation():
    steps = set(rules.LEASE_ACTIONS) | set(rules.SHIPMENT_ACTIONS)
    assert steps == set(OPERATIONS) | set(NOT_YET), "a step has neither an operation nor a NOT_YET entry"
    missing = [step for step, (method, path) in OPERATIONS.items() if method not in SCHEMA["paths"].get(path, {})]
    assert missing == []


def test_the_steps_not_yet_in_the_api_are_really_missing():
    assert [path for path in NOT_YET.values() if path in SCHEMA["paths"]] == []

"""Schemathesis against the served schema: generated requests (valid and invalid) for every
operation, authenticated with a write key of a seeded owner whose lease has a checked-in
shipment. Acceptance: no server error and every answer as the schema says (status code, content
type, body, headers).

Schemathesis 4's pytest plugin (``schema.parametrize``) reads a node attribute that pytest 9
removed, so the operations are driven here with its public strategy API (``as_strategy``) and
Hypothesis directly: the same generation and the same checks.
"""

from decimal import Decimal

import hypothesis
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from inventory import services as inventory
from inventory.models import Product
from leasing import rules, transfers
from leasing.choices import LeaseState
from tests.accounts.factories import ExporterOrganisationFactory, member_of
from tests.api.conftest import key_for
from tests.leasing.factories import Parties
from tests.warehouses.factories import days_from_now

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
]
EXAMPLES = 12  # per operation and mode: about 25 s in all (30 finds nothing more in 85 s)


@pytest.fixture
def _keep_connection():
    """Schemathesis calls the WSGI handler directly; like Django's test client, keep the request's start and end
    from closing the test's database connection (on PostgreSQL that would end the test transaction)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def seeded(db, settings, _keep_connection):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}
    parties = Parties()
    lease = parties.lease_in(LeaseState.CHECKED_IN)
    other = parties.request()  # a second lease, still requested: accept/decline have something to act on
    # A paid lease with a transfer taken by another exporter: the owner's consent has something to act on.
    funded = parties.lease_in(LeaseState.FUNDED, start=days_from_now(20), end=days_from_now(30), quantity=1)
    receiver = ExporterOrganisationFactory()
    transfer = transfers.transfer_offer(
        lease=funded, by=parties.exporter, quantity=1, start=rules.transfer_earliest(funded), price=Decimal("9.00")
    )
    transfers.transfer_accept(transfer=transfer, by=member_of(receiver), organisation=receiver)
    # Goods on the checked-in lease (its check-in received them), an outbound order of some, and a product
    # of the owner's own (the key's organisation): the inventory operations have something to act on.
    chairs = Product.objects.get(organisation=parties.exporter_org, sku="CH-1")
    order = inventory.order_create(
        lease=lease, by=parties.exporter, kind="pickup", lines=[(chairs, 1)], reference="PO-1"
    )
    product = inventory.product_create(organisation=parties.owner_org, by=parties.owner, sku="OWN-1", description="Own")
    return {
        "key": key_for(parties.owner_org, user=parties.owner),
        "/api/v1/leases/": lease.pk,
        "/api/v1/listings/": parties.listing.pk,
        "/api/v1/warehouses/": parties.listing.warehouse_id,
        "/api/v1/shipments/": lease.shipments.get().pk,
        "/api/v1/transfers/": transfer.pk,
        "/api/v1/orders/": order.pk,
        "/api/v1/products/": product.pk,
        "requested": other.pk,
        "funded": funded.pk,
    }


def _path_parameters(path: str, seeded: dict) -> dict:
    for prefix, pk in seeded.items():
        if path.startswith(f"{prefix}{{id}}"):
            if prefix == "/api/v1/leases/" and path.endswith(("/accept/", "/decline/")):
                pk = seeded["requested"]
            if prefix == "/api/v1/leases/" and path.endswith(("/transfers/", "/transfer-quote/")):
                pk = seeded["funded"]
            return {"id": pk}
    return {}


def test_every_operation_matches_the_schema(seeded):
    config = SchemathesisConfig.from_dict(
        {"checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}}}
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", WSGIHandler(), config=config)
    headers = {"Authorization": f"Api-Key {seeded['key']}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(
                mode, path_parameters=_path_parameters(operation.path, seeded) or None, headers=headers
            )

            @hypothesis.settings(
                max_examples=EXAMPLES,
                database=None,
                deadline=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
                phases=[hypothesis.Phase.generate],
            )
            @hypothesis.given(case=strategy)
            def run(case):
                case.call_and_validate()

            try:
                run()
            except Unsatisfiable:
                continue  # negative mode: nothing left to make invalid when every parameter is fixed
            except (Exception, BaseExceptionGroup) as error:  # collect every operation's failures, then fail once
                failures.append(f"{operation.label} [{mode.value}]: {error}")
    assert operations >= 30
    assert not failures, "\n\n".join(failures)

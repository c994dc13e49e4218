"""Webhook events beyond the lease's own states: disputes, payouts and refunds (transfers:
test_transfers.py). Each lower app sends a hook where the state changes; the API records a delivery
for every endpoint that wants it, in the same transaction."""

import json

import pytest

from api.models import WebhookDelivery
from escrow import processor
from escrow.exceptions import GatewayUnavailable
from escrow.models import PayoutAccount
from escrow.services import payout_account_connect_simulated
from leasing import services
from leasing.choices import LeaseState as S
from tests.api.factories import WebhookEndpointFactory
from tests.leasing.factories import Parties
from tests.trust.factories import staff_user
from trust import services as trust_services
from trust.choices import Outcome

pytestmark = pytest.mark.django_db


def _events(endpoint) -> list[dict]:
    return [
        json.loads(body)
        for body in WebhookDelivery.objects.filter(endpoint=endpoint).order_by("pk").values_list("body", flat=True)
    ]


def _types(endpoint, prefix: str = "") -> list[str]:
    return [event["type"] for event in _events(endpoint) if event["type"].startswith(prefix)]


@pytest.fixture
def p() -> Parties:
    return Parties()


@pytest.fixture
def hooks(p):
    return WebhookEndpointFactory(organisation=p.exporter_org), WebhookEndpointFactory(organisation=p.owner_org)


def test_a_dispute_opened_and_resolved_goes_to_both_sides(p, hooks, django_capture_on_commit_callbacks):
    exporter, owner = hooks
    lease = p.lease_in(S.DISPUTED)
    dispute = lease.disputes.get()
    with django_capture_on_commit_callbacks(execute=True):
        trust_services.dispute_resolve(dispute=dispute, by=staff_user(), outcome=Outcome.REFUND, note="Never arrived")
    for endpoint in hooks:
        assert _types(endpoint, "dispute.") == ["dispute.opened", "dispute.resolved"]
    opened, resolved = (event for event in _events(owner) if event["type"].startswith("dispute."))
    assert opened["data"]["dispute"]["id"] == dispute.pk
    assert (opened["data"]["dispute"]["state"], opened["data"]["resolution"]) == ("open", None)
    assert opened["data"]["dispute"]["claimed_amount"] == str(dispute.claimed_amount)
    assert resolved["data"]["resolution"]["outcome"] == "refund"
    assert resolved["data"]["resolution"]["lease_state_after"] == "cancelled"
    assert resolved["data"]["resolution"]["note"] == "Never arrived"
    # The full refund: issued, then returned by the processor; told to the exporter only.
    assert _types(exporter, "refund.") == ["refund.pending", "refund.succeeded"]
    assert _types(owner, "refund.") == []
    refund = _events(exporter)[-1]["data"]
    assert (refund["lease"], refund["refund"]["status"]) == (lease.pk, "succeeded")


def test_a_payout_waiting_for_its_account_then_paid_is_told_to_the_owner(p, hooks, django_capture_on_commit_callbacks):
    exporter, owner = hooks
    PayoutAccount.objects.filter(organisation=p.owner_org).delete()
    with django_capture_on_commit_callbacks(execute=True):
        lease = p.lease_in(S.ACTIVE)
    assert _types(owner, "payout.") == ["payout.waiting"]
    payout_account_connect_simulated(organisation=p.owner_org, holder_name="Owner BV", iban="NL00BANK0123456789")
    assert processor.payouts_retry() == 1
    assert processor.payouts_retry() == 0
    assert _types(owner, "payout.") == ["payout.waiting", "payout.paid"]
    assert _types(exporter, "payout.") == []
    assert "escrow.released" in _types(exporter)
    assert "escrow.released" in _types(owner)
    paid = _events(owner)[-1]["data"]
    assert (paid["lease"], paid["payout"]["status"]) == (lease.pk, "paid")


class Down:
    """The payment processor not answering (a 5xx or a timeout)."""

    def transfer(self, **kwargs):
        raise GatewayUnavailable("The payment processor is unavailable. Please try again.")

    refund = transfer


def test_processor_failures_are_told_once_per_change(p, hooks, monkeypatch, django_capture_on_commit_callbacks):
    exporter, owner = hooks
    monkeypatch.setattr(processor, "get_gateway", Down)
    with django_capture_on_commit_callbacks(execute=True):
        lease = p.lease_in(S.ACTIVE)
    assert _types(owner, "payout.") == ["payout.failed"]
    assert _events(owner)[-1]["data"]["payout"]["failure_message"]
    processor.payouts_retry()  # still down: failed again, no new event
    assert _types(owner, "payout.") == ["payout.failed"]

    cancelled = p.lease_in(S.FUNDED, start=lease.end, end=lease.end)
    with django_capture_on_commit_callbacks(execute=True):
        services.lease_cancel(lease=cancelled, by=p.exporter, side="exporter")
    assert _types(exporter, "refund.") == ["refund.pending", "refund.failed"]
    processor.refunds_retry()
    assert _types(exporter, "refund.") == ["refund.pending", "refund.failed"]

    monkeypatch.undo()
    processor.payouts_retry()
    processor.refunds_retry()
    assert _types(owner, "payout.") == ["payout.failed", "payout.paid"]
    assert _types(exporter, "refund.") == ["refund.pending", "refund.failed", "refund.succeeded"]

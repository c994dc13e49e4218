"""A payment that succeeds after the lease was already paid (escrow refunds it in full) still gets
its receipt, and its refund a refund receipt: every charge and every refund has a document."""

import pytest

from documents.choices import DocumentKind
from documents.models import Document
from escrow.choices import PaymentStatus
from escrow.models import Refund
from leasing.choices import LeaseState as S
from tests.escrow.helpers import events_of, post_event, stripe_parties

from .helpers import document_text

pytestmark = pytest.mark.django_db


def test_a_duplicate_payment_has_a_receipt_and_its_refund_a_refund_receipt(
    client,
    stripe_mode,
    django_capture_on_commit_callbacks,
):
    fake = stripe_mode
    p = stripe_parties(fake)
    lease = p.lease_in(S.ACCEPTED)
    first = p.pay(lease, payment_method="pm_card_authenticationRequired")
    fake.authenticate(first.processor_id, succeed=False)
    for event in events_of(fake, "payment_intent.payment_failed"):
        assert post_event(client, fake, event).status_code == 200
    second = p.pay(lease, payment_method="pm_card_visa")
    fake.confirm_again(first.processor_id)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, fake, events_of(fake, "payment_intent.succeeded")[-1]).status_code == 200
    first.refresh_from_db()
    assert first.status == PaymentStatus.DUPLICATE

    receipts = Document.objects.filter(kind=DocumentKind.RECEIPT).order_by("sequence")
    assert [(r.payment, r.sequence) for r in receipts] == [(second, 1), (first, 2)]
    refund_receipt = Document.objects.get(kind=DocumentKind.REFUND_RECEIPT)
    assert refund_receipt.refund == Refund.objects.get(payment=first)
    assert "already paid: refunded in full" in document_text(receipts[1])
    assert "already paid" in document_text(refund_receipt)
    assert refund_receipt.amount == first.amount

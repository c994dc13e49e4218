"""Disputes through the services and the pages: opening with a claim and evidence, the thread,
resolution by refund, release, split or finding, emails and events for each step, and who may
see what."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.exceptions import PermissionDenied
from escrow import ledger
from escrow.choices import PayoutStatus, RefundStatus
from escrow.models import Payout, Posting, Refund
from leasing.choices import LeaseState as S
from leasing.exceptions import InvalidTransition, NotAllowed
from leasing.models import Lease, LeaseEvent
from tests.accounts.factories import OrganisationFactory, member_of
from trust import services
from trust.choices import Author, DisputeKind, DisputeState, FoundAgainst, Outcome
from trust.exceptions import DisputeInvalid, EvidenceInvalid, SettlementInvalid
from trust.models import AuditLogEntry, Dispute, DisputeAttachment, DisputeMessage, Resolution
from warehouses.models import CalendarDay

from .factories import disputed, not_an_image, pdf, png, staff_user

pytestmark = pytest.mark.django_db


def recipients():
    return sorted({address for message in mail.outbox for address in message.to})


def reserved(lease):
    return sum(
        CalendarDay.objects.filter(listing=lease.listing, day__range=(lease.start, lease.end)).values_list(
            "reserved", flat=True
        )
    )


# --- Opening ----------------------------------------------------------------------------------


def test_the_exporter_disputes_the_check_in_with_a_claim_and_evidence(p, django_capture_on_commit_callbacks):
    lease = p.lease_in(S.CHECKED_IN)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        dispute = services.dispute_open(
            lease=lease,
            by=p.exporter,
            reason="Ten chairs missing",
            claimed_amount=Decimal("12.50"),
            evidence=[png("crushed.png"), pdf("packing-list.pdf")],
        )

    lease.refresh_from_db()
    assert lease.state == S.DISPUTED
    assert (dispute.kind, dispute.opened_by_side, dispute.claimed_amount) == (
        DisputeKind.CHECK_IN,
        "exporter",
        Decimal("12.50"),
    )
    assert dispute.held_at_open == lease.total == ledger.escrow_held(lease.escrow)
    first = dispute.messages.get()
    assert (first.author_role, first.body) == (Author.EXPORTER, "Ten chairs missing")
    files = list(first.attachments.order_by("pk"))
    assert [(f.original_name, f.content_type) for f in files] == [
        ("crushed.png", "image/png"),
        ("packing-list.pdf", "application/pdf"),
    ]
    # Evidence is stored privately: never under MEDIA_ROOT, and under a random name.
    stored = Path(files[0].file.path)
    assert Path(settings.PRIVATE_MEDIA_ROOT) in stored.parents
    assert Path(settings.MEDIA_ROOT) not in stored.parents
    assert "crushed" not in stored.name
    assert LeaseEvent.objects.filter(lease=lease, to_state=S.DISPUTED, note__contains="Ten chairs missing").exists()
    both = sorted([p.owner.email, p.exporter.email])
    assert recipients() == both
    assert "opened a dispute" in mail.outbox[0].subject
    assert reverse("trust:dispute_detail", args=[dispute.pk]) in mail.outbox[0].body


def test_the_claim_defaults_to_everything_held_and_cannot_exceed_it(p):
    dispute = disputed(p)
    assert dispute.claimed_amount == dispute.held_at_open

    other = p.lease_in(S.CHECKED_IN)
    with pytest.raises(DisputeInvalid, match="claim at most"):
        services.dispute_open(lease=other, by=p.exporter, reason="x", claimed_amount=other.total + 1)
    with pytest.raises(DisputeInvalid, match="more decimals"):
        services.dispute_open(lease=other, by=p.exporter, reason="x", claimed_amount=Decimal("1.234"))
    assert Lease.objects.get(pk=other.pk).state == S.CHECKED_IN


def test_who_may_open_what(p):
    checked_in = p.lease_in(S.CHECKED_IN)
    with pytest.raises(NotAllowed, match="Only the exporter can dispute the check-in"):
        services.dispute_open(lease=checked_in, by=p.owner, reason="x")
    with pytest.raises(NotAllowed):
        services.dispute_open(lease=checked_in, by=member_of(OrganisationFactory()), reason="x")
    with pytest.raises(InvalidTransition, match="active lease"):
        services.dispute_open(lease=checked_in, by=p.exporter, reason="x", kind=DisputeKind.DAMAGE_OR_LOSS)
    funded = p.lease_in(S.FUNDED)
    with pytest.raises(InvalidTransition, match="no check-in"):
        services.dispute_open(lease=funded, by=p.exporter, reason="x")
    assert not Dispute.objects.exists()


def test_bad_evidence_is_refused_before_anything_is_written(p):
    lease = p.lease_in(S.CHECKED_IN)
    with pytest.raises(EvidenceInvalid, match=r"photo\.png"):
        services.dispute_open(lease=lease, by=p.exporter, reason="x", evidence=[png(), not_an_image()])
    lease.refresh_from_db()
    assert lease.state == S.CHECKED_IN
    assert not Dispute.objects.exists()
    assert not DisputeAttachment.objects.exists()


def test_the_page_opens_a_dispute_with_files_and_goes_to_the_thread(client, p):
    lease = p.lease_in(S.CHECKED_IN)
    client.force_login(p.exporter)

    response = client.post(
        reverse("trust:lease_dispute", args=[lease.pk]),
        {"dispute-reason": "Pallet crushed", "dispute-claimed_amount": "20.00", "dispute-evidence": [png(), pdf()]},
    )

    dispute = Dispute.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("trust:dispute_detail", args=[dispute.pk])
    assert dispute.claimed_amount == Decimal("20.00")
    assert dispute.messages.get().attachments.count() == 2
    page = client.get(reverse("leasing:lease_detail", args=[lease.pk])).content.decode()
    assert reverse("trust:dispute_detail", args=[dispute.pk]) in page


def test_the_lease_page_offers_the_dispute_only_while_it_can_be_opened(client, p):
    lease = p.lease_in(S.CHECKED_IN)
    client.force_login(p.owner)
    assert "dispute-reason" not in client.get(reverse("leasing:lease_detail", args=[lease.pk])).content.decode()
    client.force_login(p.exporter)
    assert (
        'enctype="multipart/form-data"' in client.get(reverse("leasing:lease_detail", args=[lease.pk])).content.decode()
    )
    p.confirm(lease)
    # Active: either side can report damage or loss.
    for user in (p.owner, p.exporter):
        client.force_login(user)
        assert "Report damage or loss" in client.get(reverse("leasing:lease_detail", args=[lease.pk])).content.decode()


# --- Active leases: nothing held ------------------------------------------------------------------


def test_damage_on_an_active_lease_records_a_finding_without_money(p, django_capture_on_commit_callbacks):
    lease = p.lease_in(S.ACTIVE)
    assert ledger.escrow_held(lease.escrow) == 0
    dispute = services.dispute_open(
        lease=lease, by=p.owner, reason="Forklift damage from leaking drums", kind=DisputeKind.DAMAGE_OR_LOSS
    )
    assert (dispute.opened_by_side, dispute.held_at_open, dispute.claimed_amount) == ("owner", 0, 0)
    staff = staff_user()
    postings = Posting.objects.count()

    for outcome in (Outcome.REFUND, Outcome.RELEASE, Outcome.SPLIT):
        with pytest.raises(SettlementInvalid, match="Nothing is held"):
            services.dispute_resolve(
                dispute=dispute, by=staff, outcome=outcome, note="x", owner_part=0, exporter_part=0
            )
    with pytest.raises(SettlementInvalid, match="whom the finding goes against"):
        services.dispute_resolve(dispute=dispute, by=staff, outcome=Outcome.FINDING, note="x")
    with django_capture_on_commit_callbacks(execute=True):
        resolution = services.dispute_resolve(
            dispute=dispute,
            by=staff,
            outcome=Outcome.FINDING,
            note="Drums were leaking",
            found_against=FoundAgainst.EXPORTER,
        )

    lease.refresh_from_db()
    assert lease.state == S.ACTIVE
    assert (resolution.owner_part, resolution.exporter_part, resolution.found_against) == (0, 0, "exporter")
    assert Posting.objects.count() == postings
    assert Payout.objects.filter(escrow__lease=lease).count() == 1  # only the original release


def test_a_finding_is_refused_while_money_is_held(p):
    dispute = disputed(p)
    with pytest.raises(SettlementInvalid, match="still holds"):
        services.dispute_resolve(
            dispute=dispute, by=staff_user(), outcome=Outcome.FINDING, note="x", found_against=FoundAgainst.OWNER
        )


# --- Resolution ---------------------------------------------------------------------------------------


def test_a_full_refund_cancels_the_lease_frees_capacity_and_refunds_the_card(p, django_capture_on_commit_callbacks):
    dispute = disputed(p)
    lease = dispute.lease
    assert reserved(lease) > 0
    staff = staff_user()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        resolution = services.dispute_resolve(
            dispute=dispute, by=staff, outcome=Outcome.REFUND, note="Goods never arrived intact"
        )

    lease.refresh_from_db()
    dispute.refresh_from_db()
    assert (lease.state, dispute.state) == (S.CANCELLED, DisputeState.RESOLVED)
    assert reserved(lease) == 0
    refund = Refund.objects.get(escrow=lease.escrow)
    assert refund.idempotency_key == f"escrow:{lease.escrow.pk}:dispute:{dispute.pk}:refund"
    assert (refund.amount, refund.status) == (lease.total, RefundStatus.SUCCEEDED)
    assert (resolution.exporter_part, resolution.owner_part, resolution.platform_fee) == (lease.total, 0, 0)
    assert resolution.found_against == FoundAgainst.OWNER
    assert ledger.escrow_held(lease.escrow) == 0
    assert ledger.account_balance(ledger.refund_exporter(p.exporter_org.pk), lease.currency) == 0
    assert not Payout.objects.filter(escrow=lease.escrow).exists()
    assert all(total == 0 for total in ledger.ledger_totals().values())
    event = LeaseEvent.objects.filter(lease=lease, to_state=S.CANCELLED).get()
    assert event.actor == staff
    assert f"Dispute #{dispute.pk} resolved" in event.note
    audit = AuditLogEntry.objects.get(action="dispute.resolve")
    assert (audit.actor, audit.before["state"], audit.after["outcome"]) == (staff, "open", "refund")
    assert recipients() == sorted([p.owner.email, p.exporter.email])
    assert any("resolved the dispute" in message.subject for message in mail.outbox)


def test_a_full_release_pays_the_owner_less_the_fee(p, django_capture_on_commit_callbacks):
    dispute = disputed(p)
    lease = dispute.lease

    with django_capture_on_commit_callbacks(execute=True):
        resolution = services.dispute_resolve(
            dispute=dispute, by=staff_user(), outcome=Outcome.RELEASE, note="Count matches CCTV"
        )

    lease.refresh_from_db()
    assert lease.state == S.ACTIVE
    payout = Payout.objects.get(escrow=lease.escrow)
    assert (payout.amount, payout.status) == (lease.owner_amount, PayoutStatus.PAID)
    assert resolution.platform_fee == lease.platform_fee
    assert resolution.found_against == FoundAgainst.EXPORTER
    assert ledger.account_balance(ledger.PLATFORM_FEE, lease.currency) == -lease.platform_fee
    assert not Refund.objects.exists()


def test_a_split_moves_exactly_the_parts(p, django_capture_on_commit_callbacks):
    dispute = disputed(p, claimed=Decimal("20.00"))
    lease = dispute.lease  # total 48.30 = 46.00 + 2.30 fee
    assert lease.total == Decimal("48.30")

    with django_capture_on_commit_callbacks(execute=True):
        resolution = services.dispute_resolve(
            dispute=dispute,
            by=staff_user(),
            outcome=Outcome.SPLIT,
            note="Half the tables were missing",
            owner_part=Decimal("28.30"),
            exporter_part=Decimal("20.00"),
        )

    # fee on the owner's part: 28.30 × 2.30 / 48.30 = 1.3476… → 1.34 (rounded down)
    assert resolution.platform_fee == Decimal("1.34")
    assert Payout.objects.get(escrow=lease.escrow).amount == Decimal("26.96")
    assert Refund.objects.get(escrow=lease.escrow).amount == Decimal("20.00")
    assert ledger.account_balance(ledger.PLATFORM_FEE, "EUR") == Decimal("-1.34")
    assert ledger.escrow_held(lease.escrow) == 0
    assert resolution.found_against == FoundAgainst.OWNER  # the exporter got its whole claim
    assert Lease.objects.get(pk=lease.pk).state == S.ACTIVE


def test_a_split_that_does_not_add_up_moves_nothing(p):
    dispute = disputed(p)
    postings, events = Posting.objects.count(), LeaseEvent.objects.count()

    with pytest.raises(SettlementInvalid) as error:
        services.dispute_resolve(
            dispute=dispute,
            by=staff_user(),
            outcome=Outcome.SPLIT,
            note="x",
            owner_part=Decimal("30"),
            exporter_part=Decimal("18"),
        )

    assert "add up to €48.00, but escrow holds €48.30" in error.value.detail
    assert "Nothing was moved" in error.value.detail
    assert (Posting.objects.count(), LeaseEvent.objects.count()) == (postings, events)
    dispute.refresh_from_db()
    assert (dispute.state, dispute.lease.state) == (DisputeState.OPEN, S.DISPUTED)
    assert not Resolution.objects.exists()
    assert not AuditLogEntry.objects.exists()


def test_only_staff_resolve_and_only_once(p):
    dispute = disputed(p)
    with pytest.raises(PermissionDenied):
        services.dispute_resolve(dispute=dispute, by=p.owner, outcome=Outcome.RELEASE, note="mine")
    staff = staff_user()
    services.dispute_resolve(dispute=dispute, by=staff, outcome=Outcome.RELEASE, note="ok")
    with pytest.raises(DisputeInvalid, match="already resolved"):
        services.dispute_resolve(dispute=dispute, by=staff, outcome=Outcome.REFUND, note="changed my mind")
    with pytest.raises(DisputeInvalid, match="Explain"):
        services.dispute_resolve(dispute=disputed(p), by=staff, outcome=Outcome.REFUND, note="  ")


# --- The thread ----------------------------------------------------------------------------------------


def test_both_sides_and_staff_write_in_the_thread(p, django_capture_on_commit_callbacks):
    dispute = disputed(p)
    staff = staff_user()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.dispute_message_post(dispute=dispute, by=p.owner, body="CCTV shows 40 chairs", files=[png("cctv.png")])
    assert recipients() == [p.exporter.email]  # the other side
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.dispute_message_post(dispute=dispute, by=staff, body="Please send the bill of lading", as_staff=True)
    assert recipients() == sorted([p.owner.email, p.exporter.email])

    roles = list(dispute.messages.values_list("author_role", flat=True))
    assert roles == ["exporter", "owner", "staff"]
    notes = list(
        LeaseEvent.objects.filter(lease=dispute.lease, note__startswith="Dispute #").values_list("note", flat=True)
    )
    assert notes == [
        f"Dispute #{dispute.pk}: message from the owner (1 file attached)",
        f"Dispute #{dispute.pk}: message from Wareshare staff",
    ]
    assert AuditLogEntry.objects.filter(action="dispute.message", actor=staff).count() == 1
    with pytest.raises(PermissionDenied):
        services.dispute_message_post(dispute=dispute, by=p.owner, body="I am staff", as_staff=True)
    with pytest.raises(DisputeInvalid, match="Write a message"):
        services.dispute_message_post(dispute=dispute, by=p.owner, body=" ")
    services.dispute_resolve(dispute=dispute, by=staff, outcome=Outcome.RELEASE, note="ok")
    with pytest.raises(DisputeInvalid, match="closed"):
        services.dispute_message_post(dispute=dispute, by=p.exporter, body="But…")


def test_messages_are_append_only(p):
    message = disputed(p).messages.get()
    message.body = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        message.save()
    with pytest.raises(ValueError, match="append-only"):
        message.delete()
    with pytest.raises(ValueError, match="append-only"):
        DisputeMessage.objects.filter(pk=message.pk).update(body="rewritten")


def test_the_thread_page_for_both_sides(client, p):
    dispute = disputed(p, evidence=[png("crushed.png"), pdf("packing-list.pdf")])
    url = reverse("trust:dispute_detail", args=[dispute.pk])
    for user in (p.owner, p.exporter):
        client.force_login(user)
        page = client.get(url).content.decode()
        for text in ("Two cartons of tables are missing", "crushed.png", "packing-list.pdf"):
            assert text in page

    client.force_login(p.owner)
    response = client.post(url, {"body": "Our count was 40", "evidence": [png("count.png")]})
    assert response.status_code == 302
    assert dispute.messages.count() == 2
    assert client.post(url, {"body": ""}).status_code == 200  # form error, nothing posted
    assert dispute.messages.count() == 2


def test_evidence_is_served_to_the_parties_only(client, p):
    dispute = disputed(p, evidence=[png("crushed.png"), pdf("packing-list.pdf")])
    image, document = DisputeAttachment.objects.order_by("pk")
    client.force_login(p.owner)

    response = client.get(reverse("trust:attachment_download", args=[image.pk]))
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")
    assert "inline" in response["Content-Disposition"]
    response = client.get(reverse("trust:attachment_download", args=[document.pk]))
    assert "attachment" in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]

    client.force_login(member_of(OrganisationFactory(is_owner=True, is_exporter=True)))
    assert client.get(reverse("trust:attachment_download", args=[image.pk])).status_code == 404
    assert client.get(reverse("trust:dispute_detail", args=[dispute.pk])).status_code == 404
    assert client.post(reverse("trust:dispute_detail", args=[dispute.pk]), {"body": "hi"}).status_code == 404
    assert dispute.messages.count() == 1


def _queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def test_the_thread_costs_the_same_for_one_message_or_six(client, p):
    one = disputed(p, evidence=[png()])
    six = disputed(p, evidence=[png()])
    for i in range(5):
        services.dispute_message_post(
            dispute=six, by=p.owner if i % 2 else p.exporter, body=f"m{i}", files=[png(), pdf()]
        )
    client.force_login(p.exporter)
    _queries(client, reverse("trust:dispute_detail", args=[one.pk]))  # warm the session

    assert _queries(client, reverse("trust:dispute_detail", args=[one.pk])) == _queries(
        client, reverse("trust:dispute_detail", args=[six.pk])
    )

"""Acceptance 4: every URL of the staff console turns away non-staff (404) and staff without MFA
(to the MFA setup), walked over the whole URL list; the console's pages work for staff with MFA,
their writes are audit-logged, the audit log cannot be edited, and list pages cost the same number
of queries for one row or six."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from leasing.choices import LeaseState as S
from tests.accounts.factories import OrganisationFactory, member_of
from tests.leasing.factories import Parties
from trust import services
from trust.choices import DisputeState, Outcome
from trust.models import AuditLogEntry, BlacklistEntry, Dispute

from .factories import (
    bank_payout_queued,
    disputed,
    png,
    staff_user,
    unverified_organisation,
    verification_submitted,
)

pytestmark = pytest.mark.django_db


def _patterns(resolver: URLResolver, namespace: str, inside: bool = False):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, namespace, inside or pattern.namespace == namespace)
        elif inside and isinstance(pattern, URLPattern):
            yield pattern


def console_names() -> list[str]:
    """The name of every URL in the ``staff`` namespace."""
    return [str(pattern.name) for pattern in _patterns(get_resolver(), "staff")]


CONSOLE_NAMES = console_names()


def test_the_console_has_every_screen():
    assert len(CONSOLE_NAMES) >= 17
    for name in ("verification_list", "dispute_list", "blacklist", "organisation_ledger", "lease_ledger", "audit_log"):
        assert name in CONSOLE_NAMES


@pytest.fixture
def objects():
    """A real object behind every kind of page, so a 404 cannot hide a missing guard. Returns the
    parties, the dispute and a function giving each console URL with a real primary key."""
    p = Parties(capacity=100)
    dispute = disputed(p, evidence=[png()])
    organisation, admin = unverified_organisation()
    verification = verification_submitted(organisation, admin)
    entry = services.blacklist_add(organisation=organisation, by=staff_user(), reason="x")
    payout = bank_payout_queued()
    pks = {
        "verification": verification.pk,
        "document": verification.documents.first().pk,
        "dispute": dispute.pk,
        "attachment": dispute.messages.get().attachments.get().pk,
        "blacklist": entry.pk,
        "organisation": p.owner_org.pk,
        "lease": dispute.lease_id,
        "payout": payout.pk,
    }

    def url(name: str) -> str:
        pattern = next(pattern for pattern in _patterns(get_resolver(), "staff") if pattern.name == name)
        if not pattern.pattern.converters:
            return reverse(f"staff:{name}")
        kind = next(kind for kind in pks if kind in name)
        return reverse(f"staff:{name}", kwargs={"pk": pks[kind]})

    return p, dispute, url


@pytest.mark.parametrize("name", CONSOLE_NAMES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_people_are_sent_to_sign_in(client, objects, name, method):
    response = getattr(client, method)(objects[2](name), {"reason": "x", "outcome": "refund", "note": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", CONSOLE_NAMES)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("who", ["member", "member_with_mfa", "owner_of_the_lease"])
def test_non_staff_get_404(client, objects, name, method, who):
    p, _, url_for = objects
    url = url_for(name)
    if who == "member":
        user = member_of(OrganisationFactory())
    elif who == "member_with_mfa":
        user = staff_user()
        user.is_staff = False
        user.save()
    else:
        user = p.owner
    client.force_login(user)

    response = getattr(client, method)(url, {"reason": "x", "outcome": "refund", "note": "x"})

    assert response.status_code == 404
    assert not AuditLogEntry.objects.exclude(action="blacklist.add").exists()


@pytest.mark.parametrize("name", CONSOLE_NAMES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_without_mfa_are_sent_to_set_it_up(client, objects, name, method):
    client.force_login(staff_user(mfa=False))

    response = getattr(client, method)(objects[2](name), {"reason": "x", "outcome": "refund", "note": "x"})

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert Dispute.objects.get().state == DisputeState.OPEN
    assert not AuditLogEntry.objects.exclude(action="blacklist.add").exists()


def test_staff_with_mfa_can_open_every_page(client, objects):
    *_, url_for = objects
    client.force_login(staff_user())
    gets = [
        name
        for name in CONSOLE_NAMES
        if not name.endswith(("_approve", "_reject", "_message", "_resolve", "_remove", "_record"))
    ]
    assert len(gets) >= 12
    for name in gets:
        assert client.get(url_for(name)).status_code == 200, name
    assert client.get(reverse("staff:organisation_list") + "?q=Organisation").status_code == 200
    assert client.get(reverse("staff:audit_log") + "?action=blacklist.").status_code == 200


def test_the_console_resolves_a_split_and_refuses_one_that_does_not_add_up(
    client, objects, django_capture_on_commit_callbacks
):
    _, dispute, _ = objects
    staff = staff_user()
    client.force_login(staff)
    url = reverse("staff:dispute_resolve", args=[dispute.pk])

    refused = client.post(url, {"outcome": "split", "owner_part": "10.00", "exporter_part": "10.00", "note": "x"})

    assert refused.status_code == 200
    assert "they must add up exactly" in refused.content.decode()
    assert Dispute.objects.get().state == DisputeState.OPEN

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url, {"outcome": "split", "owner_part": "28.30", "exporter_part": "20.00", "note": "Half short"}
        )

    assert done.status_code == 302
    resolution = Dispute.objects.get().resolution
    assert (resolution.outcome, resolution.exporter_part, resolution.decided_by) == (
        Outcome.SPLIT,
        Decimal("20.00"),
        staff,
    )
    page = client.get(reverse("staff:dispute_detail", args=[dispute.pk])).content.decode()
    assert "Decision" in page
    assert "escrow:" in page


def test_the_console_writes_in_the_thread_and_manages_the_blacklist(client, objects):
    p, dispute, _ = objects
    staff = staff_user()
    client.force_login(staff)

    client.post(reverse("staff:dispute_message", args=[dispute.pk]), {"body": "Please send photos"})
    client.post(reverse("staff:blacklist"), {"organisation": p.exporter_org.pk, "reason": "Fraud", "ends_on": ""})
    entry = BlacklistEntry.objects.get(organisation=p.exporter_org)
    client.post(reverse("staff:blacklist_remove", args=[entry.pk]), {"reason": "Cleared"})

    assert dispute.messages.filter(author_role="staff", body="Please send photos").exists()
    entry.refresh_from_db()
    assert entry.lifted_by == staff
    actions = list(AuditLogEntry.objects.filter(actor=staff).values_list("action", flat=True))
    assert actions == ["blacklist.remove", "blacklist.add", "dispute.message"]
    page = client.get(reverse("staff:audit_log")).content.decode()
    assert "blacklist.remove" in page
    assert "Cleared" in page


def test_the_audit_log_cannot_be_edited(objects):
    entry = AuditLogEntry.objects.first()
    entry.action = "nothing.happened"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
    with pytest.raises(ValueError, match="append-only"):
        AuditLogEntry.objects.update(action="x")
    with pytest.raises(ValueError, match="append-only"):
        AuditLogEntry.objects.all().delete()


# --- Query counts ------------------------------------------------------------------------------------


def _populate(n: int, staff):
    for _ in range(n):
        p = Parties(capacity=100)
        dispute = disputed(p, evidence=[png()])
        organisation, admin = unverified_organisation()
        verification_submitted(organisation, admin)
        services.blacklist_add(organisation=organisation, by=staff, reason="x")
        services.dispute_message_post(dispute=dispute, by=staff, body="?", as_staff=True)
        resolved = disputed(p)
        services.dispute_resolve(dispute=resolved, by=staff, outcome=Outcome.RELEASE, note="ok")


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


LIST_PAGES = ["console", "verification_list", "dispute_list", "blacklist", "organisation_list", "audit_log"]


def test_list_pages_cost_the_same_for_one_row_or_six(client):
    staff = staff_user()
    client.force_login(staff)
    _populate(1, staff)
    _count(client, reverse("staff:console"))  # warm the session
    one = {name: _count(client, reverse(f"staff:{name}")) for name in LIST_PAGES}

    _populate(5, staff)
    six = {name: _count(client, reverse(f"staff:{name}")) for name in LIST_PAGES}

    assert one == six


def test_ledger_pages_cost_the_same_for_one_row_or_six(client):
    staff = staff_user()
    client.force_login(staff)
    p = Parties(capacity=100)
    funded = p.lease_in(S.FUNDED)  # one posting
    busy = disputed(p).lease
    services.dispute_resolve(
        dispute=busy.disputes.get(),
        by=staff,
        outcome=Outcome.SPLIT,
        note="x",
        owner_part=Decimal("8.30"),
        exporter_part=Decimal("40.00"),
    )
    organisation_url = reverse("staff:organisation_ledger", args=[p.owner_org.pk])
    _count(client, organisation_url)

    lease_one = _count(client, reverse("staff:lease_ledger", args=[funded.pk]))
    lease_many = _count(client, reverse("staff:lease_ledger", args=[busy.pk]))
    organisation_few = _count(client, organisation_url)
    for _ in range(5):
        p.lease_in(S.ACTIVE)
    organisation_many = _count(client, organisation_url)

    assert lease_one == lease_many
    assert organisation_few == organisation_many

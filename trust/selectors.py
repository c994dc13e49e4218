"""Reads for trust pages and the staff console. Querysets or plain data built in a fixed number
of queries, whatever the number of rows. Nothing here writes."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
    CharField,
    Count,
    DecimalField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from accounts.choices import VerificationStatus
from accounts.models import Organisation
from escrow import ledger
from escrow.models import LedgerEntry, Posting
from leasing.models import Lease

from .choices import DisputeState, VerificationRequestStatus
from .models import (
    AuditLogEntry,
    BlacklistEntry,
    CreditRating,
    Dispute,
    DisputeAttachment,
    DisputeMessage,
    Review,
    VerificationRequest,
)

MONEY = DecimalField(max_digits=14, decimal_places=2)


# --- Blacklist ------------------------------------------------------------------------------------


def blacklist_in_force_q(now: datetime | None = None, *, prefix: str = "") -> Q:
    """Entries in force at ``now``; ``prefix`` reaches them from another model ("blacklist_entries__")."""
    now = now or timezone.now()
    return Q(**{f"{prefix}lifted_at__isnull": True}) & (
        Q(**{f"{prefix}ends_at__isnull": True}) | Q(**{f"{prefix}ends_at__gt": now})
    )


def blacklist_in_force() -> QuerySet[BlacklistEntry]:
    return BlacklistEntry.objects.filter(blacklist_in_force_q())


def blacklist_entry_in_force(*, organisation: Organisation) -> BlacklistEntry | None:
    return blacklist_in_force().filter(organisation=organisation).first()


def organisation_blacklisted_ids() -> QuerySet[BlacklistEntry, int]:
    """The ids of organisations blacklisted now, as a subquery for ``__in`` filters."""
    return blacklist_in_force().values_list("organisation_id", flat=True)


def blacklist_history() -> QuerySet[BlacklistEntry]:
    return BlacklistEntry.objects.select_related("organisation", "added_by", "lifted_by")


# --- Escrow held, as an annotation ------------------------------------------------------------------


def held_annotation(lease_id: str) -> Coalesce:
    """What escrow holds for the lease whose id is at ``lease_id`` (a field path): the negated
    balance of its ``escrow:lease:<id>`` account, one indexed subquery per row."""
    account = Concat(Value("escrow:lease:"), Cast(OuterRef(lease_id), output_field=CharField()))
    total = (
        LedgerEntry.objects.filter(account=account)
        .order_by()
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(-Subquery(total, output_field=MONEY), Value(Decimal("0.00")), output_field=MONEY)


# --- Verification ------------------------------------------------------------------------------------


def verification_latest(*, organisation: Organisation) -> VerificationRequest | None:
    return (
        VerificationRequest.objects.filter(organisation=organisation)
        .select_related("decided_by")
        .prefetch_related("documents")
        .order_by("-created_at", "-pk")
        .first()
    )


def verification_queue() -> QuerySet[VerificationRequest]:
    """Requests waiting for staff, oldest first."""
    return (
        VerificationRequest.objects.filter(status=VerificationRequestStatus.PENDING)
        .select_related("organisation", "submitted_by")
        .annotate(document_count=Count("documents"))
        .order_by("created_at", "pk")
    )


def verification_recent() -> QuerySet[VerificationRequest]:
    return (
        VerificationRequest.objects.exclude(status=VerificationRequestStatus.PENDING)
        .select_related("organisation", "decided_by")
        .order_by("-decided_at", "-pk")
    )


def verification_for_staff() -> QuerySet[VerificationRequest]:
    return VerificationRequest.objects.select_related("organisation", "submitted_by", "decided_by").prefetch_related(
        "documents"
    )


# --- Disputes -----------------------------------------------------------------------------------------


def _dispute_parties(queryset: QuerySet[Dispute]) -> QuerySet[Dispute]:
    return queryset.select_related(
        "lease__listing__warehouse__organisation",
        "lease__exporter",
        "lease__escrow",
        "opened_by",
        "resolution__decided_by",
    )


def dispute_visible_to(*, organisation: Organisation) -> QuerySet[Dispute]:
    """Disputes on leases ``organisation`` takes part in; any other dispute is a 404."""
    return _dispute_parties(
        Dispute.objects.filter(
            Q(lease__exporter=organisation) | Q(lease__listing__warehouse__organisation=organisation)
        )
    )


def dispute_for_staff() -> QuerySet[Dispute]:
    return _dispute_parties(Dispute.objects.all()).annotate(held=held_annotation("lease_id"))


def dispute_queue() -> QuerySet[Dispute]:
    """Open disputes, oldest first, with what escrow holds for each."""
    return dispute_for_staff().filter(state=DisputeState.OPEN).order_by("created_at", "pk")


def dispute_resolved_recent() -> QuerySet[Dispute]:
    return dispute_for_staff().filter(state=DisputeState.RESOLVED).order_by("-resolved_at", "-pk")


def dispute_thread(*, dispute: Dispute) -> list[DisputeMessage]:
    return list(
        DisputeMessage.objects.filter(dispute=dispute)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=DisputeAttachment.objects.order_by("pk")))
    )


def dispute_latest_for(*, lease: Lease) -> Dispute | None:
    return Dispute.objects.filter(lease=lease).select_related("resolution").order_by("-created_at", "-pk").first()


def attachment_visible_to(*, organisation: Organisation) -> QuerySet[DisputeAttachment]:
    return DisputeAttachment.objects.filter(message__dispute__in=dispute_visible_to(organisation=organisation))


# --- Profiles, reviews, ratings ------------------------------------------------------------------------


@dataclass
class Profile:
    organisation: Organisation
    rating: CreditRating | None
    blacklist: BlacklistEntry | None
    completed_leases: int
    reviews: QuerySet[Review]
    review_count: int
    review_average: Decimal | None


def organisation_profile_get(*, organisation: Organisation) -> Profile:
    reviews = Review.objects.filter(subject_organisation=organisation)
    summary = reviews.aggregate(n=Count("pk"), stars=Sum("rating"))
    count = summary["n"] or 0
    return Profile(
        organisation=organisation,
        rating=CreditRating.objects.filter(organisation=organisation).first(),
        blacklist=blacklist_entry_in_force(organisation=organisation),
        completed_leases=Lease.objects.filter(
            Q(exporter=organisation) | Q(listing__warehouse__organisation=organisation), state="completed"
        ).count(),
        reviews=reviews.select_related("author_organisation", "lease__listing__warehouse"),
        review_count=count,
        review_average=(Decimal(summary["stars"]) / count).quantize(Decimal("0.1")) if count else None,
    )


def review_written(*, lease: Lease, organisation: Organisation) -> Review | None:
    return Review.objects.filter(lease=lease, author_organisation=organisation).first()


# --- Staff: organisations, ledgers, audit ----------------------------------------------------------------


def organisation_search(*, query: str = "") -> QuerySet[Organisation]:
    organisations = Organisation.objects.annotate(
        blacklisted=Count("blacklist_entries", filter=blacklist_in_force_q(prefix="blacklist_entries__"))
    ).order_by("name", "pk")
    if query:
        organisations = organisations.filter(
            Q(name__icontains=query) | Q(legal_name__icontains=query) | Q(registration_number__icontains=query)
        )
    return organisations


@dataclass
class LeaseLedger:
    lease: Lease
    postings: list[Posting]
    net: list[tuple[str, Decimal]]  # per account, this lease's postings only
    held: Decimal


def lease_ledger_get(*, lease: Lease) -> LeaseLedger:
    """Every posting for the lease's escrow, with its entries, and the net per account."""
    postings = list(Posting.objects.filter(escrow__lease=lease).prefetch_related("entries"))
    net: dict[str, Decimal] = {}
    for posting in postings:
        for entry in posting.entries.all():
            net[entry.account] = net.get(entry.account, Decimal(0)) + entry.amount
    held = -net.get(f"escrow:lease:{lease.pk}", Decimal(0))
    return LeaseLedger(lease=lease, postings=postings, net=sorted(net.items()), held=held)


@dataclass
class OrganisationLedger:
    organisation: Organisation
    accounts: list[str]
    balances: Sequence[Mapping[str, Any]]
    entries: QuerySet[LedgerEntry]
    leases: QuerySet[Lease]
    blacklist: list[BlacklistEntry] = field(default_factory=list)


def organisation_ledger_get(*, organisation: Organisation) -> OrganisationLedger:
    """The organisation's own accounts (payable as owner, refunds as exporter) with balances and
    entries, and its leases with what escrow holds for each."""
    accounts = [ledger.payable_owner(organisation.pk), ledger.refund_exporter(organisation.pk)]
    entries = LedgerEntry.objects.filter(account__in=accounts)
    balances = list(
        entries.values("account", "currency").annotate(balance=Sum("amount")).order_by("account", "currency")
    )
    leases = (
        Lease.objects.filter(Q(exporter=organisation) | Q(listing__warehouse__organisation=organisation))
        .select_related("listing__warehouse__organisation", "exporter")
        .annotate(held=held_annotation("pk"))
        .order_by("-created_at", "-pk")
    )
    return OrganisationLedger(
        organisation=organisation,
        accounts=accounts,
        balances=balances,
        entries=entries.select_related("posting__escrow").order_by("-pk"),
        leases=leases,
        blacklist=list(BlacklistEntry.objects.filter(organisation=organisation).select_related("added_by")),
    )


def audit_log(*, action: str = "") -> QuerySet[AuditLogEntry]:
    entries = AuditLogEntry.objects.select_related("actor")
    return entries.filter(action__startswith=action) if action else entries


@dataclass
class Console:
    pending_verifications: int
    open_disputes: int
    blacklisted: int
    unverified: int
    verifications: list[VerificationRequest]
    disputes: list[Dispute]
    held_by_currency: Sequence[Mapping[str, Any]]
    recent: list[AuditLogEntry]


def console_get(*, limit: int = 5) -> Console:
    """The console's front page: the head of each queue and the latest staff actions."""
    open_disputes = dispute_queue()
    held_accounts = Concat(Value("escrow:lease:"), Cast("posting__escrow__lease_id", output_field=CharField()))
    held = (
        LedgerEntry.objects.filter(posting__escrow__lease__disputes__state=DisputeState.OPEN, account=held_accounts)
        .values("currency")
        .annotate(total=-Sum("amount"))
        .order_by("currency")
    )
    return Console(
        pending_verifications=verification_queue().count(),
        open_disputes=open_disputes.count(),
        blacklisted=blacklist_in_force().count(),
        unverified=Organisation.objects.exclude(verification_status=VerificationStatus.VERIFIED).count(),
        verifications=list(verification_queue()[:limit]),
        disputes=list(open_disputes[:limit]),
        held_by_currency=list(held),
        recent=list(audit_log()[:limit]),
    )

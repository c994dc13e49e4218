"""Trust: verification of organisations, disputes and their resolution, the blacklist, reviews,
credit ratings and the staff audit log.

Evidence and documents are stored in ``trust.storage.private_storage`` (never under /media/).
``AuditLogEntry`` and ``DisputeMessage`` are append-only: ``save`` refuses updates, ``delete`` and
queryset ``update``/``delete`` are refused.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django_countries.fields import CountryField

from accounts.models import Organisation
from common.fields import money_field
from common.money import CURRENCIES
from escrow.models import Payout, Refund

from .choices import Author, DisputeKind, DisputeState, FoundAgainst, Outcome, Side, VerificationRequestStatus
from .factors import factor_text
from .storage import private_storage
from .validators import FILE_VALIDATORS, evidence_upload_path, verification_upload_path


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise ValueError(f"{self.model.__name__} rows are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError(f"{self.model.__name__} rows are append-only")


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk and not self._state.adding:
            raise ValueError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"{type(self).__name__} rows are append-only")


class PrivateFile(models.Model):
    """An uploaded file kept privately, with what the uploader called it and what it really is."""

    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


# --- Verification (KYC) -----------------------------------------------------------------------


class VerificationRequest(models.Model):
    """An organisation's details and documents, waiting for (or decided by) staff."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="verification_requests")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    legal_name = models.CharField(max_length=200)
    registration_number = models.CharField(max_length=100)
    vat_number = models.CharField(max_length=50, blank=True)  # printed on receipts and invoices (documents/)
    country = CountryField()
    address = models.TextField()
    status = models.CharField(
        max_length=20, choices=VerificationRequestStatus.choices, default=VerificationRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"], condition=Q(status="pending"), name="one_pending_verification_per_org"
            ),
        ]

    def __str__(self) -> str:
        return f"Verification of {self.legal_name} ({self.get_status_display().lower()})"


class VerificationDocument(PrivateFile):
    request = models.ForeignKey(VerificationRequest, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(
        upload_to=verification_upload_path, storage=private_storage, validators=FILE_VALIDATORS, max_length=200
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]


# --- Disputes -----------------------------------------------------------------------------------


class Dispute(models.Model):
    """A party's claim about a lease: the check-in, or damage or loss while the lease is active.

    While open, the lease is ``disputed`` and whatever escrow holds stays there until staff resolve.
    """

    lease = models.ForeignKey("leasing.Lease", on_delete=models.PROTECT, related_name="disputes")
    kind = models.CharField(max_length=20, choices=DisputeKind.choices, default=DisputeKind.CHECK_IN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_by_side = models.CharField(max_length=10, choices=Side.choices)
    reason = models.TextField()
    claimed_amount = money_field()
    currency = models.CharField(max_length=3, choices=CURRENCIES)
    held_at_open = money_field()
    state = models.CharField(max_length=10, choices=DisputeState.choices, default=DisputeState.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["state", "created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["lease"], condition=Q(state="open"), name="one_open_dispute_per_lease"),
            models.CheckConstraint(condition=Q(claimed_amount__gte=0), name="dispute_claim_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Dispute #{self.pk} on lease #{self.lease_id}"

    @property
    def is_open(self) -> bool:
        return self.state == DisputeState.OPEN


class DisputeMessage(AppendOnly):
    """One message in a dispute's thread; evidence is its attachments. Never edited."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(max_length=10, choices=Author.choices)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Message {self.pk} in dispute {self.dispute_id}"


class DisputeAttachment(PrivateFile):
    message = models.ForeignKey(DisputeMessage, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(
        upload_to=evidence_upload_path, storage=private_storage, validators=FILE_VALIDATORS, max_length=200
    )

    class Meta:
        ordering = ["pk"]


class Resolution(models.Model):
    """Staff's decision on a dispute and the money it moved.

    ``owner_part + exporter_part == held`` (checked by the service; not a CHECK, because SQLite
    compares decimals as floats). The platform fee is taken from the owner's part pro rata
    (rounded down): the owner is paid ``owner_part - platform_fee``.
    """

    dispute = models.OneToOneField(Dispute, on_delete=models.PROTECT, related_name="resolution")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    currency = models.CharField(max_length=3, choices=CURRENCIES)
    held = money_field()
    owner_part = money_field()
    exporter_part = money_field()
    platform_fee = money_field()
    found_against = models.CharField(max_length=10, choices=FoundAgainst.choices)
    lease_state_after = models.CharField(max_length=20)
    note = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_part__gte=0, exporter_part__gte=0, platform_fee__gte=0),
                name="resolution_parts_not_negative",
            ),
            models.CheckConstraint(condition=Q(platform_fee__lte=F("owner_part")), name="resolution_fee_within_part"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} for dispute {self.dispute_id}"

    @property
    def owner_net(self) -> Decimal:
        return self.owner_part - self.platform_fee


# --- Blacklist ----------------------------------------------------------------------------------


class BlacklistEntry(models.Model):
    """An organisation barred from requesting, accepting, paying for or taking over leases.

    In force while ``lifted_at`` is empty and ``ends_at`` (if any) is in the future; removal by
    staff and expiry (recorded by a sweep) both set ``lifted_at`` and are in the audit log.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="blacklist_entries")
    reason = models.TextField()
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lift_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name_plural = "blacklist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"], condition=Q(lifted_at__isnull=True), name="one_open_blacklist_entry_per_org"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")), name="blacklist_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} blacklisted {self.starts_at:%Y-%m-%d}"

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None and (self.ends_at is None or self.ends_at > timezone.now())


# --- Reviews and ratings ------------------------------------------------------------------------


class Review(models.Model):
    """After a lease completes, each side rates the other once."""

    lease = models.ForeignKey("leasing.Lease", on_delete=models.PROTECT, related_name="reviews")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="reviews_written")
    subject_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="reviews_received")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["lease", "author_organisation"], name="one_review_per_side_per_lease"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.author_organisation} on {self.subject_organisation}: {self.rating}/5"


class CreditRating(models.Model):
    """The latest computed rating of an organisation and the factors behind it (``trust.rating``).
    The score and grade are also written on ``Organisation`` for search and sorting."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="credit_rating")
    score = models.PositiveSmallIntegerField()
    grade = models.CharField(max_length=1)
    factors = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.organisation}: {self.grade} ({self.score})"

    @property
    def factors_shown(self) -> list[dict[str, Any]]:
        """The stored factors with their label and detail in the active language, where the
        factor kept its facts (``trust.factors.factor_text``); as stored otherwise."""
        shown = []
        for factor in self.factors:
            text = factor_text(factor.get("key", ""), factor["facts"]) if "facts" in factor else None
            shown.append({**factor, "label": text[0], "detail": text[1]} if text else factor)
        return shown


# --- Audit log ------------------------------------------------------------------------------------


class AuditLogEntry(AppendOnly):
    """Every staff action (and the system's expiries): who, what, on which object, before/after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=50, db_index=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=50)
    object_repr = models.CharField(max_length=200)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "audit log entries"
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

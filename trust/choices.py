from django.db import models


class VerificationRequestStatus(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Side(models.TextChoices):
    """A party to a lease: the warehouse owner or the exporter."""

    OWNER = "owner", "Warehouse owner"
    EXPORTER = "exporter", "Exporter"


class Author(models.TextChoices):
    """Who wrote a message in a dispute thread."""

    OWNER = "owner", "Warehouse owner"
    EXPORTER = "exporter", "Exporter"
    STAFF = "staff", "Wareshare staff"


class DisputeKind(models.TextChoices):
    CHECK_IN = "check_in", "The check-in (counts or condition)"
    DAMAGE_OR_LOSS = "damage_or_loss", "Damage or loss during the lease"


class DisputeState(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class Outcome(models.TextChoices):
    REFUND = "refund", "Full refund to the exporter"
    RELEASE = "release", "Full release to the owner"
    SPLIT = "split", "Split between owner and exporter"
    FINDING = "finding", "Finding only (nothing is held)"


class FoundAgainst(models.TextChoices):
    """Which side the decision went against: a lost dispute counts in that side's rating."""

    OWNER = "owner", "The warehouse owner"
    EXPORTER = "exporter", "The exporter"
    NEITHER = "neither", "Neither side"

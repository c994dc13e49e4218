from django.db import models
from django.utils.translation import gettext_lazy as _


class VerificationRequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Side(models.TextChoices):
    """A party to a lease: the warehouse owner or the exporter."""

    OWNER = "owner", _("Warehouse owner")
    EXPORTER = "exporter", _("Exporter")


class Author(models.TextChoices):
    """Who wrote a message in a dispute thread."""

    OWNER = "owner", _("Warehouse owner")
    EXPORTER = "exporter", _("Exporter")
    STAFF = "staff", _("Wareshare staff")


class DisputeKind(models.TextChoices):
    CHECK_IN = "check_in", _("The check-in (counts or condition)")
    DAMAGE_OR_LOSS = "damage_or_loss", _("Damage or loss during the lease")


class DisputeState(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class Outcome(models.TextChoices):
    REFUND = "refund", _("Full refund to the exporter")
    RELEASE = "release", _("Full release to the owner")
    SPLIT = "split", _("Split between owner and exporter")
    FINDING = "finding", _("Finding only (nothing is held)")


class FoundAgainst(models.TextChoices):
    """Which side the decision went against: a lost dispute counts in that side's rating."""

    OWNER = "owner", _("The warehouse owner")
    EXPORTER = "exporter", _("The exporter")
    NEITHER = "neither", _("Neither side")

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Not verified"
    PENDING = "pending", "Verification pending"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Verification rejected"

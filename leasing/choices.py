from django.db import models


class LeaseState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted — awaiting payment"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    FUNDED = "funded", "Paid into escrow"
    CANCELLED = "cancelled", "Cancelled"
    CHECKED_IN = "checked_in", "Checked in — awaiting confirmation"
    DISPUTED = "disputed", "Disputed"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    TRANSFERRED = "transferred", "Transferred"


class ShipmentStatus(models.TextChoices):
    ANNOUNCED = "announced", "Announced"
    IN_TRANSIT = "in_transit", "In transit"
    ARRIVED = "arrived", "Arrived"
    CHECKED_IN = "checked_in", "Checked in"


class GoodsCondition(models.TextChoices):
    GOOD = "good", "Good"
    MINOR_DAMAGE = "minor_damage", "Minor damage"
    DAMAGED = "damaged", "Damaged"

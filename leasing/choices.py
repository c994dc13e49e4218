from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LeaseState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted — awaiting payment")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", pgettext_lazy("lease state", "Expired")
    FUNDED = "funded", _("Paid into escrow")
    CANCELLED = "cancelled", _("Cancelled")
    CHECKED_IN = "checked_in", _("Checked in — awaiting confirmation")
    DISPUTED = "disputed", _("Disputed")
    ACTIVE = "active", pgettext_lazy("lease state", "Active")
    COMPLETED = "completed", _("Completed")
    TRANSFERRED = "transferred", _("Transferred")


class ShipmentStatus(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    IN_TRANSIT = "in_transit", _("In transit")
    ARRIVED = "arrived", _("Arrived")
    CHECKED_IN = "checked_in", _("Checked in")


class GoodsCondition(models.TextChoices):
    GOOD = "good", _("Good")
    MINOR_DAMAGE = "minor_damage", _("Minor damage")
    DAMAGED = "damaged", _("Damaged")


class LeaseOrigin(models.TextChoices):
    REQUEST = "request", _("Lease request")
    EXTENSION = "extension", _("Extension")
    TRANSFER = "transfer", _("Transfer")


class InstalmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Held in escrow")
    RELEASED = "released", _("Released to the owner")
    CANCELLED = "cancelled", _("Settled on cancellation")
    SETTLED = "settled", _("Settled by a dispute decision")
    TRANSFERRED = "transferred", _("Handed on by a transfer")
    # Billed monthly: the month is not paid yet (escrow holds nothing for it; docs/money.md).
    DUE = "due", _("Not paid yet")


class Billing(models.TextChoices):
    UPFRONT = "upfront", _("Pay the whole lease up front")
    MONTHLY = "monthly", _("Pay month by month")


class TransferState(models.TextChoices):
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted — awaiting the owner's consent")
    APPROVED = "approved", _("Approved — awaiting the receiver's payment")
    COMPLETED = "completed", _("Completed")
    DECLINED = "declined", _("Declined by the owner")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    LAPSED = "lapsed", _("Lapsed")


OPEN_TRANSFER_STATES = (TransferState.OFFERED, TransferState.ACCEPTED, TransferState.APPROVED)


class TransferGoods(models.TextChoices):
    CARRY = "carry", _("The goods stay and move with the lease (the check-in carries over)")
    REMOVE = "remove", _("The goods are taken out first (the receiver sends its own)")


class CancelledBy(models.TextChoices):
    EXPORTER = "exporter", _("The exporter")
    OWNER = "owner", _("The owner")

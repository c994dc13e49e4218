"""Goods over a lease's life (docs/inventory.md, "Over a lease's life"): what a transfer offer
carries, the end-of-lease reminder sent once, and goods that overstayed the lease's end.

Imported at the end of ``inventory.models`` (the app's models module)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from leasing.models import Lease, LeaseTransfer


class TransferStockLine(models.Model):
    """One SKU of a transfer offer, computed when the offer is made (``lifecycle.transfer_stock_plan``).

    Goods ``carry``: ``quantity`` units move to the receiver's lease when the transfer completes
    (fewer if fewer are on hand then; ``moved`` says how many did). Goods ``remove``: ``quantity``
    units must have left the lease before it completes."""

    transfer = models.ForeignKey(LeaseTransfer, on_delete=models.CASCADE, related_name="stock_lines")
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    on_hand_at_offer = models.PositiveIntegerField()
    moved = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["product__sku", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "product"], name="one_stock_line_per_transfer_product"),
            models.CheckConstraint(condition=Q(quantity__lte=models.F("on_hand_at_offer")), name="line_within_stock"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id} (transfer {self.transfer_id})"


class LeaseEndReminder(models.Model):
    """The one reminder that goods remain as the lease's end nears (the sweep ``lease_end_remind``)."""

    lease = models.OneToOneField(Lease, on_delete=models.CASCADE, related_name="end_reminder")
    units = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Lease {self.lease_id}: reminded of {self.units} units"


class OverstayResolution(models.TextChoices):
    REMOVED = "removed", _("The goods were removed")
    EXTENDED = "extended", _("An extension took the goods over")


class Overstay(models.Model):
    """Goods still on hand when the lease ended (completed). Resolved when the lease's on-hand
    reaches 0 (a removal shipped) or an extension takes the goods over."""

    lease = models.OneToOneField(Lease, on_delete=models.PROTECT, related_name="overstay")
    since = models.DateField(help_text="The first day after the lease's end, at the warehouse.")
    units = models.PositiveIntegerField(help_text="Units on hand when the lease ended.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=10, choices=OverstayResolution.choices, blank=True)
    extension = models.ForeignKey(Lease, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-since", "-pk"]
        indexes = [models.Index(fields=["resolved_at", "since"])]

    def __str__(self) -> str:
        return f"Lease {self.lease_id} overstayed since {self.since}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

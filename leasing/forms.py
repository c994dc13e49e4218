"""Forms for the lease pages. They check shape and the listing's own rules; the services decide
everything that needs a lock (free capacity, the lease's state) and their errors become form errors."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.forms import BaseFormSet, formset_factory
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from common.exceptions import ApplicationError
from warehouses.models import Listing
from warehouses.services import listing_check_booking

from . import transfers
from .choices import Billing, GoodsCondition, ShipmentStatus, TransferGoods
from .models import CheckInPhoto, InboundShipment, Lease, ShipmentLine

DATE = forms.DateInput(attrs={"type": "date"})


def _date(day: date) -> str:
    """A day as the active language writes it ("7 Mar 2025" / "2025年3月7日")."""
    return formats.date_format(day, "DATE_FORMAT")


class LeaseDatesForm(forms.Form):
    """Dates and units for a lease on ``listing``, checked against the listing's rules."""

    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("Until"), widget=DATE)
    quantity = forms.IntegerField(label=_("Units"), min_value=1)

    def __init__(self, *args: Any, listing: Listing, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listing = listing
        # Translators: "unit" is the listing's unit ("pallet position"); the English makes it plural with an s.
        self.fields["quantity"].help_text = _("%(unit)ss, %(capacity)s in all") % {
            "unit": listing.get_unit_display(),
            "capacity": listing.capacity,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end, quantity = data.get("start"), data.get("end"), data.get("quantity")
        if not (start and end and quantity):
            return data
        if end < start:
            self.add_error("end", _("The end date must be on or after the start date."))
            return data
        try:
            listing_check_booking(listing=self.listing, start=start, end=end, quantity=quantity)
        except ApplicationError as error:
            self.add_error(None, error.detail)
        return data

    @property
    def dates_ok(self) -> bool:
        """Whether a price can be shown: dates and units given and allowed by the listing."""
        if not self.is_bound:
            return False
        self.is_valid()  # runs clean() once
        fields = ("start", "end", "quantity")
        return not self.non_field_errors() and all(
            name not in self.errors and self.cleaned_data.get(name) for name in fields
        )


class LeaseRequestForm(LeaseDatesForm):
    goods_description = forms.CharField(
        label=_("What will you store?"),
        max_length=300,
        help_text=_("E.g. “Garden furniture, flat-packed, 40 cartons”."),
    )
    message = forms.CharField(label=_("Message to the owner"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    billing = forms.ChoiceField(
        label=_("How will you pay?"),
        choices=Billing.choices,
        initial=Billing.UPFRONT,
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "Leases longer than 30 days may be paid month by month: the first month now, each later month "
            "charged to your saved card 7 days before it starts."
        ),
    )

    def __init__(self, *args: Any, listing: Listing, **kwargs: Any) -> None:
        super().__init__(*args, listing=listing, **kwargs)
        if not listing.monthly_billing:
            del self.fields["billing"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["billing"] = data.get("billing") or Billing.UPFRONT
        start, end = data.get("start"), data.get("end")
        if data["billing"] == Billing.MONTHLY and start and end and (end - start).days + 1 <= 30:
            self.add_error("billing", _("Monthly payment is only for leases longer than 30 days."))
        return data


class DeclineForm(forms.Form):
    prefix = "decline"
    reason = forms.CharField(
        label=_("Why do you decline?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The exporter sees this, so they can look elsewhere."),
    )


class ShipmentMarkForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(ShipmentStatus.IN_TRANSIT, _("In transit")), (ShipmentStatus.ARRIVED, _("Arrived"))]
    )


# Test cards of the simulated gateway, as payment_method tokens it understands.
TEST_CARDS = [
    ("pm_card_visa", _("Visa •••• 4242 (succeeds)")),
    ("pm_card_chargeDeclined", _("Card declined")),
    ("sim_gateway_error", _("Processor error")),
]


class CheckoutForm(forms.Form):
    """A choice of test cards with the simulated gateway; a PaymentMethod id with Stripe."""

    payment_method = forms.CharField(max_length=200)

    def __init__(self, *args: Any, simulated: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if simulated:
            self.fields["payment_method"] = forms.ChoiceField(
                label=_("Test card"), choices=TEST_CARDS, initial=TEST_CARDS[0][0], widget=forms.RadioSelect
            )
        else:
            self.fields["payment_method"].widget = forms.HiddenInput()


class ShipmentForm(forms.ModelForm):
    class Meta:
        model = InboundShipment
        fields = ["carrier", "tracking_number", "eta", "weight_kg", "customs_reference"]
        labels = {
            "carrier": _("Carrier"),
            "tracking_number": _("Tracking number"),
            "eta": _("Estimated arrival"),
            "weight_kg": _("Total weight (kg)"),
            "customs_reference": _("Customs reference"),
        }
        widgets = {"eta": DATE}
        help_texts = {"customs_reference": _("Required for bonded warehouses (e.g. the MRN).")}


class DeclaredLineForm(forms.ModelForm):
    class Meta:
        model = ShipmentLine
        fields = ["description", "sku", "quantity", "weight_kg"]
        labels = {
            "description": _("Description"),
            "sku": _("SKU"),
            "quantity": _("Quantity"),
            "weight_kg": _("Weight (kg)"),
        }
        # The exporter's SKUs are offered from the page's <datalist id="sku-choices"> (hooks.shipment_sku_choices).
        widgets = {"sku": forms.TextInput(attrs={"list": "sku-choices", "autocomplete": "off"})}


class BaseDeclaredLineFormSet(BaseFormSet):
    default_error_messages = {"too_few_forms": _("Declare at least one line of goods.")}


DeclaredLineFormSet = formset_factory(
    DeclaredLineForm, formset=BaseDeclaredLineFormSet, extra=3, min_num=1, validate_min=True
)


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.ImageField):
    """Several photos in one ``<input type=file multiple>``; each checked by CheckInPhoto.image's
    own validators (type, size, content), so the form and the model cannot disagree."""

    default_validators = list(CheckInPhoto._meta.get_field("image").validators)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultiplePhotoField, self).clean(file, initial) for file in files]


class CheckInForm(forms.Form):
    """One received count and one damaged count per declared line (``received_<line id>``,
    ``damaged_<line id>``), then condition and notes. Damaged units are part of the received ones."""

    condition = forms.ChoiceField(label=_("Condition"), choices=GoodsCondition.choices, initial=GoodsCondition.GOOD)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultiplePhotoField(label=_("Photos"), required=False, help_text=_("JPEG, PNG or WebP, up to 5 MB each."))

    def __init__(self, *args: Any, lines: list[ShipmentLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[self.field_name(line)] = forms.IntegerField(
                label=_("Received: %(goods)s") % {"goods": line.description},
                min_value=0,
                initial=line.quantity,
                widget=forms.NumberInput(attrs={"data-declared": line.quantity, "data-diff": f"diff-{line.pk}"}),
            )
            self.fields[self.damaged_name(line)] = forms.IntegerField(
                label=_("Damaged: %(goods)s") % {"goods": line.description}, min_value=0, initial=0, required=False
            )

    @staticmethod
    def field_name(line: ShipmentLine) -> str:
        return f"received_{line.pk}"

    @staticmethod
    def damaged_name(line: ShipmentLine) -> str:
        return f"damaged_{line.pk}"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for line in self.lines:
            received, damaged = data.get(self.field_name(line)), data.get(self.damaged_name(line))
            if received is not None and damaged is not None and damaged > received:
                self.add_error(self.damaged_name(line), _("More damaged than received: damaged units are counted in."))
        return data

    def rows(self) -> list[tuple[ShipmentLine, forms.BoundField, forms.BoundField, int | None]]:
        """Each line, its two fields, and over (+) or short (−) against what was declared."""
        rows = []
        for line in self.lines:
            received = self[self.field_name(line)]
            try:
                difference: int | None = int(received.value()) - line.quantity
            except (TypeError, ValueError):
                difference = None
            rows.append((line, received, self[self.damaged_name(line)], difference))
        return rows

    def received(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[self.field_name(line)] for line in self.lines}

    def damaged(self) -> dict[int, int]:
        """The lines with damaged units (line id → units)."""
        found = {line.pk: self.cleaned_data.get(self.damaged_name(line)) or 0 for line in self.lines}
        return {pk: units for pk, units in found.items() if units}


# --- Changing a running lease ------------------------------------------------------------------


class CancelForm(forms.Form):
    """The refund the person was shown, posted back: the service refuses if it is no longer right."""

    expected_refund = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, widget=forms.HiddenInput)


class ExtendForm(forms.Form):
    end = forms.DateField(label=_("Keep the space until"), widget=DATE)
    message = forms.CharField(
        label=_("Message to the owner"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, lease: Lease, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lease = lease
        first = lease.end + timedelta(days=1)
        self.fields["end"].widget.attrs["min"] = first.isoformat()
        self.fields["end"].help_text = _("The lease now ends on %(date)s.") % {"date": _date(lease.end)}

    def clean_end(self) -> date:
        end: date = self.cleaned_data["end"]
        if end <= self.lease.end:
            raise forms.ValidationError(
                _("Choose a day after %(date)s, the lease's current end.") % {"date": _date(self.lease.end)},
                code="not_after_end",
            )
        return end


class TransferForm(forms.Form):
    """The terms of a transfer offer. ``clean`` prices them (``transfers.transfer_value``), so a
    quantity or date the lease cannot hand on is a form error, and ``value`` is what is shown."""

    to_organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label=_("Offer to"),
        empty_label=_("Anyone with the link (an open offer)"),
        help_text=_("Choose an exporter, or leave it open and send the offer's link to whoever you like."),
    )
    quantity = forms.IntegerField(label=_("Units"), min_value=1)
    start = forms.DateField(label=_("From"), widget=DATE)
    price = forms.DecimalField(
        label=_("Price the receiver pays"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        help_text=_(
            "Paid into escrow. It pays you back for days already paid out to the owner; the rest is the "
            "receiver's own lease, released to the owner as the space is used."
        ),
    )
    goods = forms.ChoiceField(
        label=_("Goods in the space"),
        choices=TransferGoods.choices,
        initial=TransferGoods.CARRY,
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label=_("Message to the receiver"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args: Any,
        lease: Lease,
        receivers: QuerySet[Organisation],
        held: int,
        earliest: date,
        checked_in: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lease = lease
        self.value: transfers.TransferValue | None = None
        self.fields["to_organisation"].queryset = receivers  # type: ignore[attr-defined]
        self.fields["quantity"].widget.attrs["max"] = held
        self.fields["quantity"].help_text = _(
            "Up to %(held)s: the units this lease holds from the first day you can hand on."
        ) % {"held": held}
        self.fields["start"].widget.attrs.update({"min": earliest.isoformat(), "max": lease.end.isoformat()})
        self.fields["start"].help_text = _(
            "From %(earliest)s (today at the warehouse, or the lease's first day) to %(end)s, also days "
            "already paid out to the owner: the receiver's payment pays you back for those."
        ) % {"earliest": _date(earliest), "end": _date(lease.end)}
        self.fields["price"].label = _("Price the receiver pays (%(currency)s)") % {"currency": lease.currency}
        if not checked_in:
            # Nothing is checked in yet: the receiver sends its own goods (the service says so too).
            del self.fields["goods"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        quantity, start = data.get("quantity"), data.get("start")
        if quantity and start:
            try:
                price = data.get("price")
                self.value = transfers.transfer_value(self.lease, quantity=quantity, start=start, price=price)
            except ApplicationError as error:
                self.add_error(None, error.detail)
        data.setdefault("goods", TransferGoods.REMOVE)
        return data


class TransferConsentForm(forms.Form):
    prefix = "consent"
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse"))], widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why do you refuse?"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Both exporters read this."),
    )

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "approve"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "refuse" and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why you refuse the transfer: both exporters read it."))
        return data

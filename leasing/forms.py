"""Forms for the lease pages. They check shape and the listing's own rules; the services decide
everything that needs a lock (free capacity, the lease's state) and their errors become form errors."""

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.forms import BaseFormSet, formset_factory

from common.exceptions import ApplicationError
from trust.forms import EvidenceFilesField
from warehouses.models import Listing
from warehouses.services import listing_check_booking

from .choices import GoodsCondition, ShipmentStatus
from .models import CheckInPhoto, InboundShipment, ShipmentLine

DATE = forms.DateInput(attrs={"type": "date"})


class LeaseDatesForm(forms.Form):
    """Dates and units for a lease on ``listing``, checked against the listing's rules."""

    start = forms.DateField(label="From", widget=DATE)
    end = forms.DateField(label="Until", widget=DATE)
    quantity = forms.IntegerField(label="Units", min_value=1)

    def __init__(self, *args: Any, listing: Listing, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listing = listing
        self.fields["quantity"].help_text = f"{listing.get_unit_display()}s, {listing.capacity} in all"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end, quantity = data.get("start"), data.get("end"), data.get("quantity")
        if not (start and end and quantity):
            return data
        if end < start:
            self.add_error("end", "The end date must be on or after the start date.")
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
        label="What will you store?", max_length=300, help_text="E.g. “Garden furniture, flat-packed, 40 cartons”."
    )
    message = forms.CharField(label="Message to the owner", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class DeclineForm(forms.Form):
    prefix = "decline"
    reason = forms.CharField(
        label="Why do you decline?",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The exporter sees this, so they can look elsewhere.",
    )


class DisputeForm(forms.Form):
    prefix = "dispute"
    reason = forms.CharField(
        label="What is wrong?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What is wrong with the check-in, or what was damaged or lost.",
    )
    claimed_amount = forms.DecimalField(
        label="Amount you claim",
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text="Leave empty to claim everything held in escrow.",
    )
    evidence = EvidenceFilesField(label="Evidence (photos, documents)", required=False)


class ShipmentMarkForm(forms.Form):
    status = forms.ChoiceField(choices=[(ShipmentStatus.IN_TRANSIT, "In transit"), (ShipmentStatus.ARRIVED, "Arrived")])


# Test cards of the simulated gateway, as payment_method tokens it understands.
TEST_CARDS = [
    ("pm_card_visa", "Visa •••• 4242 (succeeds)"),
    ("pm_card_chargeDeclined", "Card declined"),
    ("sim_gateway_error", "Processor error"),
]


class CheckoutForm(forms.Form):
    """A choice of test cards with the simulated gateway; a PaymentMethod id with Stripe."""

    payment_method = forms.CharField(max_length=200)

    def __init__(self, *args: Any, simulated: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if simulated:
            self.fields["payment_method"] = forms.ChoiceField(
                label="Test card", choices=TEST_CARDS, initial=TEST_CARDS[0][0], widget=forms.RadioSelect
            )
        else:
            self.fields["payment_method"].widget = forms.HiddenInput()


class ShipmentForm(forms.ModelForm):
    class Meta:
        model = InboundShipment
        fields = ["carrier", "tracking_number", "eta", "weight_kg", "customs_reference"]
        widgets = {"eta": DATE}
        help_texts = {"customs_reference": "Required for bonded warehouses (e.g. the MRN)."}


class DeclaredLineForm(forms.ModelForm):
    class Meta:
        model = ShipmentLine
        fields = ["description", "sku", "quantity", "weight_kg"]
        labels = {"weight_kg": "Weight (kg)"}


class BaseDeclaredLineFormSet(BaseFormSet):
    default_error_messages = {"too_few_forms": "Declare at least one line of goods."}


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
    """One received count per declared line (``received_<line id>``), then condition and notes."""

    condition = forms.ChoiceField(choices=GoodsCondition.choices, initial=GoodsCondition.GOOD)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultiplePhotoField(required=False, help_text="JPEG, PNG or WebP, up to 5 MB each.")

    def __init__(self, *args: Any, lines: list[ShipmentLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[self.field_name(line)] = forms.IntegerField(
                label=f"Received: {line.description}", min_value=0, initial=line.quantity
            )

    @staticmethod
    def field_name(line: ShipmentLine) -> str:
        return f"received_{line.pk}"

    def rows(self) -> list[tuple[ShipmentLine, forms.BoundField]]:
        return [(line, self[self.field_name(line)]) for line in self.lines]

    def received(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[self.field_name(line)] for line in self.lines}

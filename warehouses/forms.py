"""Owner forms for warehouses, photos, listings and capacity exceptions.

Field-level rules live here; rules that need the calendar (reserved units) live in services.
"""

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django import forms

from .choices import FEATURES
from .models import CapacityException, Listing, Port, Warehouse, WarehousePhoto
from .validators import photo_extension, photo_size

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(available_timezones())]


class WarehouseForm(forms.ModelForm):
    nearest_port = forms.ModelChoiceField(
        queryset=Port.objects.order_by("name"),
        required=False,
        empty_label="No nearby port",
        help_text="Exporters search by port; choose the one your goods usually arrive through.",
    )
    timezone = forms.ChoiceField(label="Time zone", choices=timezone_choices, initial="UTC")

    class Meta:
        model = Warehouse
        fields = [
            "name",
            "address",
            "city",
            "country",
            "latitude",
            "longitude",
            "nearest_port",
            "timezone",
            "customs_status",
            *(name for name, _label in FEATURES),
            "opening_hours",
            "description",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "latitude": forms.NumberInput(attrs={"step": "any"}),
            "longitude": forms.NumberInput(attrs={"step": "any"}),
        }


class WarehousePhotoForm(forms.ModelForm):
    # The form field checks the file really is an image (Pillow); the validators check
    # extension and size, so every problem is a form error rather than a failed save.
    image = forms.ImageField(
        validators=[photo_extension, photo_size],
        help_text="JPEG, PNG or WebP, up to 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    class Meta:
        model = WarehousePhoto
        fields = ["image", "caption"]


class ListingForm(forms.ModelForm):
    class Meta:
        model = Listing
        fields = [
            "title",
            "description",
            "unit",
            "capacity",
            "price_per_unit_day",
            "currency",
            "handling_in_fee",
            "handling_out_fee",
            "min_days",
            "max_days",
            "available_from",
            "available_until",
            "instant_book",
            "cancellation_policy",
        ]
        labels = {
            "price_per_unit_day": "Price per unit per day",
            "min_days": "Minimum lease (days)",
            "max_days": "Maximum lease (days)",
            "instant_book": "Instant booking: accept lease requests without review",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "available_from": DATE_INPUT,
            "available_until": DATE_INPUT,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        min_days, max_days = data.get("min_days"), data.get("max_days")
        if min_days and max_days and max_days < min_days:
            self.add_error("max_days", "The maximum lease must be at least the minimum lease.")
        start, end = data.get("available_from"), data.get("available_until")
        if start and end and end < start:
            self.add_error("available_until", "The last available day must be on or after the first.")
        return data


class CapacityExceptionForm(forms.ModelForm):
    class Meta:
        model = CapacityException
        fields = ["start", "end", "capacity", "reason"]
        labels = {"start": "First day", "end": "Last day", "capacity": "Capacity on these days"}
        widgets = {"start": DATE_INPUT, "end": DATE_INPUT}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The last day must be on or after the first.")
        return data

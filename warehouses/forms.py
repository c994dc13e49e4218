"""Owner forms for warehouses, photos, listings and capacity exceptions.

Field-level rules live here; rules that need the calendar (reserved units) live in services.
"""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from common.timezones import timezone_choices

from .choices import FEATURES
from .models import CapacityException, Listing, Port, Warehouse, WarehousePhoto
from .validators import photo_extension, photo_size

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class WarehouseForm(forms.ModelForm):
    nearest_port = forms.ModelChoiceField(
        queryset=Port.objects.order_by("name"),
        required=False,
        label=_("Nearest port"),
        empty_label=_("No nearby port"),
        help_text=_("Exporters search by port; choose the one your goods usually arrive through."),
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=timezone_choices,
        initial="UTC",
        help_text=_("Hold expiries, payment deadlines and check-in windows are shown in this zone."),
    )

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
        labels = {
            "name": _("Name"),
            "address": _("Address"),
            "city": _("City"),
            "country": _("Country"),
            "latitude": _("Latitude"),
            "longitude": _("Longitude"),
            "customs_status": _("Customs status"),
            **dict(FEATURES),
            "opening_hours": _("Opening hours"),
            "description": _("Description"),
        }
        help_texts = {"opening_hours": _("For example: Mon–Fri 08:00–18:00")}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "latitude": forms.NumberInput(attrs={"step": "any"}),
            "longitude": forms.NumberInput(attrs={"step": "any"}),
        }


class WarehousePhotoForm(forms.ModelForm):
    # The form field checks the file really is an image (Pillow); the validators check
    # extension and size, so every problem is a form error rather than a failed save.
    image = forms.ImageField(
        label=_("Photo"),
        validators=[photo_extension, photo_size],
        help_text=_("JPEG, PNG or WebP, up to 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    class Meta:
        model = WarehousePhoto
        fields = ["image", "caption"]
        labels = {"caption": _("Caption")}


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
            "transfers_need_consent",
            "monthly_billing",
        ]
        labels = {
            "title": _("Title"),
            "description": _("Description"),
            "unit": _("Unit"),
            "capacity": _("Capacity"),
            "price_per_unit_day": _("Price per unit per day"),
            "currency": _("Currency"),
            "handling_in_fee": _("Handling in fee"),
            "handling_out_fee": _("Handling out fee"),
            "min_days": _("Minimum lease (days)"),
            "max_days": _("Maximum lease (days)"),
            "available_from": _("Available from"),
            "available_until": _("Available until"),
            "instant_book": _("Instant booking: accept lease requests without review"),
            "cancellation_policy": _("Cancellation policy"),
            "transfers_need_consent": _("Lease transfers need my consent"),
            "monthly_billing": _("Exporters may pay leases longer than 30 days month by month"),
        }
        help_texts = {
            "handling_in_fee": _("Per unit, charged once on arrival."),
            "handling_out_fee": _("Per unit, charged once on departure."),
            "available_until": _("Leave empty for open-ended."),
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
            self.add_error("max_days", _("The maximum lease must be at least the minimum lease."))
        start, end = data.get("available_from"), data.get("available_until")
        if start and end and end < start:
            self.add_error("available_until", _("The last available day must be on or after the first."))
        return data


class CapacityExceptionForm(forms.ModelForm):
    class Meta:
        model = CapacityException
        fields = ["start", "end", "capacity", "reason"]
        labels = {
            "start": _("First day"),
            "end": _("Last day"),
            "capacity": _("Capacity on these days"),
            "reason": _("Reason"),
        }
        help_texts = {"capacity": _("0 closes the listing on these days.")}
        widgets = {"start": DATE_INPUT, "end": DATE_INPUT}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The last day must be on or after the first."))
        return data

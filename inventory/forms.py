"""Forms of the inventory pages. They check shape; the services decide everything that needs a lock
(stock on hand, the order's status) and their errors become form errors."""

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from leasing.forms import MultiplePhotoField

from .choices import MovementKind, OrderKind
from .models import OutboundOrder, Product, StockLevel
from .services import PRODUCT_COLUMNS

MAX_IMPORT_BYTES = 1024 * 1024  # 1 MB of CSV: some 10,000 products


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = PRODUCT_COLUMNS
        labels = {
            "sku": _("SKU"),
            "description": _("Description"),
            "units_per_carton": _("Units per carton"),
            "units_per_pallet": _("Units per pallet"),
            "weight_kg": _("Unit weight (kg)"),
            "length_cm": _("Length (cm)"),
            "width_cm": _("Width (cm)"),
            "height_cm": _("Height (cm)"),
            "hs_code": _("HS code"),
            "origin_country": _("Country of origin"),
            "unit_value": _("Declared unit value"),
            "currency": _("Currency"),
        }
        help_texts = {
            "sku": _("Your own code for the product, unique in your organisation."),
            "hs_code": _("The customs tariff code, 6 to 10 digits."),
            "unit_value": _("For customs and insurance; give its currency too."),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("unit_value") is not None and not data.get("currency"):
            self.add_error("currency", _("Give the currency of the declared value."))
        return data


class ProductImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, comma-separated, with a header row; up to 1 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> str:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.size or 0) > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is over 1 MB: split it in parts."), code="too_big")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(
                _("The file is not UTF-8 text: save it as “CSV UTF-8”."), code="encoding"
            ) from error


class LeaseChoiceForm(forms.Form):
    """Step one of an outbound order: which lease the goods leave from."""

    lease = forms.TypedChoiceField(label=_("From lease"), coerce=int)

    def __init__(self, *args: Any, leases: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lease"].choices = leases  # type: ignore[attr-defined]


class OrderForm(forms.ModelForm):
    """An outbound order: how it leaves, the consignee, and one quantity per SKU on hand in the lease
    (``qty_<product id>``, 0 = none of it). A removal takes everything on hand and needs no quantities."""

    kind = forms.ChoiceField(label=_("How the goods leave"), choices=OrderKind.choices, widget=forms.RadioSelect)

    class Meta:
        model = OutboundOrder
        fields = [
            "kind",
            "reference",
            "consignee_name",
            "consignee_address",
            "consignee_city",
            "consignee_country",
            "consignee_phone",
        ]
        labels = {
            "reference": _("Your reference"),
            "consignee_name": _("Consignee name"),
            "consignee_address": _("Address"),
            "consignee_city": _("City"),
            "consignee_country": _("Country"),
            "consignee_phone": _("Phone"),
        }
        help_texts = {"reference": _("Your order number, shown to the owner and on the pick list.")}

    def __init__(self, *args: Any, levels: list[StockLevel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.levels = levels
        self.fields["kind"].initial = OrderKind.SHIP
        for level in levels:
            self.fields[self.quantity_name(level)] = forms.IntegerField(
                label=_("Units of %(sku)s") % {"sku": level.product.sku},
                min_value=0,
                max_value=max(level.available, 0),
                initial=0,
                required=False,
            )

    @staticmethod
    def quantity_name(level: StockLevel) -> str:
        return f"qty_{level.product_id}"

    def rows(self) -> list[tuple[StockLevel, forms.BoundField]]:
        return [(level, self[self.quantity_name(level)]) for level in self.levels]

    def lines(self) -> list[tuple[Product, int]]:
        if self.cleaned_data.get("kind") == OrderKind.REMOVAL:
            return []
        found = [(level.product, self.cleaned_data.get(self.quantity_name(level)) or 0) for level in self.levels]
        return [(product, units) for product, units in found if units]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind and kind != OrderKind.REMOVAL and not self.lines():
            self.add_error(None, _("Enter how many units of at least one SKU leave."))
        if kind == OrderKind.SHIP:
            for name in ("consignee_name", "consignee_address", "consignee_country", "consignee_phone"):
                if not data.get(name):
                    self.add_error(name, _("Needed to ship to a consignee."))
        return data


class RefuseForm(forms.Form):
    prefix = "refuse"
    reason = forms.CharField(
        label=_("Why do you refuse?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The exporter sees this."),
    )


class ShipForm(forms.Form):
    prefix = "ship"
    carrier = forms.CharField(label=_("Carrier"), max_length=100)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100)


class AdjustmentForm(forms.Form):
    """A stock adjustment the owner records on a lease: found, lost or damaged units, with a reason."""

    product = forms.ModelChoiceField(label=_("SKU"), queryset=Product.objects.none())
    kind = forms.ChoiceField(
        label=_("What happened"),
        choices=[(kind.value, kind.label) for kind in (MovementKind.FOUND, MovementKind.LOST, MovementKind.DAMAGED)],
    )
    quantity = forms.IntegerField(label=_("Units"), min_value=1)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The exporter is told, with your photos."),
    )
    # The same validators as AdjustmentPhoto.image (warehouses.validators: type, size, content).
    photos = MultiplePhotoField(label=_("Photos"), required=False, help_text=_("JPEG, PNG or WebP, up to 5 MB each."))

    def __init__(self, *args: Any, products: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products  # type: ignore[attr-defined]

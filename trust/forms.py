"""Forms for trust pages and the staff console. They check shape; the services decide the rules
(and re-check everything) and their errors become form errors."""

from datetime import UTC, datetime, time
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from accounts.models import Organisation
from common.i18n import lazy_format

from .choices import FoundAgainst, Outcome
from .validators import EXTENSIONS, FILE_VALIDATORS, MAX_FILE_BYTES, MAX_FILES

ACCEPT = ",".join(f".{extension}" for extension in EXTENSIONS) + ",application/pdf,image/*"
FILES_HELP = lazy_format(
    _("PDF, JPEG, PNG or WebP; up to %(files)s files of %(megabytes)s MB each."),
    files=MAX_FILES,
    megabytes=MAX_FILE_BYTES // 1024 // 1024,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceFilesField(forms.FileField):
    """Several files in one ``<input type=file multiple>``, each checked by the same validators
    as the model fields (type by content, size), so form and model cannot disagree."""

    default_validators = list(FILE_VALIDATORS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("help_text", FILES_HELP)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("Attach at most %(count)s files at a time.") % {"count": MAX_FILES}, code="too_many_files"
            )
        return [super(EvidenceFilesField, self).clean(file, initial) for file in files]


class VerificationForm(forms.Form):
    legal_name = forms.CharField(
        label=_("Legal name"), max_length=200, help_text=_("Exactly as in the company register.")
    )
    registration_number = forms.CharField(
        label=_("Registration number"), max_length=100, help_text=_("E.g. KvK, Handelsregister, USCC number.")
    )
    vat_number = forms.CharField(
        label=_("VAT number"),
        max_length=50,
        required=False,
        help_text=_("If registered for VAT (or GST): printed on your receipts and invoices."),
    )
    country = CountryField().formfield(label=_("Country of registration"))
    address = forms.CharField(label=_("Registered address"), widget=forms.Textarea(attrs={"rows": 3}))
    documents = EvidenceFilesField(
        label=_("Documents"),
        help_text=format_lazy(
            "{} {}",
            _("A recent extract from the company register, and proof of the registered address."),
            FILES_HELP,
        ),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it rejected?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The organisation reads this and can correct its details."),
    )


class DisputeMessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    evidence = EvidenceFilesField(label=_("Evidence"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("body") or "").strip() and not data.get("evidence") and not self.errors:
            raise forms.ValidationError(_("Write a message or attach a file."), code="empty")
        return data


class ResolutionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect)
    owner_part = forms.DecimalField(
        label=_("To the owner"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    exporter_part = forms.DecimalField(
        label=_("To the exporter"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    found_against = forms.ChoiceField(
        label=_("The decision goes against"),
        choices=[("", _("Decide from the outcome")), *FoundAgainst.choices],
        required=False,
        help_text=_(
            "Counts as a lost dispute in that side's rating. Refund: the owner; release: the exporter; "
            "split: the claimant if it got less than half its claim."
        ),
    )
    note = forms.CharField(
        label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Both sides read this.")
    )


class BlacklistForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.order_by("name"))
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), help_text=_("Sent to the organisation.")
    )
    ends_on = forms.DateField(
        label=_("Lift automatically on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty to keep it until staff lift it."),
    )

    def clean_ends_on(self) -> Any:
        ends_on = self.cleaned_data.get("ends_on")
        if ends_on and ends_on <= timezone.localdate():
            raise forms.ValidationError(_("Choose a date after today."), code="past")
        return ends_on

    def ends_at(self) -> datetime | None:
        ends_on = self.cleaned_data.get("ends_on")
        return datetime.combine(ends_on, time.min, tzinfo=UTC) if ends_on else None


class BlacklistRemoveForm(forms.Form):
    reason = forms.CharField(label=_("Why lift it now?"), max_length=300)


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=pgettext_lazy("the stars given in a review", "Rating"),
        coerce=int,
        choices=[
            (5, _("★★★★★ Excellent")),
            (4, _("★★★★ Good")),
            (3, _("★★★ Fair")),
            (2, _("★★ Poor")),
            (1, _("★ Bad")),
        ],
        widget=forms.RadioSelect,
    )
    text = forms.CharField(label=_("Your review"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


class OrganisationSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or registration number"), required=False)


class BankPayoutRecordForm(forms.Form):
    """Staff made a payout's bank transfer: the bank's reference and the day it was sent."""

    reference = forms.CharField(label=_("Bank reference"), max_length=100)
    transferred_on = forms.DateField(
        label=_("Sent on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

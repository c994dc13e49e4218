"""Forms for trust pages and the staff console. They check shape; the services decide the rules
(and re-check everything) and their errors become form errors."""

from datetime import UTC, datetime, time
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django_countries.fields import CountryField

from accounts.models import Organisation

from .choices import FoundAgainst, Outcome
from .validators import EXTENSIONS, FILE_VALIDATORS, MAX_FILE_BYTES, MAX_FILES

ACCEPT = ",".join(f".{extension}" for extension in EXTENSIONS) + ",application/pdf,image/*"
FILES_HELP = f"PDF, JPEG, PNG or WebP; up to {MAX_FILES} files of {MAX_FILE_BYTES // 1024 // 1024} MB each."


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
            raise forms.ValidationError(f"Attach at most {MAX_FILES} files at a time.")
        return [super(EvidenceFilesField, self).clean(file, initial) for file in files]


class VerificationForm(forms.Form):
    legal_name = forms.CharField(max_length=200, help_text="Exactly as in the company register.")
    registration_number = forms.CharField(max_length=100, help_text="E.g. KvK, Handelsregister, USCC number.")
    country = CountryField().formfield(label="Country of registration")
    address = forms.CharField(label="Registered address", widget=forms.Textarea(attrs={"rows": 3}))
    documents = EvidenceFilesField(
        label="Documents",
        help_text="A recent extract from the company register, and proof of the registered address. " + FILES_HELP,
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Why is it rejected?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The organisation reads this and can correct its details.",
    )


class DisputeMessageForm(forms.Form):
    body = forms.CharField(label="Message", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    evidence = EvidenceFilesField(label="Evidence", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("body") or "").strip() and not data.get("evidence") and not self.errors:
            raise forms.ValidationError("Write a message or attach a file.")
        return data


class ResolutionForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices, widget=forms.RadioSelect)
    owner_part = forms.DecimalField(label="To the owner", required=False, min_value=0, max_digits=14, decimal_places=2)
    exporter_part = forms.DecimalField(
        label="To the exporter", required=False, min_value=0, max_digits=14, decimal_places=2
    )
    found_against = forms.ChoiceField(
        label="The decision goes against",
        choices=[("", "Decide from the outcome"), *FoundAgainst.choices],
        required=False,
        help_text="Counts as a lost dispute in that side's rating. Refund: the owner; release: the exporter; "
        "split: the claimant if it got less than half its claim.",
    )
    note = forms.CharField(label="Reasons", widget=forms.Textarea(attrs={"rows": 3}), help_text="Both sides read this.")


class BlacklistForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.order_by("name"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), help_text="Sent to the organisation.")
    ends_on = forms.DateField(
        label="Lift automatically on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty to keep it until staff lift it.",
    )

    def clean_ends_on(self) -> Any:
        ends_on = self.cleaned_data.get("ends_on")
        if ends_on and ends_on <= timezone.localdate():
            raise forms.ValidationError("Choose a date after today.")
        return ends_on

    def ends_at(self) -> datetime | None:
        ends_on = self.cleaned_data.get("ends_on")
        return datetime.combine(ends_on, time.min, tzinfo=UTC) if ends_on else None


class BlacklistRemoveForm(forms.Form):
    reason = forms.CharField(label="Why lift it now?", max_length=300)


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="Rating",
        coerce=int,
        choices=[(5, "★★★★★ Excellent"), (4, "★★★★ Good"), (3, "★★★ Fair"), (2, "★★ Poor"), (1, "★ Bad")],
        widget=forms.RadioSelect,
    )
    text = forms.CharField(label="Your review", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


class OrganisationSearchForm(forms.Form):
    q = forms.CharField(label="Name or registration number", required=False)

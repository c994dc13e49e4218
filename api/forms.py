from django import forms

from .choices import EVENT_TYPES, KeyScope


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “ERP production”.")
    scope = forms.ChoiceField(
        choices=KeyScope.choices,
        initial=KeyScope.READ,
        widget=forms.RadioSelect,
        help_text="Read-only keys can search and follow leases; write keys can also book, pay and check in.",
    )


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label="URL", max_length=500, assume_scheme="https", help_text="Where we POST the events (https)."
    )
    events = forms.MultipleChoiceField(
        choices=EVENT_TYPES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to receive every event.",
    )

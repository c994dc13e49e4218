from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import EVENT_TYPES, KeyScope


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What will use it, e.g. “ERP production”."))
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=KeyScope.choices,
        initial=KeyScope.READ,
        widget=forms.RadioSelect,
        help_text=_("Read-only keys can search and follow leases; write keys can also book, pay and check in."),
    )


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL"), max_length=500, assume_scheme="https", help_text=_("Where we POST the events (https).")
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EVENT_TYPES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to receive every event."),
    )

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from common.timezones import timezone_choices

from .choices import Role
from .models import Organisation


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "is_owner", "is_exporter", "country"]
        labels = {
            "name": _("Organisation name"),
            "is_owner": _("We own or operate warehouses and want to list space"),
            "is_exporter": _("We export goods and need storage abroad"),
            "country": _("Country"),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("is_owner") and not data.get("is_exporter"):
            raise forms.ValidationError(
                _("Choose what your organisation does: owns warehouses, exports, or both."), code="no_role"
            )
        return data


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("The same as my browser")), *settings.LANGUAGES],
        required=False,
        help_text=_("Pages and the emails Wareshare sends you are written in it."),
    )
    time_zone = forms.ChoiceField(
        label=_("Your time zone"),
        choices=timezone_choices,
        help_text=_(
            "Deadlines are shown in the warehouse's time zone and, where it differs, in yours. "
            "For example Asia/Shanghai or Europe/Amsterdam."
        ),
    )

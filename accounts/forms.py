from typing import Any

from django import forms

from .choices import Role
from .models import Organisation


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "is_owner", "is_exporter", "country"]
        labels = {
            "name": "Organisation name",
            "is_owner": "We own or operate warehouses and want to list space",
            "is_exporter": "We export goods and need storage abroad",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("is_owner") and not data.get("is_exporter"):
            raise forms.ValidationError("Choose what your organisation does: owns warehouses, exports, or both.")
        return data


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)

import re

from django import forms
from django.utils.translation import gettext_lazy as _

IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def iban_valid(iban: str) -> bool:
    """The ISO 13616 check: the right shape and a mod-97 remainder of 1."""
    if not IBAN_SHAPE.match(iban):
        return False
    digits = "".join(str(int(char, 36)) for char in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


class SimulatedPayoutAccountForm(forms.Form):
    """The simulated gateway's onboarding: who holds the bank account, and its IBAN."""

    holder_name = forms.CharField(label=_("Account holder name"), max_length=200)
    iban = forms.CharField(label=_("IBAN"), max_length=42, help_text=_("E.g. NL91 ABNA 0417 1643 00"))

    def clean_iban(self) -> str:
        iban = self.cleaned_data["iban"].replace(" ", "").upper()
        if not iban_valid(iban):
            raise forms.ValidationError(
                _("This is not a valid IBAN: check the country code and the digits."), code="invalid_iban"
            )
        return iban

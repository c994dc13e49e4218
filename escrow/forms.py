import re

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
SWIFT_SHAPE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
IBAN_START = re.compile(r"^[A-Z]{2}[0-9]{2}")
ACCOUNT_NUMBER_SHAPE = re.compile(r"^[A-Z0-9-]{4,34}$")


def iban_valid(iban: str) -> bool:
    """The ISO 13616 check: the right shape and a mod-97 remainder of 1."""
    if not IBAN_SHAPE.match(iban):
        return False
    digits = "".join(str(int(char, 36)) for char in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def _country_choices() -> list[tuple[str, str]]:
    return [("", "—"), *((code, str(name)) for code, name in countries)]


class PayoutCountryForm(forms.Form):
    """Where the owner is paid: decides whether Stripe can pay it, and under which agreement."""

    country = forms.ChoiceField(label=_("Country you are paid in"), choices=_country_choices)


class SimulatedPayoutAccountForm(forms.Form):
    """The simulated gateway's onboarding: who holds the bank account, and its IBAN."""

    country = forms.ChoiceField(choices=_country_choices, widget=forms.HiddenInput, required=False)
    holder_name = forms.CharField(label=_("Account holder name"), max_length=200)
    iban = forms.CharField(label=_("IBAN"), max_length=42, help_text=_("E.g. NL91 ABNA 0417 1643 00"))

    def clean_iban(self) -> str:
        iban = self.cleaned_data["iban"].replace(" ", "").upper()
        if not iban_valid(iban):
            raise forms.ValidationError(
                _("This is not a valid IBAN: check the country code and the digits."), code="invalid_iban"
            )
        return iban


class BankPayoutAccountForm(forms.Form):
    """The bank-transfer rail: the bank account Wareshare's staff pay into by hand."""

    country = forms.ChoiceField(choices=_country_choices, widget=forms.HiddenInput, required=False)
    holder_name = forms.CharField(label=_("Account holder name"), max_length=200)
    bank_account = forms.CharField(
        label=_("IBAN or account number"),
        max_length=42,
        help_text=_("An IBAN where your bank has one; otherwise the account number, with the SWIFT/BIC code."),
    )
    swift_bic = forms.CharField(
        label=_("SWIFT/BIC"), max_length=11, required=False, help_text=_("8 or 11 characters, e.g. ICBKCNBJSZN")
    )
    bank_country = forms.ChoiceField(label=_("Country of the bank"), choices=_country_choices)

    def clean_bank_account(self) -> str:
        value = self.cleaned_data["bank_account"].replace(" ", "").upper()
        if iban_valid(value):
            return value
        if IBAN_START.match(value):
            raise forms.ValidationError(
                _("This is not a valid IBAN: check the country code and the digits."), code="invalid_iban"
            )
        if not ACCOUNT_NUMBER_SHAPE.match(value):
            raise forms.ValidationError(
                _("Enter an IBAN, or an account number of 4 to 34 letters and digits."), code="invalid_account"
            )
        return value

    def clean_swift_bic(self) -> str:
        value = self.cleaned_data["swift_bic"].replace(" ", "").upper()
        if value and not SWIFT_SHAPE.match(value):
            raise forms.ValidationError(
                _("A SWIFT/BIC code has 8 or 11 letters and digits (bank, country, place, branch)."),
                code="invalid_swift",
            )
        return value

    def clean(self) -> dict[str, str]:
        data = super().clean() or {}
        account, swift, bank_country = data.get("bank_account"), data.get("swift_bic"), data.get("bank_country")
        if not account or bank_country is None:
            return data
        is_iban = iban_valid(account)
        if is_iban and account[:2] != bank_country:
            self.add_error("bank_country", _("The IBAN is from another country than the bank's."))
        if not is_iban and not swift:
            self.add_error("swift_bic", _("Give the bank's SWIFT/BIC code with an account number."))
        if swift and bank_country and swift[4:6] != bank_country:
            self.add_error("swift_bic", _("This SWIFT/BIC code is for a bank in another country."))
        return data

"""Which owners Stripe Connect can pay, and under which service agreement: data, in one place.

Sources (read 2026-12-07; check them again before changing the platform's country):

- Countries where a Stripe account (and so a connected account) can be created:
  https://stripe.com/global (India is invite-only for Connect and left out).
- Service agreements: https://docs.stripe.com/connect/service-agreement-types — a ``full``
  agreement can take card payments (``card_payments`` + ``transfers``); a ``recipient`` account
  only receives transfers (no ``card_payments``), and "cross-border payouts only work with
  accounts under the recipient service agreement".
- Cross-border payouts: https://docs.stripe.com/connect/cross-border-payouts — "Platforms based in
  the US, UK, EEA, Canada, or Switzerland can transfer funds to connected accounts in any of those
  regions, regardless of the payment settlement currency"; other countries are not self-serve.
- Separate charges and transfers (what Wareshare does, DESIGN §4) with a ``full`` account need the
  platform and the account in the same region: Europe (EEA, UK, Switzerland) is one region, every
  other country is its own.

The platform's own country is the setting ``WARESHARE_PLATFORM_COUNTRY`` (default NL).
"""

from django.conf import settings

from .choices import ServiceAgreement


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The European Economic Area (EU 27 + Iceland, Liechtenstein, Norway).
EEA = _codes("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK")

# Countries where Stripe accounts can be created (https://stripe.com/global, 2026-12-07; India
# invite-only, left out). Iceland is in the EEA but not on Stripe's list.
STRIPE_ACCOUNT_COUNTRIES = (EEA - {"IS"}) | _codes("AE AU BR CA CH GB GI HK JP MX MY NZ SG TH US")

# Europe is one region for separate charges and transfers (EEA, United Kingdom, Switzerland, Gibraltar).
EUROPE = frozenset(EEA | {"GB", "CH", "GI"})

# Where cross-border (``recipient``) payouts are self-serve: platform and account both in these
# regions (docs.stripe.com/connect/cross-border-payouts, 2026-12-07).
CROSS_BORDER_COUNTRIES = frozenset((EEA - {"IS"}) | {"US", "GB", "CA", "CH"})


def region(country: str) -> str:
    """The country's region for same-region transfers: "EUROPE", or the country itself."""
    country = country.upper()
    return "EUROPE" if country in EUROPE else country


def platform_country() -> str:
    return str(settings.WARESHARE_PLATFORM_COUNTRY).upper()


def service_agreement(country: str, *, platform: str = "") -> str:
    """The service agreement Stripe allows for an owner in ``country``: ``full`` in the platform's
    region, ``recipient`` across borders where Stripe allows it, "" where Stripe cannot pay at all
    (the owner is offered a bank transfer instead)."""
    country = country.upper()
    platform = (platform or platform_country()).upper()
    if country not in STRIPE_ACCOUNT_COUNTRIES:
        return ""
    if region(country) == region(platform):
        return ServiceAgreement.FULL
    if country in CROSS_BORDER_COUNTRIES and platform in CROSS_BORDER_COUNTRIES:
        return ServiceAgreement.RECIPIENT
    return ""


def stripe_can_pay(country: str, *, platform: str = "") -> bool:
    return bool(service_agreement(country, platform=platform))

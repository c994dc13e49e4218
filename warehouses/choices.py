from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PortKind(models.TextChoices):
    SEA = "sea", _("Seaport")
    AIR = "air", _("Cargo airport")
    BOTH = "both", _("Sea and air")


class CustomsStatus(models.TextChoices):
    GENERAL = "general", _("General (duty paid)")
    BONDED = "bonded", _("Bonded / customs warehouse")
    FREE_TRADE_ZONE = "free_trade_zone", _("Free trade zone")


class Unit(models.TextChoices):
    PALLET = "pallet", _("pallet position")
    SQM = "sqm", _("m² floor space")
    CBM = "cbm", _("m³ volume")


class CancellationPolicy(models.TextChoices):
    FLEXIBLE = "flexible", _("Flexible")
    MODERATE = "moderate", _("Moderate")
    STRICT = "strict", _("Strict")


class ListingStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("listing status", "Draft")
    ACTIVE = "active", pgettext_lazy("listing status", "Active")
    PAUSED = "paused", pgettext_lazy("listing status", "Paused")
    ARCHIVED = "archived", pgettext_lazy("listing status", "Archived")


# Warehouse features: each is a boolean column, so "has all of these" is a plain indexed filter.
FEATURES = (
    ("temperature_controlled", _("Temperature controlled")),
    ("hazmat", _("Hazmat certified")),
    ("racking", _("Racking")),
    ("access_24_7", _("24/7 access")),
    ("cctv", _("CCTV")),
    ("loading_dock", _("Loading dock")),
    ("forklift", _("Forklift")),
    ("fire_suppression", _("Fire suppression")),
)
FEATURE_LABELS = dict(FEATURES)

from django.db import models


class PortKind(models.TextChoices):
    SEA = "sea", "Seaport"
    AIR = "air", "Cargo airport"
    BOTH = "both", "Sea and air"


class CustomsStatus(models.TextChoices):
    GENERAL = "general", "General (duty paid)"
    BONDED = "bonded", "Bonded / customs warehouse"
    FREE_TRADE_ZONE = "free_trade_zone", "Free trade zone"


class Unit(models.TextChoices):
    PALLET = "pallet", "pallet position"
    SQM = "sqm", "m² floor space"
    CBM = "cbm", "m³ volume"


class CancellationPolicy(models.TextChoices):
    FLEXIBLE = "flexible", "Flexible"
    MODERATE = "moderate", "Moderate"
    STRICT = "strict", "Strict"


class ListingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ARCHIVED = "archived", "Archived"


# Warehouse features: each is a boolean column, so "has all of these" is a plain indexed filter.
FEATURES = (
    ("temperature_controlled", "Temperature controlled"),
    ("hazmat", "Hazmat certified"),
    ("racking", "Racking"),
    ("access_24_7", "24/7 access"),
    ("cctv", "CCTV"),
    ("loading_dock", "Loading dock"),
    ("forklift", "Forklift"),
    ("fire_suppression", "Fire suppression"),
)
FEATURE_LABELS = dict(FEATURES)

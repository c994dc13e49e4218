"""Demo warehouses and listings near real ports, in nine countries. Idempotent."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Organisation
from common.money import quantize

from .choices import CancellationPolicy, CustomsStatus, ListingStatus, Unit
from .models import Listing, Warehouse
from .services import calendar_extend, capacity_reserve, listing_create

# name, city, country, lat, lon, port, tz, customs, features, currency
SITES = [
    (
        "Waalhaven DC",
        "Rotterdam",
        "NL",
        51.8900,
        4.4200,
        "NLRTM",
        "Europe/Amsterdam",
        CustomsStatus.BONDED,
        {"racking": True, "cctv": True, "loading_dock": True, "forklift": True},
        "EUR",
    ),
    (
        "Hamburg Hafen Lager",
        "Hamburg",
        "DE",
        53.5200,
        9.9700,
        "DEHAM",
        "Europe/Berlin",
        CustomsStatus.GENERAL,
        {"racking": True, "access_24_7": True, "cctv": True},
        "EUR",
    ),
    (
        "Antwerp Cold Hub",
        "Antwerp",
        "BE",
        51.2700,
        4.3500,
        "BEANR",
        "Europe/Brussels",
        CustomsStatus.GENERAL,
        {"temperature_controlled": True, "cctv": True, "loading_dock": True},
        "EUR",
    ),
    (
        "Felixstowe Port Store",
        "Felixstowe",
        "GB",
        51.9600,
        1.3300,
        "GBFXT",
        "Europe/London",
        CustomsStatus.BONDED,
        {"racking": True, "forklift": True},
        "GBP",
    ),
    (
        "Valencia Logistics Park",
        "Valencia",
        "ES",
        39.4500,
        -0.3300,
        "ESVLC",
        "Europe/Madrid",
        CustomsStatus.GENERAL,
        {"loading_dock": True, "fire_suppression": True},
        "EUR",
    ),
    (
        "Carson Gateway",
        "Los Angeles",
        "US",
        33.8200,
        -118.2500,
        "USLAX",
        "America/Los_Angeles",
        CustomsStatus.GENERAL,
        {"racking": True, "access_24_7": True, "loading_dock": True},
        "USD",
    ),
    (
        "Elizabeth FTZ Warehouse",
        "Elizabeth",
        "US",
        40.6700,
        -74.1700,
        "USNYC",
        "America/New_York",
        CustomsStatus.FREE_TRADE_ZONE,
        {"hazmat": True, "cctv": True, "fire_suppression": True},
        "USD",
    ),
    (
        "Jebel Ali Free Zone Unit 7",
        "Dubai",
        "AE",
        25.0100,
        55.0700,
        "AEJEA",
        "Asia/Dubai",
        CustomsStatus.FREE_TRADE_ZONE,
        {"temperature_controlled": True, "access_24_7": True},
        "USD",
    ),
    (
        "Tuas Mega Store",
        "Singapore",
        "SG",
        1.2900,
        103.6400,
        "SGSIN",
        "Asia/Singapore",
        CustomsStatus.BONDED,
        {"racking": True, "cctv": True, "hazmat": True},
        "SGD",
    ),
    (
        "Port Botany Depot",
        "Sydney",
        "AU",
        -33.9600,
        151.2200,
        "AUSYD",
        "Australia/Sydney",
        CustomsStatus.GENERAL,
        {"loading_dock": True, "forklift": True},
        "AUD",
    ),
]

# title suffix, unit, capacity, price per unit/day, handling in/out, instant
OFFERS = [
    ("Pallet positions", Unit.PALLET, 120, "0.85", "6.00", True),
    ("Floor space", Unit.SQM, 800, "0.32", "1.50", False),
    ("Bulk volume", Unit.CBM, 400, "0.45", "2.00", False),
]


def seed_warehouses(owners: list[Organisation]) -> list[Listing]:
    today = timezone.localdate()
    listings = []
    for index, (name, city, country, lat, lon, port, tz, customs, features, currency) in enumerate(SITES):
        owner = owners[index % len(owners)]
        warehouse, _ = Warehouse.objects.get_or_create(
            organisation=owner,
            name=name,
            defaults={
                "address": f"{index + 1} Harbour Road",
                "city": city,
                "country": country,
                "latitude": lat,
                "longitude": lon,
                "nearest_port_id": port,
                "timezone": tz,
                "customs_status": customs,
                "opening_hours": "Mon–Fri 07:00–19:00, Sat 08:00–12:00",
                "description": f"Modern warehouse close to the port of {city}.",
                **features,
            },
        )
        for offer_index, (title, unit, capacity, price, handling, instant) in enumerate(OFFERS):
            if (index + offer_index) % 3 == 2:
                continue  # not every site offers every kind of space
            listing = Listing.objects.filter(warehouse=warehouse, title=f"{title} — {city}").first()
            if listing is None:
                listing = listing_create(
                    warehouse=warehouse,
                    title=f"{title} — {city}",
                    description=f"{title} in {name}, a short drive from the terminals.",
                    unit=unit,
                    capacity=capacity,
                    price_per_unit_day=quantize(Decimal(price) * (1 + Decimal(index % 4) / 10), currency),
                    currency=currency,
                    handling_in_fee=Decimal(handling),
                    handling_out_fee=Decimal(handling),
                    min_days=7,
                    max_days=180,
                    available_from=today,
                    instant_book=instant,
                    cancellation_policy=list(CancellationPolicy)[index % 3],
                    status=ListingStatus.ACTIVE,
                )
                # Some space is already taken by other (offline) customers.
                capacity_reserve(
                    listing=listing,
                    start=today + timedelta(days=3 + index),
                    end=today + timedelta(days=40 + index),
                    quantity=capacity // 3,
                )
            else:
                calendar_extend(listing=listing)
            listings.append(listing)
    return listings

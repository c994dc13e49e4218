from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from tests.accounts.factories import OwnerOrganisationFactory
from warehouses.choices import CustomsStatus, ListingStatus, Unit
from warehouses.models import Listing, Port, Warehouse
from warehouses.ports import ports_load
from warehouses.services import calendar_extend

# The time zone of the factories' warehouses: the tests' "today" (``days_from_now``) is theirs.
FACTORY_TIME_ZONE = "Europe/Amsterdam"


def _port(locode: str = "NLRTM") -> str:
    """Ports come from a data migration; transactional tests flush them, so load them again."""
    if not Port.objects.filter(pk=locode).exists():
        ports_load()
    return locode


class WarehouseFactory(DjangoModelFactory):
    class Meta:
        model = Warehouse

    organisation = factory.SubFactory(OwnerOrganisationFactory)
    name = factory.Sequence(lambda n: f"Warehouse {n}")
    address = "Waalhaven Zuidzijde 1"
    city = "Rotterdam"
    country = "NL"
    latitude = 51.8850
    longitude = 4.4250
    nearest_port_id = factory.LazyFunction(_port)
    customs_status = CustomsStatus.GENERAL
    timezone = FACTORY_TIME_ZONE


class ListingFactory(DjangoModelFactory):
    """An active listing whose calendar is created, as ``listing_create`` would."""

    class Meta:
        model = Listing
        skip_postgeneration_save = True

    warehouse = factory.SubFactory(WarehouseFactory)
    title = factory.Sequence(lambda n: f"Pallet positions {n}")
    unit = Unit.PALLET
    capacity = 10
    price_per_unit_day = Decimal("1.50")
    currency = "EUR"
    handling_in_fee = Decimal("4.00")
    handling_out_fee = Decimal("4.00")
    min_days = 1
    max_days = 365
    available_from = factory.LazyFunction(lambda: days_from_now(0))
    available_until = None
    status = ListingStatus.ACTIVE

    @factory.post_generation
    def calendar(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            calendar_extend(listing=self)


def days_from_now(n: int) -> date:
    """``n`` days from today *at the factories' warehouses* (business dates belong to the warehouse):
    from 23:00 UTC in winter Amsterdam is already on tomorrow, and so are the services."""
    return timezone.localdate(timezone=ZoneInfo(FACTORY_TIME_ZONE)) + timedelta(days=n)

"""Owner screens: warehouses, photos, listings, their status, occupancy and capacity exceptions.

Every object is looked up through ``request.organisation``, so another organisation's
warehouse or listing is a 404, never a 403 that would confirm it exists.
"""

from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.dates import WEEKDAYS as WEEKDAY_NAMES
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.decorators import organisation_required
from accounts.types import OrganisationRequest
from common.exceptions import ApplicationError

from . import owner_services, selectors, services
from .choices import ListingStatus
from .dates import today_range, warehouse_today
from .forms import CapacityExceptionForm, ListingForm, WarehouseForm, WarehousePhotoForm
from .models import CalendarDay, CapacityException, Listing, Warehouse, WarehousePhoto

PAGE_SIZE = 25

# Owner-facing verbs for the listing state machine (services.LISTING_TRANSITIONS decides).
if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LISTING_ACTIONS: dict[str, tuple[str, "StrOrPromise"]] = {
    "publish": (ListingStatus.ACTIVE, gettext_lazy("“%(title)s” is published and can be found in search.")),
    "pause": (ListingStatus.PAUSED, gettext_lazy("“%(title)s” is paused; it no longer appears in search.")),
    "resume": (ListingStatus.ACTIVE, gettext_lazy("“%(title)s” is active again.")),
    "archive": (ListingStatus.ARCHIVED, gettext_lazy("“%(title)s” is archived.")),
}


def _page(request: OrganisationRequest, queryset: QuerySet[Any]) -> Page:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _owned_warehouse(request: OrganisationRequest, pk: int) -> Warehouse:
    return get_object_or_404(Warehouse, pk=pk, organisation=request.organisation)


def _owned_listing(request: OrganisationRequest, pk: int) -> Listing:
    return get_object_or_404(
        Listing.objects.select_related("warehouse"), pk=pk, warehouse__organisation=request.organisation
    )


# --- Warehouses ---------------------------------------------------------------------------


@organisation_required(owner=True)
def warehouse_list(request: OrganisationRequest) -> HttpResponse:
    page = _page(request, selectors.warehouse_list(organisation=request.organisation))
    return render(request, "warehouses/owner/warehouse_list.html", {"page": page})


@organisation_required(owner=True)
def warehouse_create(request: OrganisationRequest) -> HttpResponse:
    form = WarehouseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        warehouse = services.warehouse_create(organisation=request.organisation, **form.cleaned_data)
        messages.success(
            request, _("%(warehouse)s is added. Next: add photos and a listing.") % {"warehouse": warehouse.name}
        )
        return redirect("warehouses:owner:warehouse_detail", pk=warehouse.pk)
    return render(request, "warehouses/owner/warehouse_form.html", {"form": form})


def _warehouse_detail(
    request: OrganisationRequest, warehouse: Warehouse, photo_form: WarehousePhotoForm
) -> HttpResponse:
    context = {
        "warehouse": warehouse,
        "listings": selectors.listing_list(organisation=request.organisation).filter(warehouse=warehouse),
        "photos": warehouse.photos.all(),
        "photo_form": photo_form,
    }
    return render(request, "warehouses/owner/warehouse_detail.html", context)


@organisation_required(owner=True)
def warehouse_detail(request: OrganisationRequest, pk: int) -> HttpResponse:
    warehouse = get_object_or_404(
        Warehouse.objects.select_related("nearest_port"), pk=pk, organisation=request.organisation
    )
    return _warehouse_detail(request, warehouse, WarehousePhotoForm())


@organisation_required(owner=True)
def warehouse_edit(request: OrganisationRequest, pk: int) -> HttpResponse:
    warehouse = _owned_warehouse(request, pk)
    # The form edits a copy: a refused submission must not rename the page it is shown on.
    form = WarehouseForm(request.POST or None, instance=copy(warehouse))
    if request.method == "POST" and form.is_valid():
        services.warehouse_update(warehouse=warehouse, **form.cleaned_data)
        messages.success(request, _("%(warehouse)s is saved.") % {"warehouse": warehouse.name})
        return redirect("warehouses:owner:warehouse_detail", pk=warehouse.pk)
    return render(request, "warehouses/owner/warehouse_form.html", {"form": form, "warehouse": warehouse})


@organisation_required(owner=True)
@require_POST
def photo_upload(request: OrganisationRequest, pk: int) -> HttpResponse:
    warehouse = _owned_warehouse(request, pk)
    form = WarehousePhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        return _warehouse_detail(request, warehouse, form)
    services.warehouse_photo_add(warehouse=warehouse, **form.cleaned_data)
    messages.success(request, _("Photo added."))
    return redirect("warehouses:owner:warehouse_detail", pk=warehouse.pk)


@organisation_required(owner=True)
@require_POST
def photo_delete(request: OrganisationRequest, pk: int, photo_pk: int) -> HttpResponse:
    photo = get_object_or_404(
        WarehousePhoto, pk=photo_pk, warehouse_id=pk, warehouse__organisation=request.organisation
    )
    owner_services.warehouse_photo_remove(photo=photo)
    messages.success(request, _("Photo removed."))
    return redirect("warehouses:owner:warehouse_detail", pk=pk)


# --- Listings -----------------------------------------------------------------------------


@organisation_required(owner=True)
def listing_list(request: OrganisationRequest) -> HttpResponse:
    page = _page(request, selectors.listing_list(organisation=request.organisation))
    has_warehouse = bool(page.object_list) or request.organisation.warehouses.exists()
    return render(request, "warehouses/owner/listing_list.html", {"page": page, "has_warehouse": has_warehouse})


@organisation_required(owner=True)
def listing_create(request: OrganisationRequest, pk: int) -> HttpResponse:
    warehouse = _owned_warehouse(request, pk)
    form = ListingForm(request.POST or None, initial={"available_from": today_range()[1]})
    if request.method == "POST" and form.is_valid():
        try:
            listing = services.listing_create(warehouse=warehouse, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.detail)
        else:
            messages.success(
                request, _("“%(title)s” is saved as a draft. Publish it when it is ready.") % {"title": listing.title}
            )
            return redirect("warehouses:owner:listing_calendar", pk=listing.pk)
    return render(request, "warehouses/owner/listing_form.html", {"form": form, "warehouse": warehouse})


@organisation_required(owner=True)
def listing_edit(request: OrganisationRequest, pk: int) -> HttpResponse:
    listing = _owned_listing(request, pk)
    form = ListingForm(request.POST or None, instance=copy(listing))
    if request.method == "POST" and form.is_valid():
        try:
            services.listing_update(listing=listing, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.detail)
        else:
            messages.success(request, _("“%(title)s” is saved.") % {"title": form.cleaned_data["title"]})
            return redirect("warehouses:owner:listing_calendar", pk=listing.pk)
    context = {"form": form, "listing": listing, "warehouse": listing.warehouse}
    return render(request, "warehouses/owner/listing_form.html", context)


def _safe_next(request: OrganisationRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@organisation_required(owner=True)
@require_POST
def listing_status(request: OrganisationRequest, pk: int) -> HttpResponse:
    listing = _owned_listing(request, pk)
    action = LISTING_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        return HttpResponseBadRequest(_("Unknown listing action."))
    status, outcome = action
    try:
        services.listing_set_status(listing=listing, status=status)
    except ApplicationError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, str(outcome) % {"title": listing.title})
    return redirect(_safe_next(request, default="warehouses:owner:listing_list"))


# --- Occupancy calendar and capacity exceptions -------------------------------------------


@dataclass(frozen=True)
class DayCell:
    """One day of the occupancy calendar, as the template draws it."""

    day: date
    capacity: int | None  # None: no calendar row (outside the window or beyond the horizon)
    reserved: int = 0

    @property
    def state(self) -> str:
        if not self.capacity:
            return "full" if self.reserved else "none"
        if self.reserved >= self.capacity:
            return "full"
        return "partial" if self.reserved else "free"

    @property
    def label(self) -> str:
        # Translators: a date format (Django's |date syntax) naming one calendar day: "Monday 7 March".
        when = formats.date_format(self.day, _("l j F"))
        if self.capacity is None:
            return _("%(day)s: not on the calendar") % {"day": when}
        if self.capacity == 0 and not self.reserved:
            return _("%(day)s: closed") % {"day": when}
        free = self.capacity - self.reserved
        return _("%(day)s: %(reserved)s of %(capacity)s reserved, %(free)s free") % {
            "day": when,
            "reserved": self.reserved,
            "capacity": self.capacity,
            "free": free,
        }


# Monday first: (full name, abbreviation), translated when the page renders.
WEEKDAYS = [(WEEKDAY_NAMES[n], WEEKDAYS_ABBR[n]) for n in range(7)]


def _short(day: date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _month_param(value: str | None, *, today: date) -> date:
    try:
        return datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return today.replace(day=1)


def _cells(weeks: list[list[CalendarDay | date | None]]) -> list[list[DayCell | None]]:
    def cell(item: CalendarDay | date | None) -> DayCell | None:
        if isinstance(item, CalendarDay):
            return DayCell(day=item.day, capacity=item.capacity, reserved=item.reserved)
        return DayCell(day=item, capacity=None) if item else None

    return [[cell(item) for item in week] for week in weeks]


def _calendar_page(request: OrganisationRequest, listing: Listing, form: CapacityExceptionForm) -> HttpResponse:
    today = warehouse_today(listing.warehouse)
    month = selectors.listing_month(listing=listing, month=_month_param(request.GET.get("month"), today=today))
    context = {
        "listing": listing,
        "month": month,
        "weeks": _cells(month.weeks),
        "weekdays": WEEKDAYS,
        "today": today,
        "exceptions": listing.exceptions.all(),
        "exception_form": form,
    }
    return render(request, "warehouses/owner/listing_calendar.html", context)


@organisation_required(owner=True)
def listing_calendar(request: OrganisationRequest, pk: int) -> HttpResponse:
    return _calendar_page(request, _owned_listing(request, pk), CapacityExceptionForm())


@organisation_required(owner=True)
@require_POST
def exception_add(request: OrganisationRequest, pk: int) -> HttpResponse:
    listing = _owned_listing(request, pk)
    form = CapacityExceptionForm(request.POST)
    if form.is_valid():
        try:
            services.capacity_exception_add(listing=listing, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.detail)
        else:
            messages.success(request, _("Capacity change saved; the calendar below shows it."))
            calendar = reverse("warehouses:owner:listing_calendar", args=[listing.pk])
            return redirect(f"{calendar}?month={form.cleaned_data['start']:%Y-%m}")
    return _calendar_page(request, listing, form)


@organisation_required(owner=True)
@require_POST
def exception_remove(request: OrganisationRequest, pk: int, exception_pk: int) -> HttpResponse:
    listing = _owned_listing(request, pk)
    exception = get_object_or_404(CapacityException.objects.select_related("listing"), pk=exception_pk, listing=listing)
    try:
        services.capacity_exception_remove(exception=exception)
    except ApplicationError as error:
        messages.error(request, error.detail)
    else:
        days = f"{_short(exception.start)} – {_short(exception.end)}"
        messages.success(request, _("Capacity change for %(days)s removed.") % {"days": days})
    return redirect("warehouses:owner:listing_calendar", pk=listing.pk)

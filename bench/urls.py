"""The project's URLs plus two yardsticks for the search goals in DESIGN §8:

* ``/bench/floor/<pk>/``: the floor, a Django view doing exactly one primary-key query (plain text);
* ``/bench/floor-page/<pk>/``: the same query rendered in the site layout (``base.html``), to tell
  the layout's cost from the search's own.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from marketplace.urls import urlpatterns as project_urlpatterns
from warehouses.models import Listing


def _title(pk: int) -> str:
    return Listing.objects.filter(pk=pk).values_list("title", flat=True).first() or ""


def floor(request: HttpRequest, pk: int) -> HttpResponse:
    """Exactly one primary-key query, through the full middleware stack."""
    return HttpResponse(_title(pk), content_type="text/plain")


def floor_page(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "bench/floor_page.html", {"title": _title(pk)})


urlpatterns = [
    path("bench/floor/<int:pk>/", floor, name="bench_floor"),
    path("bench/floor-page/<int:pk>/", floor_page, name="bench_floor_page"),
    *project_urlpatterns,
]

"""Distances for "near this port" search.

SQL narrows by a bounding box and orders by an equirectangular approximation (plain
arithmetic, portable to SQLite and PostgreSQL, and accurate to well under 1% at the radii
people search with); the page then shows the exact great-circle distance.
"""

import math
from dataclasses import dataclass

from django.db.models import ExpressionWrapper, F, FloatField, Q, QuerySet, Value

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class Circle:
    latitude: float
    longitude: float
    radius_km: float

    @property
    def lat_delta(self) -> float:
        return self.radius_km / KM_PER_DEGREE

    @property
    def lon_scale(self) -> float:
        return max(math.cos(math.radians(self.latitude)), 0.01)

    @property
    def lon_delta(self) -> float:
        return min(self.lat_delta / self.lon_scale, 180.0)


def within(queryset: QuerySet, circle: Circle, *, prefix: str = "") -> QuerySet:
    """Filter rows whose ``<prefix>latitude/longitude`` lie within the circle and annotate
    ``distance2`` (squared approximate distance in degrees of latitude) for ordering."""
    lat, lon = f"{prefix}latitude", f"{prefix}longitude"
    box = Q(**{f"{lat}__range": (circle.latitude - circle.lat_delta, circle.latitude + circle.lat_delta)}) & Q(
        **{f"{lon}__range": (circle.longitude - circle.lon_delta, circle.longitude + circle.lon_delta)}
    )
    dy = F(lat) - Value(circle.latitude)
    dx = (F(lon) - Value(circle.longitude)) * Value(circle.lon_scale)
    distance2 = ExpressionWrapper(dy * dy + dx * dx, output_field=FloatField())
    return queryset.filter(box).annotate(distance2=distance2).filter(distance2__lte=circle.lat_delta**2)

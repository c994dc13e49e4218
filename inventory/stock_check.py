"""``manage.py consistency_check``'s **stock** check (registered on ``leasing.consistency``): every
stock level's ``on_hand`` is the sum of its movements, and its ``held`` the units of its lease's
orders that hold stock (accepted or picked); no movement lacks its level."""

from django.db.models import Exists, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from leasing.consistency import Problem

from .choices import HOLDING_STATUSES
from .models import OutboundLine, StockLevel, StockMovement


def stock_consistency() -> tuple[str, list[Problem]]:
    moved = (
        StockMovement.objects.filter(lease=OuterRef("lease"), product=OuterRef("product"))
        .order_by()
        .values("lease")
        .annotate(n=Sum("quantity"))
        .values("n")
    )
    holding = (
        OutboundLine.objects.filter(
            order__lease=OuterRef("lease"), product=OuterRef("product"), order__status__in=HOLDING_STATUSES
        )
        .order_by()
        .values("order__lease")
        .annotate(n=Sum("quantity"))
        .values("n")
    )
    levels = StockLevel.objects.annotate(
        moved=Coalesce(Subquery(moved, output_field=IntegerField()), 0),
        holding=Coalesce(Subquery(holding, output_field=IntegerField()), 0),
    )
    problems = [
        Problem(
            "stock",
            f"lease {lease} product {product}",
            f"on hand {on_hand} (movements {moved}), held {held} (orders {holding})",
        )
        for lease, product, on_hand, moved, held, holding in levels.filter(
            ~Q(on_hand=F("moved")) | ~Q(held=F("holding"))
        )
        .order_by("lease_id", "product_id")
        .values_list("lease_id", "product_id", "on_hand", "moved", "held", "holding")
    ]
    orphans = (
        StockMovement.objects.exclude(
            Exists(StockLevel.objects.filter(lease=OuterRef("lease"), product=OuterRef("product")))
        )
        .order_by()
        .values_list("lease_id", "product_id")
        .distinct()
    )
    problems += [
        Problem("stock", f"lease {lease} product {product}", "has movements but no stock level")
        for lease, product in orphans
    ]
    return f"{StockLevel.objects.count()} stock levels against {StockMovement.objects.count()} movements", problems

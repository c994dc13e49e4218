"""Outbound orders: the exporter orders goods out of a lease; the owner accepts (holding the stock) or refuses,
picks, ships and marks it delivered; the exporter may cancel before it ships.

The same services (``inventory.services.orders``) and rules as the order pages. An order is found through
the caller's organisation (``api.selectors.orders_visible``: the lease's exporter and its warehouse's owner),
so anyone else gets a 404. Which side may take a step is the rules' decision (``inventory.rules.order_step``,
403 ``not_allowed`` or 409), never re-decided here; ``actions`` lists the steps ``order_allowed`` offers."""

from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from inventory import rules, services
from inventory.models import OrderEvent, OutboundOrder, Product

from ..filters import OrderFilter
from ..idempotency import idempotent
from ..pagination import cursor_by
from ..schema import READ, WRITE, errors
from ..selectors import orders_visible
from ..serializers.inventory import (
    OrderCreateSerializer,
    OrderDetailSerializer,
    OrderSerializer,
    RefuseSerializer,
    ShipSerializer,
)
from .base import ApiView
from .leasing import OBJECT_READ, LeaseViewBase
from .warehouses import IDEMPOTENCY


def _detail(view: ApiView, pk: int, *, status: int = 200) -> Response:
    """The order as ``GET /orders/{id}/`` answers it: with its timeline."""
    timeline = Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "pk"))
    order = orders_visible(organisation=view.organisation).prefetch_related(timeline).get(pk=pk)
    return view.show(OrderDetailSerializer, order, status=status)


class OrderViewBase(ApiView):
    queryset: QuerySet[Any] = OutboundOrder.objects.none()

    def orders(self) -> QuerySet[OutboundOrder]:
        return orders_visible(organisation=self.organisation)

    def _order(self, pk: int) -> OutboundOrder:
        return get_object_or_404(self.orders(), pk=pk)

    def _show(self, pk: int) -> Response:
        return _detail(self, pk)


class OrderListView(OrderViewBase):
    filterset_class = OrderFilter
    pagination_class = cursor_by("-created_at", "-pk")

    @extend_schema(
        summary="Outbound orders",
        description="As an exporter, your orders; as an owner, the orders on leases at your warehouses; newest "
        "first. Open orders waiting for the owner: `?status=requested`; `?side=owner|exporter`.",
        responses={200: OrderSerializer(many=True), **errors(400, *READ)},
        tags=["outbound orders"],
    )
    def get(self, request: Request) -> Response:
        return self.page(self.orders(), OrderSerializer)


class LeaseOrderListView(LeaseViewBase):
    pagination_class = cursor_by("-created_at", "-pk")
    queryset: QuerySet[Any] = OutboundOrder.objects.none()

    @extend_schema(
        summary="A lease's outbound orders",
        responses={200: OrderSerializer(many=True), **errors(400, *OBJECT_READ)},
        tags=["outbound orders"],
    )
    def get(self, request: Request, pk: int) -> Response:
        lease = self._lease(pk)
        return self.page(orders_visible(organisation=self.organisation).filter(lease=lease), OrderSerializer)

    @extend_schema(
        summary="Order goods out of a lease (exporter)",
        description="`ship` sends `lines` (SKU and units, at most what is available) to the consignee; `pickup` "
        "hands them to your carrier; `removal` takes everything on hand (no `lines`). The owner is asked to "
        "accept, which holds the stock. A SKU you do not have is 400 `invalid` (`fields.lines`); more units "
        "than are available is 409 `insufficient_stock`.",
        request=OrderCreateSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: OrderDetailSerializer, **errors(*WRITE)},
        tags=["outbound orders"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        lease = self._lease(pk)
        rules.order_create_allowed(lease, self.organisation.pk).require()
        data = self.valid(OrderCreateSerializer)
        wanted = [(line["sku"], line["quantity"]) for line in data.pop("lines")]
        products = {
            product.sku: product
            for product in Product.objects.filter(organisation=self.organisation, sku__in=[sku for sku, _q in wanted])
        }
        unknown = [sku for sku, _q in wanted if sku not in products]
        if unknown:
            message = _("No product with the SKU %(sku)s: add it first (POST /products/).")
            raise serializers.ValidationError({"lines": [message % {"sku": sku} for sku in unknown]})
        lines = [(products[sku], quantity) for sku, quantity in wanted]
        order = services.order_create(lease=lease, by=request.user, lines=lines, **data)
        return _detail(self, order.pk, status=201)


class OrderDetailView(OrderViewBase):
    @extend_schema(
        summary="An outbound order",
        description="With its lines, tracking (`carrier`, `tracking_number` once shipped), timeline (`events`) "
        "and `actions`: the steps your side may take now.",
        responses={200: OrderDetailSerializer, **errors(*OBJECT_READ)},
        tags=["outbound orders"],
    )
    def get(self, request: Request, pk: int) -> Response:
        self._order(pk)
        return self._show(pk)


Step = Callable[[OutboundOrder, Any, dict[str, Any]], object]


def _order_step(summary: str, description: str, step: Step, request_serializer: Any = None) -> type[OrderViewBase]:
    """A POST endpoint that runs one order service and answers with the order."""

    class OrderStep(OrderViewBase):
        @extend_schema(
            summary=summary,
            description=description,
            request=request_serializer,
            parameters=[IDEMPOTENCY],
            responses={200: OrderDetailSerializer, **errors(*WRITE)},
            tags=["outbound orders"],
        )
        @idempotent
        def post(self, request: Request, pk: int) -> Response:
            order = self._order(pk)
            data = self.valid(request_serializer) if request_serializer else {}
            step(order, request.user, data)
            return self._show(pk)

    return OrderStep


OrderCancelView = _order_step(
    "Cancel an outbound order (exporter)",
    "Before it ships; stock held for it is freed.",
    lambda order, by, data: services.order_cancel(order=order, by=by),
)
OrderAcceptView = _order_step(
    "Accept an outbound order (owner)",
    "Holds the stock of every line (409 `insufficient_stock` if it is no longer available).",
    lambda order, by, data: services.order_accept(order=order, by=by),
)
OrderRefuseView = _order_step(
    "Refuse an outbound order (owner)",
    "With a reason the exporter reads; stock held for it is freed.",
    lambda order, by, data: services.order_refuse(order=order, by=by, reason=data["reason"]),
    RefuseSerializer,
)
OrderPickView = _order_step(
    "Mark an outbound order picked (owner)",
    "The goods are picked and packed.",
    lambda order, by, data: services.order_pick(order=order, by=by),
)
OrderShipView = _order_step(
    "Ship an outbound order (owner)",
    "With the carrier and tracking number: the goods leave the stock (`shipped` movements).",
    lambda order, by, data: services.order_ship(
        order=order, by=by, carrier=data["carrier"], tracking_number=data["tracking_number"]
    ),
    ShipSerializer,
)
OrderDeliverView = _order_step(
    "Mark an outbound order delivered (owner)",
    "The consignee (or the carrier, for a pick-up) has the goods.",
    lambda order, by, data: services.order_deliver(order=order, by=by),
)

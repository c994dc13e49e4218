"""Receipts from check-ins, adjustments by the owner, moves between leases."""

import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from inventory import services
from inventory.choices import MovementKind
from inventory.exceptions import InsufficientStock, InvalidAdjustment, InvalidMove
from inventory.models import AdjustmentPhoto, Product, StockLevel, StockMovement
from inventory.notifications import MESSAGES
from leasing import services as leasing_services
from leasing.choices import LeaseState
from leasing.exceptions import InvalidShipment, NotAllowed
from leasing.models import CheckInLine
from tests.leasing.factories import Parties
from tests.warehouses.factories import ListingFactory
from trust.models import AuditLogEntry

from .factories import lease_with_goods, level, product

pytestmark = pytest.mark.django_db


def png(name="crate.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "orange").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def arrived(p, lines):
    lease = p.lease_in(LeaseState.FUNDED)
    shipment = leasing_services.shipment_announce(
        lease=lease, by=p.exporter, carrier="Maersk", tracking_number="M1", eta=lease.start, lines=lines,
        customs_reference="MRN-1",
    )  # fmt: skip
    for status in ("in_transit", "arrived"):
        leasing_services.shipment_mark(shipment=shipment, by=p.owner, status=status)
    return lease, shipment


def test_a_check_in_writes_received_and_damaged_movements(p):
    lease, shipment = arrived(
        p,
        [
            leasing_services.DeclaredLine(description="Folding chairs", quantity=40, sku="ch-1"),
            leasing_services.DeclaredLine(description="Garden  parasols", quantity=5),
        ],
    )
    services.product_create(organisation=p.exporter_org, by=p.exporter, sku="CH-1", description="Chairs")
    chairs_line, parasols_line = shipment.lines.all()
    leasing_services.checkin_record(
        shipment=shipment,
        by=p.owner,
        received={chairs_line.pk: 42, parasols_line.pk: 5},
        damaged={chairs_line.pk: 3},
    )
    chairs = Product.objects.get(organisation=p.exporter_org, sku="CH-1")  # matched without case
    parasols = Product.objects.get(organisation=p.exporter_org, sku=services.sku_for_description("garden parasols"))
    assert parasols.sku.startswith("GARDEN-PARASOLS-")
    assert StockLevel.objects.get(lease=lease, product=chairs).on_hand == 39
    assert StockLevel.objects.get(lease=lease, product=parasols).on_hand == 5
    kinds = sorted(StockMovement.objects.filter(lease=lease, product=chairs).values_list("kind", "quantity"))
    assert kinds == [(MovementKind.DAMAGED, -3), (MovementKind.RECEIVED, 42)]
    line = CheckInLine.objects.get(line=chairs_line)
    assert (line.damaged_quantity, line.difference) == (3, 2)  # over by 2 against the declaration


def test_damaged_units_beyond_those_received_are_refused(p):
    lease, shipment = arrived(p, [leasing_services.DeclaredLine(description="Chairs", quantity=4, sku="CH-9")])
    line = shipment.lines.get()
    with pytest.raises(InvalidShipment, match="Damaged units"):
        leasing_services.checkin_record(shipment=shipment, by=p.owner, received={line.pk: 2}, damaged={line.pk: 3})
    assert not StockMovement.objects.filter(lease=lease).exists()


def test_an_adjustment_is_recorded_audited_and_told_to_the_exporter(p, django_capture_on_commit_callbacks):
    lease = lease_with_goods(p)
    chairs = product(lease, "CH-1")
    with django_capture_on_commit_callbacks(execute=True):
        movement = services.stock_adjust(
            lease=lease, product=chairs, by=p.owner, kind="damaged", quantity=2, reason="Crushed by a forklift",
            photos=[png(), png("b.png")],
        )  # fmt: skip
    assert (movement.quantity, movement.kind, level(lease, "CH-1").on_hand) == (-2, "damaged", 38)
    assert AdjustmentPhoto.objects.filter(movement=movement).count() == 2
    entry = AuditLogEntry.objects.get(action="stock.damaged")
    assert entry.after["reason"] == "Crushed by a forklift"
    message = mail.outbox[-1]
    assert "The owner adjusted your stock" in message.subject
    assert f"/leases/{lease.pk}/" in message.body
    assert "open a dispute" in message.body
    services.stock_adjust(lease=lease, product=chairs, by=p.owner, kind="found", quantity=5, reason="Recount")
    assert level(lease, "CH-1").on_hand == 43


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"reason": " "}, InvalidAdjustment, "reason"),
        ({"quantity": 0}, InvalidAdjustment, "1 or more"),
        ({"quantity": -2}, InvalidAdjustment, "1 or more"),
        ({"kind": "stolen"}, InvalidAdjustment, "found, lost or damaged"),
        ({"quantity": 41}, InsufficientStock, "Only 40 units"),
        (
            {"photos": [SimpleUploadedFile("x.png", b"not an image", content_type="image/png")]},
            InvalidAdjustment,
            "x.png",
        ),
        ({"photos": [png(f"{n}.png") for n in range(11)]}, InvalidAdjustment, "at most 10"),
    ],
)
def test_bad_adjustments_write_nothing(p, changes, error, message):
    lease = lease_with_goods(p)
    data = {"kind": "lost", "quantity": 1, "reason": "Missing", **changes}
    before = StockMovement.objects.count()
    with pytest.raises(error, match=message):
        services.stock_adjust(lease=lease, product=product(lease, "CH-1"), by=p.owner, **data)
    assert StockMovement.objects.count() == before
    assert not AuditLogEntry.objects.filter(action__startswith="stock.").exists()


def test_only_the_owner_adjusts_and_only_the_exporters_products(p):
    lease = lease_with_goods(p)
    with pytest.raises(NotAllowed):
        services.stock_adjust(
            lease=lease, product=product(lease, "CH-1"), by=p.exporter, kind="lost", quantity=1, reason="x"
        )
    other = Parties(listing=p.listing)
    foreign = services.product_create(organisation=other.exporter_org, by=other.exporter, sku="Z", description="Z")
    with pytest.raises(InvalidAdjustment, match="Unknown product"):
        services.stock_adjust(lease=lease, product=foreign, by=p.owner, kind="found", quantity=1, reason="x")


def test_held_units_cannot_be_written_off(p):
    lease = lease_with_goods(p)
    tables = product(lease, "TB-1")
    order = services.order_create(lease=lease, by=p.exporter, kind="pickup", lines=[(tables, 8)])
    services.order_accept(order=order, by=p.owner)
    with pytest.raises(InsufficientStock, match="Only 2 units of TB-1 are available"):
        services.stock_adjust(lease=lease, product=tables, by=p.owner, kind="lost", quantity=3, reason="x")


def test_goods_move_between_leases_at_one_warehouse(p):
    first = lease_with_goods(p)
    second = p.lease_in(LeaseState.FUNDED)
    chairs, tables = product(first, "CH-1"), product(first, "TB-1")
    moved = services.stock_move(
        from_lease=first, to_lease=second, quantities={chairs.pk: 30, tables.pk: 10}, by=None, kind_reason="Extension"
    )
    assert [(m.lease_id, m.kind, m.quantity) for m in moved] == [
        (first.pk, "moved_out", -30),
        (second.pk, "moved_in", 30),
        (first.pk, "moved_out", -10),
        (second.pk, "moved_in", 10),
    ]
    assert (level(first, "CH-1").on_hand, level(second, "CH-1").on_hand, level(second, "TB-1").on_hand) == (10, 30, 10)
    before = StockMovement.objects.count()
    with pytest.raises(InsufficientStock):
        services.stock_move(
            from_lease=first, to_lease=second, quantities={chairs.pk: 5, tables.pk: 1}, by=None, kind_reason="x"
        )
    with pytest.raises(InvalidMove, match="1 or more"):
        services.stock_move(from_lease=first, to_lease=second, quantities={chairs.pk: 0}, by=None, kind_reason="x")
    elsewhere = Parties(listing=ListingFactory()).lease_in(LeaseState.FUNDED)
    with pytest.raises(InvalidMove, match="same warehouse"):
        services.stock_move(from_lease=first, to_lease=elsewhere, quantities={chairs.pk: 1}, by=None, kind_reason="x")
    assert StockMovement.objects.count() == before


def test_every_message_has_a_chinese_subject_and_text():
    with translation.override("zh-hans"):
        untranslated = [
            step for step, (_who, subject, text) in MESSAGES.items() if str(subject).isascii() or str(text).isascii()
        ]
    assert untranslated == []


def test_goods_moved_to_another_exporters_lease_become_its_product(p):
    first = lease_with_goods(p)
    receiver = Parties(listing=p.listing)
    their_lease = receiver.lease_in(LeaseState.FUNDED)
    chairs = product(first, "CH-1")
    moved = services.stock_move(
        from_lease=first, to_lease=their_lease, quantities={chairs.pk: 10}, by=None, kind_reason="Transfer"
    )
    theirs = moved[1].product
    assert (theirs.organisation, theirs.sku, theirs.description) == (receiver.exporter_org, "CH-1", chairs.description)
    assert StockLevel.objects.get(lease=their_lease, product=theirs).on_hand == 10
    order = services.order_create(lease=their_lease, by=receiver.exporter, kind="pickup", lines=[(theirs, 10)])
    assert order.lines.get().product == theirs

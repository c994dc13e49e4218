"""Transfers carry the stock: the offer's lines, the move at completion, REMOVE transfers refused while goods remain."""

import pytest

from inventory.choices import MovementKind
from inventory.models import StockMovement
from leasing import services, transfers
from leasing.choices import LeaseState as S
from leasing.choices import TransferGoods, TransferState
from leasing.exceptions import InvalidTransfer
from leasing.models import LeaseTransfer
from tests.helpers import login, url
from tests.inventory.lifecycle_helpers import put, removal_shipped, stock
from tests.leasing.factories import Parties
from tests.leasing.test_flex import receiver_of
from tests.warehouses.factories import days_from_now

pytestmark = pytest.mark.django_db


def _long_active(quantity: int = 4):
    p = Parties(capacity=10, transfers_need_consent=False)
    lease = p.lease_in(S.ACTIVE, start=days_from_now(1), end=days_from_now(90), quantity=quantity)
    return p, lease


def _offer(p, lease, quantity: int, **kwargs) -> LeaseTransfer:
    start = transfers.transfer_earliest(lease)
    price = transfers.transfer_value(lease, quantity=quantity, start=start).value
    return transfers.transfer_offer(lease=lease, by=p.exporter, quantity=quantity, start=start, price=price, **kwargs)


def _take_and_pay(transfer: LeaseTransfer):
    organisation, user = receiver_of(None)
    transfer = transfers.transfer_accept(transfer=transfer, by=user, organisation=organisation)
    assert transfer.state == TransferState.APPROVED  # the listing allows it, at escrow's value
    services.lease_pay(lease=transfer.new_lease, by=user, payment_method="pm_card_visa")
    transfer.refresh_from_db()
    return transfer, user


def test_a_whole_transfer_offers_and_carries_all_the_stock_to_the_receiver(client):
    p, lease = _long_active()
    put(lease, "SOFA-1", 10)
    put(lease, "LAMP-2", 3)
    before = stock(lease)

    transfer = _offer(p, lease, 4)
    lines = {line.product.sku: line.quantity for line in transfer.stock_lines.select_related("product")}
    assert lines == before  # the whole lease: everything on hand

    login(client, p.exporter)
    page = client.get(url("leasing:transfer_detail", transfer.pk)).content.decode()
    assert "SOFA-1" in page
    assert "LAMP-2" in page
    assert "Goods carried" in page

    transfer, _receiver = _take_and_pay(transfer)
    assert transfer.state == TransferState.COMPLETED
    lease.refresh_from_db()
    assert lease.state == S.TRANSFERRED
    assert stock(lease) == {}
    new_lease = transfer.new_lease
    assert stock(new_lease) == before
    # The receiver's own SKUs, in its organisation.
    assert {level.product.organisation_id for level in new_lease.stock_levels.all()} == {new_lease.exporter_id}
    out = StockMovement.objects.filter(lease=lease, kind=MovementKind.MOVED_OUT, transfer=transfer)
    into = StockMovement.objects.filter(lease=new_lease, kind=MovementKind.MOVED_IN, transfer=transfer)
    assert sum(m.quantity for m in out) == -sum(before.values()) == -sum(m.quantity for m in into)
    assert all(m.other_lease_id == new_lease.pk for m in out)
    assert all(line.moved == line.quantity for line in transfer.stock_lines.all())


def test_a_partial_transfer_carries_the_proportional_share_rounded_down_and_what_is_left_if_less():
    p, lease = _long_active(quantity=4)
    put(lease, "SOFA-1", 10)
    put(lease, "LAMP-2", 3)
    before = stock(lease)

    transfer = _offer(p, lease, 1)  # 1 of 4 units
    lines = {line.product.sku: line.quantity for line in transfer.stock_lines.select_related("product")}
    assert lines == {sku: units // 4 for sku, units in before.items() if units // 4}
    assert lines["SOFA-1"] == before["SOFA-1"] // 4
    assert "LAMP-2" not in lines or lines["LAMP-2"] == before["LAMP-2"] // 4

    # Before the receiver pays, some of the offered SKU leaves: only what is there moves.
    offered = lines["SOFA-1"]
    put(lease, "SOFA-1", -(before["SOFA-1"] - 1))
    transfer, _ = _take_and_pay(transfer)
    assert transfer.state == TransferState.COMPLETED
    sofa = transfer.stock_lines.get(product__sku="SOFA-1")
    assert (sofa.quantity, sofa.moved) == (offered, 1)
    assert stock(transfer.new_lease)["SOFA-1"] == 1
    lease.refresh_from_db()
    assert lease.state == S.ACTIVE  # it keeps 3 units
    assert "SOFA-1" not in stock(lease)
    assert any("less was on hand than offered" in event.note for event in lease.events.all())


def test_a_remove_transfer_is_refused_while_goods_remain_and_completes_once_they_left():
    p, lease = _long_active()
    put(lease, "SOFA-1", 5)
    transfer = _offer(p, lease, 4, goods=TransferGoods.REMOVE)
    assert transfer.goods == TransferGoods.REMOVE
    organisation, user = receiver_of(None)
    transfer = transfers.transfer_accept(transfer=transfer, by=user, organisation=organisation)

    with pytest.raises(InvalidTransfer) as refused:
        services.lease_pay(lease=transfer.new_lease, by=user, payment_method="pm_card_visa")
    assert refused.value.code == "goods_remain"
    transfer.new_lease.refresh_from_db()
    assert transfer.new_lease.state == S.ACCEPTED  # nothing charged
    assert not transfer.new_lease.escrow.payments.exists()

    removal_shipped(lease, p.exporter, p.owner)
    services.lease_pay(lease=transfer.new_lease, by=user, payment_method="pm_card_visa")
    transfer.refresh_from_db()
    assert transfer.state == TransferState.COMPLETED
    assert stock(transfer.new_lease) == {}


def test_the_named_receiver_sees_the_goods_offered_and_a_stranger_gets_404(client):
    p, lease = _long_active()
    put(lease, "SOFA-1", 8)
    organisation, user = receiver_of(None)
    transfer = _offer(p, lease, 2, to_organisation=organisation)
    login(client, user)
    page = client.get(url("leasing:transfer_detail", transfer.pk)).content.decode()
    assert "SOFA-1" in page
    assert "Goods carried" in page
    _, stranger = receiver_of(None)
    login(client, stranger)
    assert client.get(url("leasing:transfer_detail", transfer.pk)).status_code == 404

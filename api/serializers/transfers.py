"""Lease transfers: an exporter hands on the rest of a lease to another exporter (``leasing.transfers``)."""

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leasing import rules
from leasing.choices import TransferGoods, TransferState
from leasing.models import LeaseTransfer
from leasing.selectors import OFFERER, OWNER, RECEIVER, transfer_detail_get

from .common import OrganisationRefSerializer, QuerySerializer
from .warehouses import MAX_UNITS

MAX_ID = 2**63 - 1
ROLES = [OFFERER, OWNER, RECEIVER]
KEY_LENGTH = 43  # LeaseTransfer.token


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


class TransferSerializer(serializers.ModelSerializer):
    """A transfer offer as your organisation sees it, with the steps your side may take now."""

    lease = serializers.IntegerField(source="lease_id", read_only=True, help_text="The lease handed on.")
    role = serializers.SerializerMethodField(
        help_text="Your part: the offering exporter (`offerer`), the warehouse `owner`, or the (possible) `receiver`."
    )
    state = serializers.ChoiceField(choices=TransferState.choices, read_only=True)
    to_organisation = OrganisationRefSerializer(
        read_only=True, allow_null=True, help_text="The exporter it is offered to; null: an open offer (by its `key`)."
    )
    receiver = OrganisationRefSerializer(read_only=True, allow_null=True, help_text="The exporter that took it.")
    end = serializers.DateField(source="lease.end", read_only=True, help_text="The last day: the lease's end.")
    goods = serializers.ChoiceField(choices=TransferGoods.choices, read_only=True)
    new_lease = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The receiver's own lease (origin `transfer`), once approved: the receiver pays it to complete.",
    )
    value = _money(
        read_only=True,
        allow_null=True,
        help_text="Handed back before the fee: the share of escrow for days it still holds, and what the "
        "receiver's price pays back for days already paid out. Set when offered (each step checks it again; an "
        "offer whose figures changed lapses), final on completion. Null on offers made before these were kept.",
    )
    refund = _money(read_only=True, allow_null=True, help_text="Refunded to the offering exporter: `value` less `fee`.")
    fee = _money(read_only=True, allow_null=True, help_text="The platform's transfer fee.")
    key = serializers.SerializerMethodField(
        help_text="An open offer's key, shown to the offering exporter while it is open to anyone: pass it on; "
        "another exporter reads the offer with `?key=` and takes it with `key`. Null otherwise."
    )
    actions = serializers.SerializerMethodField(help_text="The transfer steps your organisation may take now.")

    class Meta:
        model = LeaseTransfer
        fields = [
            "id",
            "lease",
            "role",
            "state",
            "to_organisation",
            "receiver",
            "quantity",
            "start",
            "end",
            "price",
            "currency",
            "goods",
            "message",
            "decline_reason",
            "new_lease",
            "value",
            "refund",
            "fee",
            "key",
            "actions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _organisation(self) -> Any:
        return self.context["request"].organisation

    @extend_schema_field(serializers.ChoiceField(choices=ROLES))
    def get_role(self, transfer: LeaseTransfer) -> str:
        organisation_id = self._organisation().pk
        if organisation_id == transfer.lease.exporter_id:
            return OFFERER
        return OWNER if organisation_id == transfer.lease.listing.warehouse.organisation_id else RECEIVER

    @extend_schema_field({"type": "string", "nullable": True, "maxLength": KEY_LENGTH})
    def get_key(self, transfer: LeaseTransfer) -> str | None:
        shown = transfer.state == TransferState.OFFERED and transfer.to_organisation_id is None
        return transfer.token if shown and self.get_role(transfer) == OFFERER else None

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=list(rules.TRANSFER_ACTIONS))))
    def get_actions(self, transfer: LeaseTransfer) -> list[str]:
        organisation = self._organisation()
        return rules.transfer_allowed(transfer, organisation.pk, is_exporter=organisation.is_exporter)


class TransferValueSerializer(serializers.Serializer):
    currency = serializers.CharField()
    held = _money(help_text="What escrow still holds for the part handed on: it goes back to the offering exporter.")
    paid = _money(
        help_text="What the offering exporter paid for days of the part already paid out to the owner "
        "(the owner keeps it)."
    )
    carry = _money(
        help_text="What the receiver's price pays the offering exporter back for those days: `paid`, or the "
        "price if lower."
    )
    cost = _money(help_text="What the offering exporter paid for the part: `held` + `paid` (the suggested price).")
    value = _money(help_text="Handed back before the fee: `held` + `carry`.")
    fee = _money(help_text="The platform's transfer fee.")
    refund = _money(help_text="Refunded to the offering exporter: `value` less `fee`.")


def transfer_value_data(value: Any) -> dict[str, Any]:
    """A ``leasing.transfers.TransferValue`` as ``TransferValueSerializer`` data."""
    fields = ("held", "paid", "carry", "cost", "value", "fee", "refund")
    return TransferValueSerializer({"currency": value.currency} | {name: getattr(value, name) for name in fields}).data


class TransferDetailSerializer(TransferSerializer):
    """One transfer, with what it hands back now while it is open (to the offering exporter and the owner)."""

    estimate = serializers.SerializerMethodField(
        help_text="While open, for the offering exporter and the owner: what completing it now would refund "
        "(worked out again when the receiver pays). Null otherwise, or when the terms no longer hold."
    )
    estimate_problem = serializers.SerializerMethodField(
        help_text="Why the terms no longer hold (the transfer would lapse on payment); empty otherwise."
    )

    class Meta(TransferSerializer.Meta):
        fields = [*TransferSerializer.Meta.fields, "estimate", "estimate_problem"]
        read_only_fields = fields

    def _detail(self, transfer: LeaseTransfer) -> Any:
        cache = self.context.setdefault("transfer_details", {})
        if transfer.pk not in cache:
            cache[transfer.pk] = transfer_detail_get(transfer=transfer, organisation=self._organisation())
        return cache[transfer.pk]

    @extend_schema_field(TransferValueSerializer(allow_null=True))
    def get_estimate(self, transfer: LeaseTransfer) -> dict[str, Any] | None:
        value = self._detail(transfer).value
        if value is None:
            return None
        return transfer_value_data(value)

    def get_estimate_problem(self, transfer: LeaseTransfer) -> str:
        return str(self._detail(transfer).value_problem)


class TransferOfferSerializer(serializers.Serializer):
    """What the transfer page's offer form takes (``leasing.forms.TransferForm``)."""

    to_organisation = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="The id of the verified exporter organisation to offer it to (`GET …/transfer-quote/` lists "
        "them). Omit or null: an open offer, taken by any verified exporter you give its `key`.",
    )
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_UNITS, help_text="Units to hand on.")
    start = serializers.DateField(help_text="The first day handed on: from `earliest` to the lease's end.")
    price = _money(
        min_value=Decimal("0.01"),
        help_text="What the receiver pays into escrow for its own lease, in the lease's currency: at least 0.01.",
    )
    goods = serializers.ChoiceField(
        choices=TransferGoods.choices,
        default=TransferGoods.CARRY,
        help_text="Whether the goods stay and move with the lease; always `remove` while nothing is checked in.",
    )
    message = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text="To the receiver."
    )


class TransferAcceptSerializer(serializers.Serializer):
    key = serializers.CharField(
        max_length=KEY_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="An open offer's key (from the offering exporter); not needed for an offer made to you.",
    )


class TransferConsentSerializer(serializers.Serializer):
    """What the transfer page's consent form takes (``leasing.forms.TransferConsentForm``)."""

    decision = serializers.ChoiceField(choices=[("approve", "Approve"), ("refuse", "Refuse")])
    reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why you refuse (both exporters read it); required to refuse: `invalid_transfer` otherwise.",
    )


class TransferKeySerializer(serializers.Serializer):
    key = serializers.CharField(
        max_length=KEY_LENGTH, required=False, allow_blank=True, default="", help_text="An open offer's key."
    )


class TransferQuoteQuerySerializer(QuerySerializer):
    quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_UNITS, required=False, help_text="Units (default: all held from `start`)."
    )
    start = serializers.DateField(required=False, help_text="The first day (default: the earliest).")
    price = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="The price the receiver would pay (default: `cost`, what the days cost the offering exporter). "
        "A price below what was paid for days already paid out lowers what comes back for them.",
    )


class TransferQuoteSerializer(serializers.Serializer):
    """What the offer form shows: whether you may offer, the terms allowed, and what comes back."""

    allowed = serializers.BooleanField(help_text="Whether your side may offer a transfer of this lease now.")
    code = serializers.CharField(help_text="The error code offering now would answer with; empty if allowed.")
    reason = serializers.CharField(help_text="Why not, when `allowed` is false; empty otherwise.")
    earliest = serializers.DateField(
        help_text="The first day a transfer may start: today at the warehouse, or the lease's first day (days already "
        "paid out to the owner can be handed on too)."
    )
    end = serializers.DateField(help_text="The lease's last day: a transfer runs to it.")
    held = serializers.IntegerField(help_text="Units the lease holds on `earliest`: at most this many.")
    quantity = serializers.IntegerField(help_text="The units priced.")
    start = serializers.DateField(help_text="The first day priced.")
    fee_percent = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="The platform's transfer fee.")
    value = TransferValueSerializer(allow_null=True, help_text="What these terms hand back; null if not allowed.")
    problem = serializers.CharField(help_text="Why these terms are not allowed; empty if they are.")
    receivers = OrganisationRefSerializer(
        many=True, help_text="The exporters it may be offered to (empty unless `allowed`)."
    )

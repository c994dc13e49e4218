from rest_framework import serializers

from escrow.models import LedgerEntry, Payout, PayoutAccount, Posting, Refund

from .leasing import PaymentSerializer


class PayoutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payout
        fields = ["id", "sequence", "amount", "currency", "status", "created_at", "paid_at"]
        read_only_fields = fields


class OwnerPayoutSerializer(serializers.ModelSerializer):
    """One of the owner's payouts, with how it is paid (``rail``) and, for a bank transfer, what staff recorded."""

    lease = serializers.IntegerField(source="escrow.lease_id", read_only=True)

    class Meta:
        model = Payout
        fields = [
            "id",
            "lease",
            "sequence",
            "amount",
            "currency",
            "rail",
            "status",
            "bank_reference",
            "bank_transferred_on",
            "created_at",
            "paid_at",
        ]
        read_only_fields = fields


class PayoutAccountSerializer(serializers.ModelSerializer):
    """Where the organisation is paid: the country, the rail, and Stripe's service agreement."""

    country = serializers.CharField(source="country.code", read_only=True)
    bank_country = serializers.CharField(source="bank_country.code", read_only=True)
    account_last4 = serializers.CharField(source="iban_last4", read_only=True)
    requirements = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="What the processor still needs."
    )

    class Meta:
        model = PayoutAccount
        fields = [
            "country",
            "rail",
            "gateway",
            "service_agreement",
            "payouts_enabled",
            "requirements",
            "holder_name",
            "account_last4",
            "swift_bic",
            "bank_country",
            "updated_at",
        ]
        read_only_fields = fields


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "amount", "currency", "reason", "status", "created_at"]
        read_only_fields = fields


class LedgerEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = LedgerEntry
        fields = ["account", "amount"]
        read_only_fields = fields


class PostingSerializer(serializers.ModelSerializer):
    entries = LedgerEntrySerializer(many=True, read_only=True)

    class Meta:
        model = Posting
        fields = ["id", "description", "currency", "entries", "created_at"]
        read_only_fields = fields


class EscrowSerializer(serializers.Serializer):
    lease = serializers.IntegerField()
    currency = serializers.CharField()
    frozen = serializers.BooleanField(help_text="No release while a card dispute is open.")
    held = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="What the escrow holds now.")
    payments = PaymentSerializer(many=True)
    payouts = PayoutSerializer(many=True)
    refunds = RefundSerializer(many=True)
    postings = PostingSerializer(many=True, help_text="The ledger postings of this escrow, oldest first.")

from rest_framework import serializers

from escrow.models import LedgerEntry, Payout, Posting, Refund

from .leasing import PaymentSerializer


class PayoutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payout
        fields = ["id", "sequence", "amount", "currency", "status", "created_at", "paid_at"]
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

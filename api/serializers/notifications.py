"""What Wareshare told a person (the in-app copy of each email)."""

from rest_framework import serializers

from notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "path", "created_at", "read_at"]
        read_only_fields = fields

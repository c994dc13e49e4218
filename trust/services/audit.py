"""The audit log: every staff action (and the system's expiries) appends one entry, in the same
transaction as the action it records."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import models

from accounts.models import User

from ..models import AuditLogEntry


def audit_snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """``fields`` of ``obj`` as JSON-friendly values (anything else as its text), for before/after."""
    data: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        data[name] = value if isinstance(value, str | int | bool | Decimal | datetime | None) else str(value)
    return data


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Append one audit entry (call inside the transaction of the action it records)."""
    return AuditLogEntry.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
    )

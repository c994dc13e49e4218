from typing import Any

from django.db import models


def money_field(**kwargs: Any) -> models.DecimalField:
    """An amount of money: Decimal with 2 places (the currency lives in a sibling field)."""
    return models.DecimalField(max_digits=14, decimal_places=2, **kwargs)

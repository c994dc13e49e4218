from datetime import datetime, timedelta
from decimal import Decimal

from django import template
from django.utils import timezone

register = template.Library()

# A queue item older than this is overdue (staff aim to decide within a working day or two).
OVERDUE = timedelta(days=2)


@register.filter
def absolute(amount: Decimal) -> Decimal:
    """``{{ entry.amount|absolute }}``: a ledger credit (negative) shown as a positive amount."""
    return abs(amount)


@register.filter
def age_tone(moment: datetime) -> str:
    """The badge class for how long a queue item has waited."""
    return "badge-bad" if timezone.now() - moment > OVERDUE else "badge-warn"


@register.simple_tag(takes_context=True)
def page_query(context: template.Context, param: str, number: int) -> str:
    """``?…&<param>=<number>``: the current query string with one page number changed."""
    query = context["request"].GET.copy()
    query[param] = str(number)
    return "?" + query.urlencode()

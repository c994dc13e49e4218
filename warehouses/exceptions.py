from collections.abc import Iterable
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.exceptions import ApplicationError


def _days(days: Iterable[date], limit: int = 10) -> str:
    days = sorted(days)
    shown = ", ".join(d.isoformat() for d in days[:limit])
    if len(days) <= limit:
        return shown
    more = len(days) - limit
    return ngettext("%(days)s and %(count)s more", "%(days)s and %(count)s more", more) % {"days": shown, "count": more}


class CapacityUnavailable(ApplicationError):
    code = "capacity_unavailable"
    status = 409

    def __init__(self, detail: str = "", *, days: Iterable[date] = ()) -> None:
        self.days = sorted(days)
        super().__init__(detail or _("Not enough free capacity on %(days)s.") % {"days": _days(self.days)})


class CapacityBelowReserved(ApplicationError):
    code = "capacity_below_reserved"
    status = 409

    def __init__(self, *, days: Iterable[date]) -> None:
        self.days = sorted(days)
        super().__init__(
            _("Capacity cannot go below what is already reserved on %(days)s. Choose other dates or a higher capacity.")
            % {"days": _days(self.days)}
        )


class InvalidDates(ApplicationError):
    code = "invalid_dates"


class ListingNotBookable(ApplicationError):
    code = "listing_not_bookable"
    status = 409


class InvalidListingTransition(ApplicationError):
    code = "invalid_listing_transition"
    status = 409


class NotAnOwner(ApplicationError):
    code = "not_an_owner"
    status = 403

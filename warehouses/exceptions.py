from collections.abc import Iterable
from datetime import date

from common.exceptions import ApplicationError


def _days(days: Iterable[date], limit: int = 10) -> str:
    days = sorted(days)
    shown = ", ".join(d.isoformat() for d in days[:limit])
    return shown + (f" and {len(days) - limit} more" if len(days) > limit else "")


class CapacityUnavailable(ApplicationError):
    code = "capacity_unavailable"
    status = 409

    def __init__(self, detail: str = "", *, days: Iterable[date] = ()) -> None:
        self.days = sorted(days)
        super().__init__(detail or f"Not enough free capacity on {_days(self.days)}.")


class CapacityBelowReserved(ApplicationError):
    code = "capacity_below_reserved"
    status = 409

    def __init__(self, *, days: Iterable[date]) -> None:
        self.days = sorted(days)
        super().__init__(
            f"Capacity cannot go below what is already reserved on {_days(self.days)}. "
            "Choose other dates or a higher capacity."
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

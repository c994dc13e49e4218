"""The credit rating's factors in the reader's language.

A stored factor (``CreditRating.factors``) keeps the facts it was computed from, so the profile can
explain it in the active language (``CreditRating.factors_shown``); the English label and detail
stay as stored text. Only text here: the models read it, and ``trust.rating`` writes the facts.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

FACTOR_FACTS: dict[str, tuple[str, ...]] = {
    "verification": ("verified",),
    "completed": ("completed",),
    "disputes": ("disputes_lost",),
    "cancellations": ("no_shows", "unanswered", "owner_cancellations"),
    "checkins": ("late_checkins", "short_shipments"),
    "reviews": ("reviews", "review_stars"),
    "blacklist": ("blacklisted",),
}


def _join(parts: list[str]) -> str:
    return pgettext("separator between the parts of a rating factor", "; ").join(parts)


def factor_text(key: str, facts: dict[str, int]) -> tuple[str, str] | None:
    """(label, detail) of a stored factor in the active language, or None for an unknown key."""

    def n(name: str) -> int:
        return int(facts.get(name) or 0)

    if key == "verification":
        return _("Verification"), _("Verified by Wareshare") if facts.get("verified") else _("Not verified")
    if key == "completed":
        return _("Completed leases"), ngettext(
            "%(count)s lease completed", "%(count)s leases completed", n("completed")
        ) % {"count": n("completed")}
    if key == "disputes":
        lost = n("disputes_lost")
        detail = (
            ngettext("%(count)s dispute lost", "%(count)s disputes lost", lost) % {"count": lost}
            if lost
            else _("None lost")
        )
        return _("Disputes lost"), detail
    if key == "cancellations":
        parts = []
        if n("no_shows"):
            parts.append(
                ngettext(
                    "%(count)s accepted lease withdrawn or left unpaid",
                    "%(count)s accepted leases withdrawn or left unpaid",
                    n("no_shows"),
                )
                % {"count": n("no_shows")}
            )
        if n("unanswered"):
            parts.append(
                ngettext(
                    "%(count)s request left to expire unanswered",
                    "%(count)s requests left to expire unanswered",
                    n("unanswered"),
                )
                % {"count": n("unanswered")}
            )
        if n("owner_cancellations"):
            parts.append(
                ngettext(
                    "%(count)s lease cancelled as the owner",
                    "%(count)s leases cancelled as the owner",
                    n("owner_cancellations"),
                )
                % {"count": n("owner_cancellations")}
            )
        return _("Cancellations and no-shows"), _join(parts) or _("None")
    if key == "checkins":
        parts = []
        if n("late_checkins"):
            parts.append(
                ngettext(
                    "%(count)s check-in more than 48 h after arrival",
                    "%(count)s check-ins more than 48 h after arrival",
                    n("late_checkins"),
                )
                % {"count": n("late_checkins")}
            )
        if n("short_shipments"):
            parts.append(
                ngettext(
                    "%(count)s shipment short of what was declared",
                    "%(count)s shipments short of what was declared",
                    n("short_shipments"),
                )
                % {"count": n("short_shipments")}
            )
        return _("Check-ins"), _join(parts) or _("No late or short check-ins")
    if key == "reviews":
        reviews = n("reviews")
        if not reviews:
            return _("Reviews"), _("No reviews yet")
        average = (Decimal(n("review_stars")) / reviews).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        detail = ngettext(
            "%(average)s ★ average from %(count)s review", "%(average)s ★ average from %(count)s reviews", reviews
        ) % {"average": formats.number_format(average, 1), "count": reviews}
        return _("Reviews"), detail
    if key == "blacklist":
        return _("Blacklist"), _("On the blacklist") if facts.get("blacklisted") else _("Not blacklisted")
    return None

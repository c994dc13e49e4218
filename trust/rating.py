"""Credit ratings: a score from 0 to 100 and a grade A–E per organisation, computed only from its
history on Wareshare, so the same history always gives the same grade.

The score starts at ``BASE_SCORE`` and each factor adds or takes points (``rating_from``):

- verified by Wareshare: +15
- completed leases (either side): +4 each, at most +20
- disputes lost (the resolution went against it): −15 each
- cancellations and no-shows: −5 each — as exporter, an accepted lease withdrawn or left unpaid;
  as owner, a request left to expire unanswered or a lease cancelled before its start
- check-in problems: −5 each — as owner, goods checked in more than 48 h after they arrived; as
  exporter, a check-in outside tolerance and short of what was declared that it accepted without
  dispute (the declaration was wrong)
- reviews received: (average stars − 3) × 5, rounded half up (−10 … +10)
- on the blacklist now: −40

Grades: A ≥ 80, B ≥ 65, C ≥ 50, D ≥ 35, E below. A verified newcomer scores 55 (C).
``rating_recompute`` stores the score, grade and factors (``CreditRating``) and writes the score
and grade on ``Organisation`` for search; it runs after each relevant event and in the nightly
sweep ``ratings_recompute_all``.
"""

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from accounts.models import Organisation
from leasing.choices import CancelledBy, LeaseState, ShipmentStatus
from leasing.models import CheckIn, Lease, LeaseEvent, ShipmentEvent

from .choices import DisputeKind, FoundAgainst
from .factors import FACTOR_FACTS
from .factors import factor_text as factor_text  # re-exported: the texts of the factors stored here
from .models import CreditRating, Resolution, Review
from .selectors import blacklist_entry_in_force

logger = logging.getLogger(__name__)
S = LeaseState

BASE_SCORE = 40
VERIFIED_POINTS = 15
COMPLETED_POINTS, COMPLETED_MAX = 4, 20
DISPUTE_LOST_POINTS = -15
CANCELLATION_POINTS = -5
CHECKIN_PROBLEM_POINTS = -5
REVIEW_POINTS_PER_STAR = 5
BLACKLIST_POINTS = -40
GRADES = (("A", 80), ("B", 65), ("C", 50), ("D", 35), ("E", 0))
LATE_CHECKIN = timedelta(hours=48)


@dataclass(frozen=True)
class History:
    verified: bool = False
    completed: int = 0
    disputes_lost: int = 0
    no_shows: int = 0
    unanswered: int = 0
    owner_cancellations: int = 0
    late_checkins: int = 0
    short_shipments: int = 0
    reviews: int = 0
    review_stars: int = 0  # the sum of the stars received
    blacklisted: bool = False


@dataclass(frozen=True)
class Factor:
    key: str
    label: str
    detail: str
    points: int


@dataclass(frozen=True)
class Rating:
    score: int
    grade: str
    factors: tuple[Factor, ...]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def grade_for(score: int) -> str:
    return next(grade for grade, floor in GRADES if score >= floor)


def rating_from(history: History) -> Rating:
    """The rating of a history: pure and deterministic (see the module docstring)."""
    review_points = 0
    review_detail = "No reviews yet"
    if history.reviews:
        average = Decimal(history.review_stars) / history.reviews
        review_points = int(((average - 3) * REVIEW_POINTS_PER_STAR).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        review_detail = f"{average.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} ★ average from " + _plural(
            history.reviews, "review"
        )
    cancellations = history.no_shows + history.unanswered + history.owner_cancellations
    cancellation_parts = []
    if history.no_shows:
        cancellation_parts.append(f"{_plural(history.no_shows, 'accepted lease')} withdrawn or left unpaid")
    if history.unanswered:
        cancellation_parts.append(f"{_plural(history.unanswered, 'request')} left to expire unanswered")
    if history.owner_cancellations:
        cancellation_parts.append(f"{_plural(history.owner_cancellations, 'lease')} cancelled as the owner")
    checkin_parts = []
    if history.late_checkins:
        checkin_parts.append(f"{_plural(history.late_checkins, 'check-in')} more than 48 h after arrival")
    if history.short_shipments:
        checkin_parts.append(f"{_plural(history.short_shipments, 'shipment')} short of what was declared")
    factors = (
        Factor(
            "verification",
            "Verification",
            "Verified by Wareshare" if history.verified else "Not verified",
            VERIFIED_POINTS if history.verified else 0,
        ),
        Factor(
            "completed",
            "Completed leases",
            _plural(history.completed, "lease") + " completed",
            min(history.completed * COMPLETED_POINTS, COMPLETED_MAX),
        ),
        Factor(
            "disputes",
            "Disputes lost",
            _plural(history.disputes_lost, "dispute") + " lost" if history.disputes_lost else "None lost",
            history.disputes_lost * DISPUTE_LOST_POINTS,
        ),
        Factor(
            "cancellations",
            "Cancellations and no-shows",
            "; ".join(cancellation_parts) or "None",
            cancellations * CANCELLATION_POINTS,
        ),
        Factor(
            "checkins",
            "Check-ins",
            "; ".join(checkin_parts) or "No late or short check-ins",
            (history.late_checkins + history.short_shipments) * CHECKIN_PROBLEM_POINTS,
        ),
        Factor("reviews", "Reviews", review_detail, review_points),
        Factor(
            "blacklist",
            "Blacklist",
            "On the blacklist" if history.blacklisted else "Not blacklisted",
            BLACKLIST_POINTS if history.blacklisted else 0,
        ),
    )
    score = max(0, min(100, BASE_SCORE + sum(factor.points for factor in factors)))
    return Rating(score=score, grade=grade_for(score), factors=factors)


def history_of(organisation: Organisation) -> History:
    """The facts the rating is built from, read from leases, check-ins, disputes and reviews."""
    as_owner = Q(listing__warehouse__organisation=organisation)
    as_exporter = Q(exporter=organisation)
    arrived_at = ShipmentEvent.objects.filter(shipment=OuterRef("shipment"), status=ShipmentStatus.ARRIVED).order_by(
        "created_at"
    )
    checkins = CheckIn.objects.filter(shipment__lease__listing__warehouse__organisation=organisation).annotate(
        arrived_at=Subquery(arrived_at.values("created_at")[:1])
    )
    late = sum(
        1
        for recorded, arrived in checkins.values_list("created_at", "arrived_at")
        if arrived is not None and recorded - arrived > LATE_CHECKIN
    )
    short = (
        CheckIn.objects.filter(
            shipment__lease__exporter=organisation,
            within_tolerance=False,
            received_total__lt=F("declared_total"),
            shipment__lease__state__in=[S.ACTIVE, S.COMPLETED, S.TRANSFERRED],
        )
        .exclude(shipment__lease__disputes__kind=DisputeKind.CHECK_IN)
        .count()
    )
    reviews = Review.objects.filter(subject_organisation=organisation).aggregate(n=Count("pk"), stars=Sum("rating"))
    return History(
        verified=organisation.is_verified,
        completed=Lease.objects.filter(as_owner | as_exporter, state=S.COMPLETED).count(),
        disputes_lost=Resolution.objects.filter(
            Q(found_against=FoundAgainst.OWNER, dispute__lease__listing__warehouse__organisation=organisation)
            | Q(found_against=FoundAgainst.EXPORTER, dispute__lease__exporter=organisation)
        ).count(),
        no_shows=LeaseEvent.objects.filter(
            lease__exporter=organisation, from_state=S.ACCEPTED, to_state__in=[S.CANCELLED, S.EXPIRED]
        )
        .exclude(lease__cancelled_by=CancelledBy.OWNER)
        .count(),
        owner_cancellations=Lease.objects.filter(as_owner, cancelled_by=CancelledBy.OWNER).count(),
        unanswered=LeaseEvent.objects.filter(
            lease__listing__warehouse__organisation=organisation, from_state=S.REQUESTED, to_state=S.EXPIRED
        ).count(),
        late_checkins=late,
        short_shipments=short,
        reviews=reviews["n"] or 0,
        review_stars=reviews["stars"] or 0,
        blacklisted=blacklist_entry_in_force(organisation=organisation) is not None,
    )


def rating_compute(organisation: Organisation) -> Rating:
    return rating_from(history_of(organisation))


def _recompute(organisation_id: int) -> bool:
    """Store the organisation's rating now; True if its score or grade changed."""
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation_id)
        history = history_of(organisation)
        rating = rating_from(history)
        facts = asdict(history)
        CreditRating.objects.update_or_create(
            organisation=organisation,
            defaults={
                "score": rating.score,
                "grade": rating.grade,
                "factors": [
                    {**asdict(factor), "facts": {name: facts[name] for name in FACTOR_FACTS.get(factor.key, ())}}
                    for factor in rating.factors
                ],
                "computed_at": timezone.now(),
            },
        )
        if (organisation.credit_score, organisation.credit_grade) == (rating.score, rating.grade):
            return False
        Organisation.objects.filter(pk=organisation.pk).update(credit_score=rating.score, credit_grade=rating.grade)
        return True


def rating_recompute(organisation: Organisation) -> CreditRating:
    """Compute and store ``organisation``'s rating (score and grade also on the organisation)."""
    _recompute(organisation.pk)
    organisation.refresh_from_db(fields=["credit_score", "credit_grade"])
    return CreditRating.objects.get(organisation=organisation)


def ratings_recompute_all() -> int:
    """Sweep (nightly): recompute every organisation; returns how many changed score or grade."""
    return sum(_recompute(pk) for pk in Organisation.objects.order_by("pk").values_list("pk", flat=True))


def ratings_recompute_later(organisations: Iterable[Organisation]) -> None:
    """Recompute after the current transaction commits. A failure is logged, never undoes the
    event that triggered it; the nightly sweep catches up."""
    ids = sorted({organisation.pk for organisation in organisations})

    def run() -> None:
        for pk in ids:
            _recompute(pk)

    transaction.on_commit(run, robust=True)

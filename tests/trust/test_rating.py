"""Acceptance 3: the rating is deterministic for a history, pinned histories give pinned grades,
its factors are explained on the profile, and real events feed it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import VerificationStatus
from accounts.models import Organisation
from leasing.choices import LeaseState as S
from leasing.models import CheckIn, Lease
from tests.accounts.factories import OrganisationFactory
from tests.leasing.factories import Parties
from trust import rating, services
from trust.choices import Outcome
from trust.models import CreditRating
from trust.rating import History, rating_from

from .factories import disputed, staff_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("history", "score", "grade"),
    [
        (History(), 40, "D"),  # an unverified newcomer
        (History(verified=True), 55, "C"),  # a verified newcomer
        (History(verified=True, completed=5, reviews=2, review_stars=10), 85, "A"),
        (History(verified=True, completed=9, reviews=3, review_stars=12), 80, "A"),  # completed caps at +20; 4.0 ★ → +5
        (History(verified=True, completed=3, reviews=1, review_stars=4), 72, "B"),
        (History(verified=True, completed=2, disputes_lost=1, no_shows=1), 43, "D"),
        (History(verified=True, completed=1, disputes_lost=2, no_shows=1), 24, "E"),
        (
            History(verified=True, completed=5, late_checkins=1, short_shipments=1, reviews=2, review_stars=5),
            62,
            "C",
        ),  # 2.5 ★ → −3
        (History(verified=True, completed=5, blacklisted=True), 35, "D"),
        (History(verified=True, disputes_lost=5), 0, "E"),  # never below 0
    ],
)
def test_pinned_histories_give_pinned_grades(history, score, grade):
    result = rating_from(history)
    assert (result.score, result.grade) == (score, grade)
    assert rating_from(history) == result  # deterministic
    assert 40 + sum(factor.points for factor in result.factors) == score or score in (0, 100)


def test_grades_at_their_boundaries():
    assert [rating.grade_for(s) for s in (100, 80, 79, 65, 64, 50, 49, 35, 34, 0)] == list("AABBCCDDEE")


def test_real_events_feed_the_rating():
    p = Parties(capacity=100)
    for _ in range(3):
        p.lease_in(S.COMPLETED)
    completed = Lease.objects.filter(state=S.COMPLETED).first()
    services.review_create(lease=completed, by=p.exporter, rating_value=5, text="Spotless")
    lost = disputed(p)
    services.dispute_resolve(dispute=lost, by=staff_user(), outcome=Outcome.REFUND, note="Goods damaged in storage")
    # A check-in recorded three days after arrival is late.
    late = p.lease_in(S.CHECKED_IN)
    CheckIn.objects.filter(shipment__lease=late).update(created_at=timezone.now() + timedelta(days=3))

    owner = rating.history_of(p.owner_org)
    exporter = rating.history_of(p.exporter_org)

    assert (owner.completed, owner.disputes_lost, owner.late_checkins, owner.reviews, owner.review_stars) == (
        3,
        1,
        1,
        1,
        5,
    )
    assert (exporter.completed, exporter.disputes_lost, exporter.no_shows) == (3, 0, 0)
    # owner: 40 + 15 verified + 12 completed - 15 dispute - 5 late + 10 reviews = 57 → C
    assert (rating.rating_compute(p.owner_org).score, rating.rating_compute(p.owner_org).grade) == (57, "C")


def test_no_shows_and_unanswered_requests_count():
    p = Parties(capacity=100)
    accepted = p.lease_in(S.ACCEPTED)
    p.walker.withdraw(accepted)
    p.lease_in(S.EXPIRED)  # the owner did not answer
    p.request()
    p.walker.withdraw(p.request())  # withdrawing a request is not a no-show

    assert rating.history_of(p.exporter_org).no_shows == 1
    assert rating.history_of(p.owner_org).unanswered == 1


def test_a_short_shipment_confirmed_without_dispute_counts_against_the_exporter():
    p = Parties(capacity=100)
    lease = p.lease_in(S.FUNDED)
    p.check_in(lease, short=20)  # 30 of 50 declared: outside tolerance
    p.confirm(lease)
    disputed(p)  # a disputed check-in is decided by its dispute instead

    assert rating.history_of(p.exporter_org).short_shipments == 1


def test_the_sweep_stores_scores_and_grades_and_is_idempotent():
    p = Parties(capacity=100)
    p.lease_in(S.COMPLETED)
    unverified = OrganisationFactory(verification_status=VerificationStatus.UNVERIFIED)

    changed = rating.ratings_recompute_all()

    assert changed == Organisation.objects.count()
    assert rating.ratings_recompute_all() == 0
    owner = Organisation.objects.get(pk=p.owner_org.pk)
    assert (owner.credit_score, owner.credit_grade) == (59, "C")
    assert Organisation.objects.get(pk=unverified.pk).credit_grade == "D"
    stored = CreditRating.objects.get(organisation=owner)
    assert [factor["key"] for factor in stored.factors] == [
        "verification",
        "completed",
        "disputes",
        "cancellations",
        "checkins",
        "reviews",
        "blacklist",
    ]


def test_the_search_sorts_by_the_stored_score():
    good, poor = Parties(capacity=100), Parties(capacity=100)
    Organisation.objects.filter(pk=good.owner_org.pk).update(credit_score=90, credit_grade="A")
    Organisation.objects.filter(pk=poor.owner_org.pk).update(credit_score=30, credit_grade="E")
    from django.test import Client

    page = Client().get(reverse("warehouses:search"), {"sort": "rating"}).content.decode()

    assert page.index(good.listing.title) < page.index(poor.listing.title)
    assert "Rating A" in page


def test_the_profile_explains_the_factors(client):
    p = Parties(capacity=100)
    lease = p.lease_in(S.COMPLETED)
    services.review_create(lease=lease, by=p.exporter, rating_value=4, text="Good warehouse, slow to answer emails")
    rating.rating_recompute(p.owner_org)

    page = client.get(reverse("trust:organisation_profile", args=[p.owner_org.pk])).content.decode()

    for text in (
        "Credit rating",
        "Verified by Wareshare",
        "1 lease completed",
        "None lost",
        "4.0 ★ average from 1 review",
        "Good warehouse, slow to answer emails",
        ">+15<",
        ">+4<",
        ">+5<",
        "64 / 100",
    ):
        assert text in page, text
    assert 'aria-label="Grade C"' in page


def test_the_profile_costs_the_same_for_one_review_or_six(client):
    one, six = Parties(capacity=100), Parties(capacity=100)
    services.review_create(lease=one.lease_in(S.COMPLETED), by=one.exporter, rating_value=5, text="Great")
    for _ in range(6):
        other = Parties(listing=six.listing)
        services.review_create(lease=other.lease_in(S.COMPLETED), by=other.exporter, rating_value=3, text="Fine")
    rating.rating_recompute(one.owner_org)
    rating.rating_recompute(six.owner_org)

    counts = []
    for organisation in (one.owner_org, six.owner_org):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("trust:organisation_profile", args=[organisation.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]

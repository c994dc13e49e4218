"""Reviews: after completion each side reviews the other once; reviews feed the credit rating."""

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from common.i18n import lazy_format
from leasing.choices import LeaseState
from leasing.models import Lease

from .. import rating
from ..choices import Side
from ..exceptions import ReviewInvalid, ReviewNotOpen
from ..messages import MESSAGES
from ..models import Review
from ..notifications import trust_notify
from .shared import lease_side


def review_create(
    *, lease: Lease, by: User, rating_value: int, text: str, organisation: Organisation | None = None
) -> Review:
    """After completion each side reviews the other once (1–5 and text); feeds the rating."""
    side = lease_side(lease=lease, by=by, organisation=organisation)
    if lease.state != LeaseState.COMPLETED:
        raise ReviewNotOpen(_("Reviews open once the lease is complete."))
    if not 1 <= rating_value <= 5:
        raise ReviewInvalid(_("Rate from 1 to 5 stars."))
    text = text.strip()
    if not text:
        raise ReviewInvalid(_("Write a few words: what went well, what did not."))
    author, subject = (lease.exporter, lease.owner) if side == Side.EXPORTER else (lease.owner, lease.exporter)
    try:
        with transaction.atomic():
            review = Review.objects.create(
                lease=lease,
                author=by,
                author_organisation=author,
                subject_organisation=subject,
                rating=rating_value,
                text=text[:2000],
            )
            texts = MESSAGES["review_received"]
            trust_notify(
                organisations=[subject],
                subject=lazy_format(texts["subject"], organisation=author),
                lines=[
                    lazy_format(
                        texts["stars"], stars=f"{'★' * rating_value}{'☆' * (5 - rating_value)}", lease=lease.pk
                    ),
                    f"“{review.text}”",
                ],
                action=texts["action"],
                path=reverse("trust:organisation_profile", args=[subject.pk]),
            )
            rating.ratings_recompute_later([subject])
    except IntegrityError as error:
        raise ReviewNotOpen(
            _("%(organisation)s has already reviewed this lease.") % {"organisation": author}
        ) from error
    return review

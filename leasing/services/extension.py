"""Extending an active lease: a child lease for the extra days, without handling fees."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.models import User
from warehouses.pricing import listing_quote

from .. import rules
from ..choices import LeaseOrigin
from ..core import held_at_end, lease_lock, require_exporter, require_verified, standing_require
from ..exceptions import InvalidExtension
from ..models import Lease
from .requests import lease_open


@transaction.atomic
def lease_extend(*, lease: Lease, by: User, end: date, message: str = "") -> Lease:
    """The exporter asks to keep the space after ``lease.end`` until ``end``: a new lease (an
    extension, continuing this one) is requested for the extra days at the listing's price, without
    handling fees (the goods are already in). Its capacity is held now; the owner accepts it (or the
    listing books instantly); once it is paid, it is active at once (the check-in carries over). A
    completed lease whose goods overstayed its end (``hooks.late_extension_allowed``) is extended the
    same way, from the day after its end, if the space is still free."""
    require_exporter(lease, by)
    require_verified(lease.exporter, "extend a lease")
    standing_require(lease.exporter, "extend a lease")
    locked = lease_lock(lease)
    lease = locked.lease
    rules.extend(lease, rules.EXPORTER).require()
    if end <= lease.end:
        raise InvalidExtension(
            _("Choose an end date after %(date)s, the lease's current end.")
            % {"date": formats.date_format(lease.end, "DATE_FORMAT")}
        )
    quantity = held_at_end(lease)
    start = lease.end + timedelta(days=1)
    quote = listing_quote(listing=lease.listing, start=start, end=end, quantity=quantity, handling=False)
    return lease_open(
        Lease(
            listing=lease.listing,
            exporter=lease.exporter,
            requested_by=by,
            quantity=quantity,
            start=start,
            end=end,
            goods_description=lease.goods_description,
            message=message or f"Extension of lease #{lease.pk}",
            origin=LeaseOrigin.EXTENSION,
            parent=lease,
            goods_carried=True,
        ),
        quote=quote,
        by=by,
    )

"""Monthly billing (docs/money.md "Monthly billing"): a lease longer than 30 days the exporter chose
to pay month by month. The first payment pays the first instalment and saves the card; each later
instalment is charged off-session from ``CHARGE_DAYS_BEFORE`` days before it starts (midnight at the
warehouse), retried ``RETRY_AFTER_DAYS`` later, and can be paid by hand until it starts. Unpaid at
its start, the lease is shortened to the day before it (``lease_shorten``).

Never twice: each attempt is a ``Payment`` row with its own idempotency key
(``escrow:<id>:instalment:<n>:charge:<attempt>``), made under the lease lock; an attempt whose
outcome is unknown is resent with the same key (and the same request) before any new one is made;
the database allows one succeeded payment per instalment (a second is recorded ``duplicate`` and
refunded), and a payment for a month that is no longer due is refunded in full.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django_stubs_ext import StrOrPromise

from accounts.models import User
from common.money import Money
from escrow import services as escrow_services
from escrow.choices import PaymentStatus
from escrow.exceptions import GatewayUnavailable, PaymentDeclined
from escrow.models import Escrow, Payment, Posting
from warehouses.dates import today_range, warehouse_midnight

from .. import rules, schedule
from ..choices import Billing, InstalmentStatus
from ..core import lease_lock, lease_note, lease_today, require_exporter
from ..exceptions import InvalidTransition
from ..models import Instalment, Lease
from ..notifications import billing_notify
from .cancellation import capacity_keep_until

# The first automatic charge of an instalment: CHARGE_DAYS_BEFORE days before its start (warehouse
# midnight); after a failure, RETRY_AFTER_DAYS after the first (so 7, 6 and 5 days before the start);
# then only the exporter can pay it by hand, until the start.
CHARGE_DAYS_BEFORE = schedule.CHARGE_DAYS_BEFORE
RETRY_AFTER_DAYS = schedule.RETRY_AFTER_DAYS
TRIES = 1 + len(RETRY_AFTER_DAYS)


def description(lease: Lease, instalment: int) -> str:
    """The processor's description of a payment (the same on every resend of an attempt)."""
    return f"Wareshare lease #{lease.pk}" if instalment == 1 else f"Wareshare lease #{lease.pk} month {instalment}"


def charge_at(lease: Lease, instalment: Instalment, tries: int) -> datetime:
    """When automatic try ``tries + 1`` of ``instalment`` is due (aware, the warehouse's midnight)."""
    offset = (0, *RETRY_AFTER_DAYS)[tries]
    return warehouse_midnight(lease.listing.warehouse, instalment.start - timedelta(days=CHARGE_DAYS_BEFORE - offset))


def billing_allowed(lease: Lease) -> bool:
    """Whether ``lease`` (unsaved: at request) may be billed monthly: longer than 30 days, and the
    listing allows it."""
    return lease.listing.monthly_billing and lease.days > schedule.MONTHLY_AFTER_DAYS


# --- Paying -----------------------------------------------------------------------------------


def instalment_pay(*, lease: Lease, by: User, payment_method: str) -> Payment:
    """The exporter pays the next unpaid month by hand (the checkout; 3-D Secure as for the first
    payment, finished by ``lease_pay_finalize``). The card is saved for the months after it.
    Raises PaymentDeclined / GatewayUnavailable with nothing recorded as paid."""
    require_exporter(lease, by)
    instalment = rules.instalment_next_due(lease)
    rules.pay_instalment(lease, rules.EXPORTER, instalment).require()
    assert instalment is not None
    escrow = Escrow.objects.get(lease_id=lease.pk)
    settled = escrow_services.payment_open_settle(escrow=escrow, instalment=instalment.sequence)
    if settled is not None:
        instalment_paid(payment=settled)
        return settled
    profile = escrow_services.billing_profile_ensure(organisation=lease.exporter, email=by.email)
    with transaction.atomic():
        locked = lease_lock(lease)
        instalment = Instalment.objects.select_for_update().get(pk=instalment.pk)
        rules.pay_instalment(locked.lease, rules.EXPORTER, instalment).require()
        payment = escrow_services.payment_start(escrow=escrow, amount=instalment.gross, instalment=instalment.sequence)
    text = description(lease, payment.instalment)
    if payment.payment_method and payment.payment_method != payment_method:
        payment = escrow_services.payment_settle_unknown(payment=payment, description=text)
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.REQUIRES_ACTION):
        payment = escrow_services.payment_charge(
            payment=payment,
            payment_method=payment.payment_method or payment_method,
            description=text,
            customer=profile.customer_id,
        )
    if payment.status == PaymentStatus.SUCCEEDED:
        instalment_paid(payment=payment)
    return payment


@transaction.atomic
def instalment_paid(*, payment: Payment) -> Lease:
    """Record a succeeded payment of a later month (from the sweep, the checkout or a webhook).
    Idempotent: the month becomes held in escrow (``scheduled``) once; a payment for a month that is
    no longer due (the lease was shortened or cancelled meanwhile) is refunded in full to its card."""
    locked = lease_lock(payment.escrow.lease)
    lease, escrow = locked.lease, locked.escrow
    assert escrow is not None
    payment.refresh_from_db()
    # Funded before (with what followed, in one transaction): a replayed webhook changes nothing.
    recorded = Posting.objects.filter(idempotency_key=f"escrow:{escrow.pk}:fund:{payment.pk}").exists()
    escrow_services.escrow_fund(escrow=escrow, payment=payment)
    if recorded:
        return lease
    instalment = lease.instalments.select_for_update().filter(sequence=payment.instalment).first()
    if instalment is not None and instalment.status == InstalmentStatus.DUE and lease.state in rules.BILLED_STATES:
        instalment.status = InstalmentStatus.SCHEDULED
        instalment.save(update_fields=["status"])
        escrow_services.payment_method_remember(payment=payment)
        lease_note(lease, by=None, note=f"Month {payment.instalment} paid: {Money(payment.amount, payment.currency)}")
        return lease
    if instalment is not None and instalment.status in (InstalmentStatus.SCHEDULED, InstalmentStatus.RELEASED):
        return lease  # recorded before (this payment funded it: it is the instalment's one success)
    escrow_services.escrow_refund(
        escrow=escrow,
        exporter=lease.exporter,
        amount=payment.amount,
        reason=gettext_noop("payment arrived for a month no longer due"),
        key=f"escrow:{escrow.pk}:refund:late-instalment:{payment.pk}",
        payment=payment,
    )
    lease_note(lease, by=None, note=gettext_noop("A monthly payment arrived after the month was cancelled; refunded."))
    return lease


# --- The sweeps -------------------------------------------------------------------------------


def _due(extra_days: int) -> Q:
    """Candidates: instalments not paid, of monthly leases still billed, starting by the latest today
    anywhere plus ``extra_days`` (each is checked against its own warehouse's today under the lock)."""
    return Q(
        status=InstalmentStatus.DUE,
        lease__billing=Billing.MONTHLY,
        lease__state__in=rules.BILLED_STATES,
        start__lte=today_range()[1] + timedelta(days=extra_days),
    )


def leases_charge_due() -> int:
    """Sweep: charge off-session every instalment whose automatic try is due (``charge_at``), or resend
    an attempt whose outcome is unknown. Returns how many instalments were paid now."""
    paid = 0
    for pk in Instalment.objects.filter(_due(CHARGE_DAYS_BEFORE)).order_by("start", "pk").values_list("pk", flat=True):
        if instalment_charge(Instalment.objects.select_related("lease").get(pk=pk)):
            paid += 1
    return paid


def instalment_charge(instalment: Instalment, *, now: datetime | None = None) -> bool:
    """One automatic try for ``instalment`` if one is due now; True if it was paid."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lease_lock(instalment.lease)
        lease, escrow = locked.lease, locked.escrow
        instalment = Instalment.objects.select_for_update().get(pk=instalment.pk)
        if (
            escrow is None
            or instalment.status != InstalmentStatus.DUE
            or lease.billing != Billing.MONTHLY
            or lease.state not in rules.BILLED_STATES
            or instalment.start <= lease_today(lease)
        ):
            return False
        last = escrow.payments.filter(instalment=instalment.sequence).order_by("-attempt").first()
        if last is not None and last.status in (PaymentStatus.PENDING, PaymentStatus.UNKNOWN):
            # Started and never answered: resent as it was (same key, same card), never a new attempt.
            payment, card, customer = last, last.payment_method, last.customer
            if not card:  # made but never sent (the process died in between): send it now
                profile = escrow_services.billing_profile_for(lease.exporter)
                if profile is None:
                    return False
                card, customer = profile.payment_method, profile.customer_id
        elif last is not None and last.status != PaymentStatus.FAILED:
            return False  # paid, or the exporter is authenticating a payment by hand
        elif instalment.charge_tries >= TRIES or now < charge_at(lease, instalment, instalment.charge_tries):
            return False
        else:
            profile = escrow_services.billing_profile_for(lease.exporter)
            instalment.charge_tries += 1
            instalment.save(update_fields=["charge_tries"])
            if profile is None:
                _failed(lease, instalment, _no_card())
                return False
            payment = escrow_services.payment_start(
                escrow=escrow, amount=instalment.gross, instalment=instalment.sequence
            )
            card, customer = profile.payment_method, profile.customer_id
    try:
        payment = escrow_services.payment_charge(
            payment=payment,
            payment_method=card,
            description=description(lease, instalment.sequence),
            customer=customer,
            off_session=True,
        )
    except PaymentDeclined as error:
        with transaction.atomic():
            _failed(lease, Instalment.objects.get(pk=instalment.pk), error.detail)
        return False
    except GatewayUnavailable:
        return False  # unknown: the next sweep resends this attempt with its key
    if payment.status == PaymentStatus.SUCCEEDED:
        instalment_paid(payment=payment)
        return True
    return False


def _no_card() -> StrOrPromise:
    return gettext_lazy("There is no saved card to charge.")


def _failed(lease: Lease, instalment: Instalment, reason: StrOrPromise) -> None:
    """An automatic try failed: note it, and tell the exporter (with the page to pay it by hand) and
    the owner when it will be retried and when the lease ends if it is not paid."""
    retry = charge_at(lease, instalment, instalment.charge_tries) if instalment.charge_tries < TRIES else None
    lease_note(lease, by=None, note=f"Month {instalment.sequence}: automatic charge {instalment.charge_tries} failed")
    billing_notify(
        "charge_failed",
        lease,
        month=instalment.sequence,
        amount=Money(instalment.gross, lease.currency),
        deadline=instalment.start,
        last_day=instalment.start - timedelta(days=1),
        retry=retry.date() if retry else None,
        reason=reason,
    )


def leases_shorten_unpaid() -> int:
    """Sweep: a month not paid when it begins (at the warehouse) ends the lease the day before it:
    ``lease_shorten``. Returns how many leases were shortened."""
    shortened = 0
    for pk in Instalment.objects.filter(_due(0)).order_by("lease_id", "sequence").values_list("pk", flat=True):
        instalment = Instalment.objects.select_related("lease").get(pk=pk)
        with transaction.atomic():
            locked = lease_lock(instalment.lease)
            instalment = Instalment.objects.select_for_update().get(pk=pk)
            lease = locked.lease
            if (
                instalment.status == InstalmentStatus.DUE
                and lease.state in rules.BILLED_STATES
                and instalment.start <= lease_today(lease)
            ):
                lease_shorten(lease, instalment)
                shortened += 1
    return shortened


def lease_shorten(lease: Lease, instalment: Instalment) -> Lease:
    """End ``lease`` (locked) on the last day paid for, the day before ``instalment`` starts: that
    month and every later one are cancelled (escrow held nothing for them), the price becomes what
    was paid (the handling-out fee went with the last month), and the capacity after the new end goes
    back to the calendar. Both sides are told."""
    last_day = instalment.start - timedelta(days=1)
    for later in lease.instalments.filter(sequence__gte=instalment.sequence, status=InstalmentStatus.DUE):
        schedule.instalment_settle(later, InstalmentStatus.CANCELLED)
    kept = list(lease.instalments.filter(sequence__lt=instalment.sequence))
    total = sum((item.gross for item in kept), Decimal(0))
    fee = sum((item.fee for item in kept), Decimal(0))
    lease.end = last_day
    lease.total = total
    lease.platform_fee = fee
    lease.handling_out_amount = Decimal(0)
    lease.storage_amount = total - fee - lease.handling_in_amount
    lease.save(update_fields=["end", "total", "platform_fee", "handling_out_amount", "storage_amount", "updated_at"])
    capacity_keep_until(lease, last_day)
    lease_note(lease, by=None, note=f"Month {instalment.sequence} was not paid: the lease now ends on {last_day}")
    billing_notify("shortened", lease, month=instalment.sequence, last_day=last_day)
    return lease


def instalment_payable(lease: Lease) -> Instalment | None:
    """The month the exporter may pay by hand now, if any (the checkout page's question)."""
    instalment = rules.instalment_next_due(lease) if lease.billing == Billing.MONTHLY else None
    if instalment is not None and rules.pay_instalment(lease, rules.EXPORTER, instalment):
        return instalment
    return None


def billing_check(lease: Lease, billing: str) -> None:
    """At request: monthly billing only where ``billing_allowed``."""
    if billing == Billing.MONTHLY and not billing_allowed(lease):
        raise InvalidTransition(
            _("Monthly payment is only for leases longer than 30 days, on listings that allow it."),
            code="monthly_billing_unavailable",
        )

"""Paying a lease into escrow, and recording the payment however its outcome arrives."""

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from common.drill import drill_pause
from escrow import services as escrow_services
from escrow.choices import PaymentStatus
from escrow.models import Escrow, Payment, Posting

from .. import rules, schedule, transfers
from ..choices import Billing, LeaseOrigin
from ..choices import LeaseState as S
from ..core import (
    lease_carry_in,
    lease_lock,
    lease_note,
    lease_transition,
    require_exporter,
    require_verified,
    standing_require,
)
from ..exceptions import InvalidTransition, NotAllowed
from ..hooks import transfer_require
from ..models import Lease, LeaseTransfer
from . import billing


def lease_pay(*, lease: Lease, by: User, payment_method: str) -> Payment:
    """Charge the exporter the lease total into escrow; the lease becomes ``funded``.

    1. Under lock: the lease must be ``accepted``; pick the payment attempt (a retry of an
       attempt with an unknown outcome reuses its idempotency key, so it cannot charge twice).
    2. No locks held: the processor charges.
    3. Re-lock and re-check: fund the escrow and move to ``funded``; if the lease expired or
       was cancelled meanwhile, the money is refunded at once.
    Raises PaymentDeclined or GatewayUnavailable with the lease and ledger unchanged.
    """
    require_exporter(lease, by)
    require_verified(lease.exporter, "pay into escrow")
    standing_require(lease.exporter, "pay into escrow")
    open_escrow = Escrow.objects.filter(lease_id=lease.pk).first()
    first = open_escrow.payments.filter(status=PaymentStatus.SUCCEEDED, instalment=1) if open_escrow else None
    paid = first.first() if first is not None else None
    if paid is not None and Lease.objects.filter(pk=lease.pk, state=S.ACCEPTED).exists():
        # Recorded as paid but not funded: the last try died in between (leases_fund_paid heals it too).
        lease_payment_succeeded(payment=paid, by=by)
        return paid
    if open_escrow is not None:  # an abandoned 3-D Secure attempt is settled first (no locks held)
        settled = escrow_services.payment_open_settle(escrow=open_escrow)
        if settled is not None:
            lease_payment_succeeded(payment=settled, by=by)
            return settled
    with transaction.atomic():
        locked = lease_lock(lease)
        rules.pay(locked.lease, rules.EXPORTER).require()
        if locked.lease.origin == LeaseOrigin.TRANSFER:
            # Refused before the charge what would refuse the transfer at completion (hooks).
            transfer_require(LeaseTransfer.objects.get(new_lease=locked.lease))
        if locked.escrow is None:
            raise InvalidTransition(_("This lease has no escrow to pay into."))
        payment = escrow_services.payment_start(
            escrow=locked.escrow, amount=schedule.first_payment_amount(locked.lease)
        )
    # Billed monthly, the first payment saves the card on the exporter's customer at the processor.
    monthly = lease.billing == Billing.MONTHLY
    customer = (
        escrow_services.billing_profile_ensure(organisation=lease.exporter, email=by.email).customer_id
        if monthly
        else ""
    )
    description = f"Wareshare lease #{lease.pk}"
    if payment.payment_method and payment.payment_method != payment_method:
        payment = escrow_services.payment_settle_unknown(payment=payment, description=description)
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.REQUIRES_ACTION):
        # A fresh attempt takes the card given now; an unknown one is resent with its own card.
        card = payment.payment_method or payment_method
        payment = escrow_services.payment_charge(
            payment=payment, payment_method=card, description=description, customer=customer
        )
    if payment.status == "succeeded":
        drill_pause("payment_recorded", lease=lease.pk)  # charged and recorded, the lease not yet funded
        lease_payment_succeeded(payment=payment, by=by)
    return payment


@transaction.atomic
def lease_payment_succeeded(*, payment: Payment, by: User | None) -> Lease:
    """Record a succeeded payment (from checkout or a webhook). Idempotent, forward only. A later
    month of a lease billed monthly is recorded by ``billing.instalment_paid``."""
    if payment.instalment > 1:
        return billing.instalment_paid(payment=payment)
    locked = lease_lock(payment.escrow.lease)
    lease, escrow = locked.lease, locked.escrow
    assert escrow is not None
    payment.refresh_from_db()
    # Funded before (in the same transaction as what followed): a replayed webhook changes nothing,
    # even if the lease was cancelled since (its money was settled by the cancellation).
    recorded = Posting.objects.filter(idempotency_key=f"escrow:{escrow.pk}:fund:{payment.pk}").exists()
    escrow_services.escrow_fund(escrow=escrow, payment=payment)
    if recorded:
        return lease
    if lease.state == S.ACCEPTED:
        lease = lease_transition(lease=lease, to=S.FUNDED, by=by, note=f"Paid {payment.amount} {payment.currency}")
        schedule.instalments_create(lease)
        escrow_services.payment_method_remember(payment=payment)
        if lease.origin == LeaseOrigin.TRANSFER:
            return transfers.transfer_complete(lease=lease, escrow=escrow, by=by)
        if lease.goods_carried and lease.parent is not None and lease.parent.state in (S.ACTIVE, S.COMPLETED):
            return lease_carry_in(lease=lease, escrow=escrow, by=by)
        return lease
    if lease.state in (S.EXPIRED, S.CANCELLED):
        escrow_services.escrow_refund(
            escrow=escrow,
            exporter=lease.exporter,
            amount=payment.amount,
            reason=gettext_noop("payment arrived after the lease ended"),
            key=f"escrow:{escrow.pk}:refund:late-payment:{payment.pk}",
        )
        lease_note(lease, by=None, note=gettext_noop("Payment arrived after the lease ended; refunded in full."))
    return lease


def lease_payment_duplicate(*, payment: Payment) -> None:
    """A second payment succeeded after the lease was paid (escrow refunds it in full): say so on the
    lease's timeline, where both sides and staff read it."""
    lease = Lease.objects.get(pk=payment.escrow.lease_id)
    lease_note(
        lease, by=None, note=gettext_noop("A second payment arrived after the lease was paid; refunded in full.")
    )


def lease_pay_finalize(*, lease: Lease, by: User, payment_id: str) -> Payment:
    """The browser finished 3-D Secure for the payment ``payment_id`` (the processor's id): read the
    outcome from the processor and, if it succeeded, fund the lease (``lease_payment_succeeded``;
    the ``payment_intent.succeeded`` webhook gets there too, whichever comes first).
    Raises PaymentDeclined if authentication failed."""
    require_exporter(lease, by)
    payment = Payment.objects.filter(escrow__lease=lease, processor_id=payment_id).first() if payment_id else None
    if payment is None:
        raise NotAllowed(_("This payment does not belong to this lease."))
    payment = escrow_services.payment_finalize(payment=payment)
    if payment.status == "succeeded":
        lease_payment_succeeded(payment=payment, by=by)
    return payment


def leases_fund_paid() -> int:
    """Sweep: a payment recorded as succeeded whose lease was never funded (the process died, or the
    database went away, between recording the processor's answer and funding the lease) funds it now,
    or is refunded if the lease ended meanwhile. ``lease_payment_succeeded`` is idempotent per payment.
    Only payments without their fund posting (``escrow:<id>:fund:<payment>``) are candidates."""
    fund_key = Concat(
        Value("escrow:"), Cast(OuterRef("escrow_id"), CharField()), Value(":fund:"), Cast(OuterRef("pk"), CharField())
    )
    unfunded = Payment.objects.filter(
        Q(escrow__lease__state__in=[S.ACCEPTED, S.EXPIRED, S.CANCELLED]) | Q(instalment__gt=1),
        status=PaymentStatus.SUCCEEDED,
    ).exclude(Exists(Posting.objects.filter(idempotency_key=fund_key)))
    handled = 0
    for payment in unfunded.select_related("escrow__lease").order_by("pk"):
        lease_payment_succeeded(payment=payment, by=None)
        handled += 1
    return handled

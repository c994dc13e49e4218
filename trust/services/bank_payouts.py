"""Staff record a bank-transfer payout (escrow's bank rail, escrow/bank_payouts.py): the money
moves in escrow, the audit entry is written here in the same transaction, and the owner's members
are told (email and in-app, in their language). Escrow sits below trust, so it is called from here."""

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.i18n import lazy_date, lazy_format
from common.money import format_money
from escrow import bank_payouts
from escrow.models import Payout

from ..notifications import trust_notify
from .audit import audit_record, audit_snapshot
from .shared import staff_require

lazy_money = lazy(format_money, str)  # formatted in each reader's language

BANK_PAYOUT_FIELDS = ("status", "bank_reference", "bank_transferred_on", "amount", "currency")


@transaction.atomic
def bank_payout_record(*, payout: Payout, by: User, reference: str, transferred_on: date) -> Payout:
    """Staff sent ``payout`` by bank transfer: record the bank's reference and date (escrow moves
    the money from ``clearing:bank_transfer``), audit it, and tell the owner."""
    staff_require(by)
    before = audit_snapshot(payout, BANK_PAYOUT_FIELDS)
    payout = bank_payouts.payout_bank_record(payout=payout, reference=reference, transferred_on=transferred_on, by=by)
    audit_record(
        actor=by,
        action="payout.bank_recorded",
        obj=payout,
        before=before,
        after=audit_snapshot(payout, BANK_PAYOUT_FIELDS),
    )
    amount = lazy_money(payout.amount, payout.currency)
    trust_notify(
        organisations=[payout.organisation],
        subject=lazy_format(_("%(amount)s was sent to your bank"), amount=amount),
        lines=[
            lazy_format(
                _(
                    "Wareshare sent %(amount)s for lease #%(lease)s by bank transfer on %(date)s "
                    "(bank reference %(reference)s)."
                ),
                amount=amount,
                lease=payout.escrow.lease_id,
                date=lazy_date(transferred_on),
                reference=payout.bank_reference,
            ),
            _("International transfers usually arrive within one to five working days."),
        ],
        action=_("See your payouts"),
        path=reverse("escrow:payout_account"),
    )
    return payout

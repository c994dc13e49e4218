"""Staff resolve a dispute: a full refund, a full release, a split whose parts add up exactly to
what escrow holds, or (when nothing is held any more) a finding that only counts in the ratings.

Money moves through one leasing function, ``leasing.settlement.lease_settle``: ledger postings
inside the transaction, processor calls (refund, transfer) after commit, each with its
idempotency key (``escrow:<id>:dispute:<dispute id>:refund``, ``escrow:<id>:release:<n>``)."""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, localcontext

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from common.i18n import lazy_format, lazy_lower
from common.money import exponent, format_money, quantize
from escrow import ledger
from leasing import services as leasing_services
from leasing.choices import LeaseState
from leasing.exceptions import InvalidTransition
from leasing.models import Lease
from leasing.settlement import lease_settle

from .. import rating
from ..choices import DisputeState, FoundAgainst, Outcome, Side
from ..exceptions import DisputeInputInvalid, DisputeInvalid, SettlementInvalid
from ..hooks import dispute_changed
from ..messages import MESSAGES
from ..models import Dispute, Resolution
from .audit import audit_record
from .disputes import dispute_notify
from .shared import staff_require

S = LeaseState


@dataclass(frozen=True)
class Settlement:
    """What a resolution moves. ``owner_part + exporter_part == held``; the owner is paid
    ``owner_part - platform_fee``; the fee stays with the platform as revenue."""

    outcome: str
    currency: str
    held: Decimal
    owner_part: Decimal
    exporter_part: Decimal
    platform_fee: Decimal
    found_against: str
    lease_to: str

    @property
    def owner_net(self) -> Decimal:
        return self.owner_part - self.platform_fee

    def summary(self) -> str:
        def money(amount: Decimal) -> str:
            return format_money(amount, self.currency)

        # Lazy: the summary goes into both sides' emails, each rendered in its reader's language.
        if self.outcome == Outcome.FINDING:
            return lazy_format(
                gettext_lazy("finding against %(side)s; no money held"),
                side=lazy_lower(FoundAgainst(self.found_against).label),
            )
        parts = []
        if self.exporter_part:
            parts.append(
                lazy_format(gettext_lazy("%(amount)s refunded to the exporter"), amount=money(self.exporter_part))
            )
        if self.owner_part and self.platform_fee:
            parts.append(
                lazy_format(
                    gettext_lazy("%(amount)s released to the owner (after the %(fee)s platform fee)"),
                    amount=money(self.owner_net),
                    fee=money(self.platform_fee),
                )
            )
        elif self.owner_part:
            parts.append(lazy_format(gettext_lazy("%(amount)s released to the owner"), amount=money(self.owner_net)))
        if len(parts) == 2:
            return lazy_format(gettext_lazy("%(refund)s; %(release)s"), refund=parts[0], release=parts[1])
        return parts[0] if parts else ""


def fee_share(*, owner_part: Decimal, lease: Lease) -> Decimal:
    """The platform fee on ``owner_part`` of the held money: the lease's own fee ratio
    (fee / total), rounded *down* to the currency's minor unit, so the owner never loses to
    rounding and is always paid something for a non-zero part. The whole total gives exactly the
    lease's fee; money refunded to the exporter carries no fee."""
    step = Decimal(1).scaleb(-exponent(lease.currency))
    if owner_part <= 0 or lease.total <= 0:
        return Decimal(0).quantize(step)
    with localcontext() as context:
        context.prec = 60
        share = owner_part * lease.platform_fee / lease.total
    return share.quantize(step, rounding=ROUND_DOWN)


def _found_against_default(outcome: str, dispute: Dispute, owner_part: Decimal, exporter_part: Decimal) -> str:
    """Refund: the owner; release: the exporter; split: the claimant if it got less than half of
    its claim, otherwise the other side (a claim of nothing: neither)."""
    if outcome == Outcome.REFUND:
        return FoundAgainst.OWNER
    if outcome == Outcome.RELEASE:
        return FoundAgainst.EXPORTER
    claimant = dispute.opened_by_side
    got = exporter_part if claimant == Side.EXPORTER else owner_part
    if dispute.claimed_amount <= 0:
        return FoundAgainst.NEITHER
    lost = got * 2 < dispute.claimed_amount
    other = FoundAgainst.OWNER if claimant == Side.EXPORTER else FoundAgainst.EXPORTER
    return claimant if lost else other


def _split_parts(
    owner_part: Decimal | None, exporter_part: Decimal | None, held: Decimal, currency: str
) -> tuple[Decimal, Decimal]:
    if owner_part is None or exporter_part is None:
        raise SettlementInvalid(_("Give both parts of the split: to the owner and to the exporter."))
    owner, exporter = Decimal(owner_part), Decimal(exporter_part)
    for label, part in ((_("The owner's part"), owner), (_("The exporter's part"), exporter)):
        if part < 0:
            raise SettlementInvalid(_("%(part)s cannot be negative.") % {"part": label})
        if quantize(part, currency) != part:
            raise SettlementInvalid(
                _("%(part)s %(amount)s has more decimals than %(currency)s allows.")
                % {"part": label, "amount": part, "currency": currency}
            )
    if owner + exporter != held:
        raise SettlementInvalid(
            _("The parts add up to %(total)s, but escrow holds %(held)s: they must add up exactly. Nothing was moved.")
            % {"total": format_money(owner + exporter, currency), "held": format_money(held, currency)}
        )
    return owner, exporter


def settlement_plan(
    *,
    dispute: Dispute,
    lease: Lease,
    held: Decimal,
    outcome: str,
    owner_part: Decimal | None = None,
    exporter_part: Decimal | None = None,
    found_against: str | None = None,
) -> Settlement:
    """Work out (without writing) what a resolution moves; raises SettlementInvalid with a message
    staff can act on. Refund and release take everything held; a split's two parts must add up
    exactly to ``held``; a finding is only for a dispute where nothing is held."""
    currency = lease.currency
    zero = Decimal(0).quantize(Decimal(1).scaleb(-exponent(currency)))
    if found_against is not None and found_against not in FoundAgainst.values:
        raise SettlementInvalid(_("Say whom the decision goes against: the owner, the exporter, or neither."))
    if outcome == Outcome.FINDING:
        if held > 0:
            raise SettlementInvalid(
                _("Escrow still holds %(amount)s: decide a refund, a release or a split.")
                % {"amount": format_money(held, currency)}
            )
        if not found_against:
            raise SettlementInvalid(_("Say whom the finding goes against: the owner, the exporter, or neither."))
        return Settlement(outcome, currency, held, zero, zero, zero, found_against, S.ACTIVE)
    if outcome not in (Outcome.REFUND, Outcome.RELEASE, Outcome.SPLIT):
        raise SettlementInvalid(_("Choose a refund, a release, a split or a finding."))
    if held <= 0:
        raise SettlementInvalid(_("Nothing is held in escrow for this lease any more: record a finding instead."))
    if outcome == Outcome.REFUND:
        owner, exporter = zero, held
    elif outcome == Outcome.RELEASE:
        owner, exporter = held, zero
    else:
        owner, exporter = _split_parts(owner_part, exporter_part, held, currency)
    return Settlement(
        outcome=outcome,
        currency=currency,
        held=held,
        owner_part=owner,
        exporter_part=exporter,
        platform_fee=fee_share(owner_part=owner, lease=lease),
        found_against=found_against or _found_against_default(outcome, dispute, owner, exporter),
        lease_to=S.CANCELLED if outcome == Outcome.REFUND else S.ACTIVE,
    )


def dispute_resolve(
    *,
    dispute: Dispute,
    by: User,
    outcome: str,
    note: str,
    owner_part: Decimal | None = None,
    exporter_part: Decimal | None = None,
    found_against: str | None = None,
) -> Resolution:
    """Staff decide an open dispute (see ``settlement_plan``).

    Locks listing → lease → escrow → dispute; settles what escrow holds (``lease_settle``: the
    refund and/or the release), moves the lease on (a full refund cancels it and frees its
    capacity; otherwise it continues, ``active``), records the resolution, audit-logs and emails
    both sides. The processor refund and transfer run after commit. Amounts that do not fit
    raise SettlementInvalid and nothing moves.
    """
    staff_require(by)
    note = note.strip()
    if not note:
        raise DisputeInputInvalid(_("Explain the decision: both sides read it."))
    with transaction.atomic():
        locked = leasing_services.lease_lock(dispute.lease)
        dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
        lease, escrow = locked.lease, locked.escrow
        if not dispute.is_open:
            raise DisputeInvalid(_("This dispute is already resolved."))
        if lease.state != S.DISPUTED:
            raise InvalidTransition(
                _("Lease #%(lease)s is %(state)s, not disputed.")
                % {"lease": lease.pk, "state": str(S(lease.state).label).lower()}
            )
        held = ledger.escrow_held(escrow) if escrow else Decimal(0)
        plan = settlement_plan(
            dispute=dispute,
            lease=lease,
            held=held,
            outcome=outcome,
            owner_part=owner_part,
            exporter_part=exporter_part,
            found_against=found_against,
        )
        refund, payout = lease_settle(
            locked=locked,
            exporter_part=plan.exporter_part,
            owner_net=plan.owner_net,
            platform_fee=plan.platform_fee,
            reason=f"dispute #{dispute.pk}: {Outcome(plan.outcome).label.lower()}",
            key=f"escrow:{escrow.pk}:dispute:{dispute.pk}:refund" if escrow else "",
        )
        summary = plan.summary()
        leasing_services.lease_transition(
            lease=lease, to=plan.lease_to, by=by, note=f"Dispute #{dispute.pk} resolved: {summary}", notify=False
        )
        resolution = Resolution.objects.create(
            dispute=dispute,
            outcome=plan.outcome,
            currency=plan.currency,
            held=plan.held,
            owner_part=plan.owner_part,
            exporter_part=plan.exporter_part,
            platform_fee=plan.platform_fee,
            found_against=plan.found_against,
            lease_state_after=plan.lease_to,
            note=note,
            decided_by=by,
            payout=payout,
            refund=refund,
        )
        dispute.state = DisputeState.RESOLVED
        dispute.resolved_at = timezone.now()
        dispute.save(update_fields=["state", "resolved_at"])
        dispute_changed.send(
            sender=Dispute, dispute=dispute, from_state=DisputeState.OPEN, to_state=dispute.state, by=by
        )
        audit_record(
            actor=by,
            action="dispute.resolve",
            obj=dispute,
            before={"state": DisputeState.OPEN, "lease_state": S.DISPUTED, "held": held},
            after={
                "state": DisputeState.RESOLVED,
                "lease_state": plan.lease_to,
                "outcome": plan.outcome,
                "owner_part": plan.owner_part,
                "exporter_part": plan.exporter_part,
                "platform_fee": plan.platform_fee,
                "found_against": plan.found_against,
                "note": note[:500],
            },
        )
        texts = MESSAGES["dispute_resolved"]
        dispute_notify(
            dispute,
            subject=texts["subject"],
            lines=[
                lazy_format(texts["decision"], outcome=Outcome(plan.outcome).label, summary=summary),
                lazy_format(texts["why"], note=note),
                texts["continues"] if plan.lease_to == S.ACTIVE else texts["cancelled"],
            ],
        )
        rating.ratings_recompute_later([lease.exporter, lease.owner])
    return resolution

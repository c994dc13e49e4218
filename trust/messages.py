"""The texts of trust's emails, one table entry per step (``trust.notifications.trust_notify``
sends them). Every text is lazy and filled with ``common.i18n.lazy_format`` when it is rendered, so each
recipient reads it in their own language. A plural text names its number ``count``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# step -> its texts: "subject", "action" (the link's label) and the lines, by name.
MESSAGES: dict[str, dict[str, StrOrPromise]] = {
    "verification_submitted": {
        "subject": _("We received %(organisation)s's verification request"),
        "documents": ngettext_lazy(
            "Wareshare staff will check %(legal_name)s (%(number)s) and %(count)s document, "
            "usually within one working day.",
            "Wareshare staff will check %(legal_name)s (%(number)s) and %(count)s documents, "
            "usually within one working day.",
            "count",
        ),
        "meanwhile": _(
            "You can browse and draft listings meanwhile; requesting, accepting and paying open once verified."
        ),
        "action": _("See your verification"),
    },
    "verification_approved": {
        "subject": _("%(organisation)s is verified"),
        "effect": _("Wareshare checked your details and documents. You can now request, accept and pay for leases."),
        "action": _("Open Wareshare"),
    },
    "verification_rejected": {
        "subject": _("%(organisation)s could not be verified yet"),
        "reason": _("Reason: %(reason)s"),
        "next": _("Correct the details or documents and submit again."),
        "action": _("Submit again"),
    },
    "blacklist_added": {
        "subject": _("%(organisation)s has been blacklisted"),
        "reason": _("Reason: %(reason)s"),
        "effect_until": _(
            "From now until %(date)s, %(organisation)s cannot request, accept, pay for or take over leases, "
            "and its listings do not appear in search. Leases already paid continue."
        ),
        "effect": _(
            "From now until further notice, %(organisation)s cannot request, accept, pay for or take over "
            "leases, and its listings do not appear in search. Leases already paid continue."
        ),
        "contest": _("Reply to this email to contest the decision."),
        "action": _("See your profile"),
    },
    "blacklist_lifted": {
        "subject": _("%(organisation)s is no longer blacklisted"),
        "effect": _("You can request, accept and pay for leases again, and your listings are back in search."),
        "action": _("Open Wareshare"),
    },
    # Every dispute email: its own subject goes into this one, and the link opens the thread.
    "dispute": {
        "subject": _("%(subject)s — lease #%(lease)s"),
        "action": _("Open the dispute"),
    },
    "dispute_opened": {
        "subject": _("%(organisation)s opened a dispute"),
        "about": _("About: %(kind)s. Claimed: %(amount)s."),
        "held": _("Escrow holds %(amount)s; it stays there until Wareshare decides."),
        "nothing_held": _(
            "Nothing is held in escrow any more: Wareshare will record a finding, which counts in "
            "both ratings, but cannot move money."
        ),
        "evidence": _("Add your evidence (messages, photos, documents) to the thread."),
    },
    "dispute_message": {
        "subject_staff": _("Wareshare wrote in your dispute"),
        "subject": _("New evidence in a dispute"),
        "author_files": _("%(author)s (%(files)s):"),
        "files": ngettext_lazy("%(count)s file attached", "%(count)s files attached", "count"),
        "author": _("%(author)s:"),
        "files_only": _("(files only)"),
    },
    "dispute_resolved": {
        "subject": _("Wareshare resolved the dispute"),
        "decision": _("Decision: %(outcome)s — %(summary)s."),
        "why": _("Why: %(note)s"),
        "continues": _("The lease continues."),
        "cancelled": _("The lease is cancelled."),
    },
    "review_received": {
        "subject": _("%(organisation)s reviewed you"),
        "stars": _("%(stars)s for lease #%(lease)s"),
        "action": _("See your profile"),
    },
}

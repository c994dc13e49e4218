"""Escrow rows a test may build directly.

Money rows (escrows, payments, payouts, refunds, postings) are not here on purpose: the tests get
them by walking leases through the real services (``tests.leasing.factories.Parties``), so the
ledger always agrees with them. A payout account holds no money; tests that take an owner's account
away and give it back build one here.
"""

import factory
from factory.django import DjangoModelFactory

from escrow.models import PayoutAccount
from tests.accounts.factories import OwnerOrganisationFactory


class PayoutAccountFactory(DjangoModelFactory):
    """A simulated payout account, ready for payouts: the row ``payout_account_connect_simulated`` writes."""

    class Meta:
        model = PayoutAccount

    organisation = factory.SubFactory(OwnerOrganisationFactory)
    gateway = "simulated"
    account_id = factory.LazyAttribute(lambda o: f"sim_acct_{o.organisation.pk}")
    payouts_enabled = True
    requirements = factory.LazyFunction(list)
    holder_name = factory.LazyAttribute(lambda o: o.organisation.name)
    iban_last4 = "4300"  # NL91 ABNA 0417 1643 00

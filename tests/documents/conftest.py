"""The fake Stripe of tests/escrow, for the documents of a payment that arrives twice."""

from tests.escrow.conftest import fake_stripe, stripe_gateway, stripe_mode

__all__ = ["fake_stripe", "stripe_gateway", "stripe_mode"]

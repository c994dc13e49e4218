"""Payment processors behind one interface. ``get_gateway()`` picks Stripe when a secret key is
configured and the simulated gateway otherwise; only ``escrow/gateways/stripe.py`` imports stripe."""

from functools import cache

from django.conf import settings

from .base import Gateway


@cache
def gateway_for(name: str) -> Gateway:
    """The gateway called ``name`` ("stripe" or "simulated"), built once per process."""
    if name == "stripe":
        from .stripe import StripeGateway

        return StripeGateway(api_key=settings.STRIPE_SECRET_KEY, webhook_secret=settings.STRIPE_WEBHOOK_SECRET)
    from .simulated import SimulatedGateway

    return SimulatedGateway()


def gateway_name() -> str:
    return "stripe" if settings.STRIPE_SECRET_KEY else "simulated"


def get_gateway() -> Gateway:
    return gateway_for(gateway_name())

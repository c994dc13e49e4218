from common.exceptions import ApplicationError


class PaymentDeclined(ApplicationError):
    """The card or bank said no. Nothing was charged; the payer can try another method."""

    code = "payment_declined"
    status = 402


class GatewayUnavailable(ApplicationError):
    """The processor failed (5xx) or did not answer (timeout). The outcome may be unknown:
    retrying the same business action reuses its idempotency key, so it never charges twice."""

    code = "gateway_unavailable"
    status = 503


class EscrowError(ApplicationError):
    code = "escrow_error"
    status = 409


class LedgerUnbalanced(ApplicationError):
    code = "ledger_unbalanced"
    status = 500


class PayoutAccountMissing(ApplicationError):
    code = "payout_account_missing"
    status = 409


class WebhookInvalid(ApplicationError):
    code = "webhook_invalid"
    status = 400


class PayoutCountryUnsupported(ApplicationError):
    """The processor cannot pay an owner in this country from the platform's (payout_countries.py):
    the owner is offered a bank transfer instead."""

    code = "payout_country_unsupported"
    status = 400


class AuthenticationRequired(PaymentDeclined):
    """An off-session charge the bank wants the cardholder to authenticate (Stripe's
    ``authentication_required`` decline): nothing was charged; the payer must pay by hand."""

    code = "authentication_required"

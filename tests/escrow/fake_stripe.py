"""An in-process fake of Stripe's HTTP API, plugged in as the SDK's HTTP client.

The SDK builds real requests (form encoding, headers, idempotency keys) and parses real-shaped
JSON answers, so the gateway is tested through the SDK exactly as it talks to Stripe, with no
network. Only the endpoints the gateway uses exist; anything else answers 404.

    fake = FakeStripe()
    gateway = StripeGateway(api_key="sk_test_fake", webhook_secret="whsec_test", http_client=fake)

Card tokens: ``pm_card_visa`` (and any other ``pm_card_*``) succeeds; the ``*chargeDeclined*``
tokens below answer 402 ``card_error``; ``pm_card_authenticationRequired`` leaves the
PaymentIntent in ``requires_action``; anything not starting with ``pm_card_`` is 400 "No such
PaymentMethod".

Idempotency is Stripe's: a POST whose ``Idempotency-Key`` was seen before gets the stored answer
(status and body, header ``Idempotent-Replayed: true``) and changes nothing; the same key on a
different endpoint or with different parameters is a 400 ``idempotency_error``. Successes and
card declines are stored; validation errors and injected 5xx are not.

Faults: ``fail_next(n, status)`` answers the next n requests with an error status without applying
them; ``timeout_next(n, applied=...)`` raises ``stripe.APIConnectionError`` (what a timeout looks
like to the SDK) before or after applying the request.

Lists: ``GET /v1/charges`` (``transfer_group``, ``payment_intent``), ``/v1/refunds`` (``charge``),
``/v1/transfers`` (``transfer_group``), ``/v1/transfers/<id>/reversals``, ``/v1/disputes``
(``charge``), newest first, paged with ``limit`` and ``starting_after`` like Stripe's.

Saved cards: ``POST /v1/customers``; a PaymentIntent with ``customer`` and
``setup_future_usage=off_session`` attaches its card to the customer once it succeeds (at once, or
after 3-D Secure); one with ``off_session=true`` needs a card attached to its ``customer`` (else 400),
never asks for 3-D Secure: an ``AUTHENTICATION_REQUIRED`` card (or one set by
``card_fail(pm, "authentication_required")``) answers 402 ``authentication_required`` and the intent
is left ``requires_payment_method``. ``card_fail(pm, "card_declined")``: a saved card that worked
starts declining (expired, cancelled); ``card_fail(pm, None)`` heals it.

What happens at Stripe without a request (tests drive it): ``authenticate(pi, succeed=...)`` (the
browser finished 3-D Secure), ``dispute_create(ch)`` / ``dispute_close(dp, "won" | "lost")`` (a
cardholder's chargeback; the platform balance is debited the amount and the dispute fee
(``DISPUTE_FEES``) at creation, as a balance transaction on the dispute, and credited the amount
back if won, the fee too if ``dispute_fee_returned_on_win``),
``account_set(acct, payouts_enabled=...)``, ``complete_onboarding(acct)``.

Events: every change appends a snapshot event to ``events`` (``payment_intent.succeeded``,
``payment_intent.payment_failed``, ``charge.refunded``, ``transfer.created``, ``transfer.reversed``,
``charge.dispute.created`` / ``closed`` / ``funds_withdrawn`` / ``funds_reinstated``,
``account.updated``); ``webhook(event)`` gives the body and a valid ``Stripe-Signature`` for it.
``balance(currency)`` is the platform balance in minor units (charges − refunds − transfers +
reversals − disputed funds − dispute fees), without charge processing fees.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import stripe

Obj = dict[str, Any]

# token -> (error code, decline code, message), as Stripe's test payment methods answer
DECLINES: dict[str, tuple[str, str, str]] = {
    "pm_card_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_visa_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_visa_chargeDeclinedInsufficientFunds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", "expired_card", "Your card has expired."),
    "pm_card_chargeDeclinedIncorrectCvc": (
        "incorrect_cvc",
        "incorrect_cvc",
        "Your card's security code is incorrect.",
    ),
}
AUTHENTICATION_REQUIRED = frozenset({"pm_card_authenticationRequired", "pm_card_threeDSecure2Required"})
# The fake's dispute fee per settlement currency, in minor units (any other currency: 1500).
DISPUTE_FEES: dict[str, int] = {"usd": 1500, "eur": 2000, "gbp": 2000}
ONBOARDING_DUE = ["business_type", "external_account", "tos_acceptance.date", "tos_acceptance.ip"]


class FakeRequest(NamedTuple):
    """One request as it reached the fake. ``params`` are the decoded form (or query) fields,
    nested (``metadata[lease]`` -> ``{"metadata": {"lease": ...}}``) and still strings, as on the wire."""

    method: str  # "POST", "GET"
    path: str  # "/v1/payment_intents"
    params: dict[str, Any]
    idempotency_key: str | None


class _Answer(NamedTuple):
    status: int
    body: Obj


class _StripeError(Exception):
    def __init__(self, status: int, error: Obj) -> None:
        super().__init__(error.get("message", ""))
        self.answer = _Answer(status, {"error": error})


class FakeStripe(stripe.HTTPClient):
    name = "fake"

    def __init__(self, *, accounts_onboarded: bool = False) -> None:
        """``accounts_onboarded``: new connected accounts start with payouts enabled and nothing due
        (otherwise they start as Stripe's do: payouts disabled, onboarding requirements due)."""
        super().__init__()
        self.accounts_onboarded = accounts_onboarded
        self.requests: list[FakeRequest] = []
        self.payment_intents: list[Obj] = []
        self.charges: list[Obj] = []
        self.refunds: list[Obj] = []
        self.transfers: list[Obj] = []
        self.reversals: list[Obj] = []
        self.accounts: list[Obj] = []
        self.account_links: list[Obj] = []
        self.disputes: list[Obj] = []
        self.customers: list[Obj] = []
        self.attached: dict[str, str] = {}  # payment method -> the customer it is saved on
        self.card_failures: dict[str, str] = {}  # payment method -> decline code from now on
        self.events: list[Obj] = []
        self.webhook_secret = "whsec_test"
        # Stripe returns the dispute fee of a won dispute in some regions and times, not in others:
        # today's rule (support.stripe.com) is that the "dispute received" fee is kept.
        self.dispute_fee_returned_on_win = False
        self._objects: dict[str, Obj] = {}
        self._idempotent: dict[str, tuple[str, dict[str, Any], _Answer]] = {}
        self._faults: list[tuple[str, int | bool]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Obj]]] = [
            ("POST", re.compile(r"/v1/payment_intents"), self._payment_intent_create),
            ("POST", re.compile(r"/v1/payment_intents/(?P<id>[^/]+)/cancel"), self._payment_intent_cancel),
            ("POST", re.compile(r"/v1/transfers"), self._transfer_create),
            ("POST", re.compile(r"/v1/transfers/(?P<id>[^/]+)/reversals"), self._reversal_create),
            ("POST", re.compile(r"/v1/refunds"), self._refund_create),
            ("POST", re.compile(r"/v1/accounts"), self._account_create),
            ("POST", re.compile(r"/v1/customers"), self._customer_create),
            ("POST", re.compile(r"/v1/account_links"), self._account_link_create),
            (
                "GET",
                re.compile(r"/v1/(payment_intents|charges|refunds|transfers|accounts|disputes)/(?P<id>[^/]+)"),
                self._get,
            ),
            ("GET", re.compile(r"/v1/charges"), self._list_charges),
            ("GET", re.compile(r"/v1/refunds"), self._list_refunds),
            ("GET", re.compile(r"/v1/transfers"), self._list_transfers),
            ("GET", re.compile(r"/v1/transfers/(?P<id>[^/]+)/reversals"), self._list_reversals),
            ("GET", re.compile(r"/v1/disputes"), self._list_disputes),
        ]

    # -- faults and helpers for tests -----------------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """The next ``n`` requests answer ``status`` with an ``api_error`` body, without being applied."""
        self._faults.extend([("fail", status)] * n)

    def timeout_next(self, n: int = 1, applied: bool = False) -> None:
        """The next ``n`` requests raise ``stripe.APIConnectionError``. ``applied=True``: the request
        took effect (and its answer was stored under its idempotency key) but the answer was lost."""
        self._faults.extend([("timeout", applied)] * n)

    def clear_faults(self) -> list[tuple[str, int | bool]]:
        """Drop the faults no request consumed; returns them."""
        left, self._faults = self._faults, []
        return left

    def get(self, object_id: str) -> Obj:
        """Any stored object by id (``pi_``, ``ch_``, ``re_``, ``tr_``, ``trr_``, ``acct_``)."""
        return self._objects[object_id]

    @property
    def succeeded_charges(self) -> list[Obj]:
        return [charge for charge in self.charges if charge["status"] == "succeeded"]

    def add_account(self, *, payouts_enabled: bool = True, country: str = "DE", email: str = "") -> str:
        """Seed a connected account directly (no request recorded); returns its id."""
        account = self._new_account(country=country, email=email, onboarded=payouts_enabled)
        return str(account["id"])

    def complete_onboarding(self, account_id: str) -> None:
        """What happens when the owner finishes Stripe's hosted onboarding."""
        with self._lock:
            _onboard(self._objects[account_id])
            self._emit("account.updated", self._objects[account_id])

    def account_set(self, account_id: str, *, payouts_enabled: bool) -> None:
        """Stripe enables or disables an account's payouts (onboarding done, or new requirements due)."""
        with self._lock:
            account = self._objects[account_id]
            if payouts_enabled:
                _onboard(account)
            else:
                account.update(payouts_enabled=False)
                account["capabilities"] = {**account["capabilities"], "transfers": "inactive"}
                account["requirements"] = {
                    "currently_due": ["individual.verification.document"],
                    "eventually_due": ["individual.verification.document"],
                    "past_due": ["individual.verification.document"],
                    "disabled_reason": "requirements.past_due",
                }
            self._emit("account.updated", account)

    def card_fail(self, payment_method: str, code: str | None) -> None:
        """From now on ``payment_method`` is declined with ``code`` ("card_declined",
        "authentication_required"), or (None) works again."""
        with self._lock:
            if code is None:
                self.card_failures.pop(payment_method, None)
            else:
                self.card_failures[payment_method] = code

    def authenticate(self, intent_id: str, *, succeed: bool = True) -> Obj:
        """The payer finished (or failed) 3-D Secure in the browser for a ``requires_action`` intent."""
        with self._lock:
            intent = self._objects[intent_id]
            if intent["status"] != "requires_action":
                return intent  # cancelled meanwhile: the challenge no longer completes anything
            intent["next_action"] = None
            if not succeed:
                error = _error(
                    "card_error",
                    "We are unable to authenticate your payment method. Please choose a different payment "
                    "method and try again.",
                    "payment_intent_authentication_failure",
                )
                intent.update(status="requires_payment_method", last_payment_error=error)
                self._emit("payment_intent.payment_failed", intent)
                return intent
            charge = self._charge_create(intent)
            intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=charge["id"])
            self._attach_if_saving(intent)
            self._emit("payment_intent.succeeded", intent)
            return intent

    def confirm_again(self, intent_id: str) -> Obj:
        """The payer confirms an intent whose 3-D Secure failed once more from the browser (Stripe.js
        with its client secret; Stripe allows it while the intent ``requires_payment_method``), and
        this time it succeeds: a late success for an attempt Wareshare already recorded as failed."""
        with self._lock:
            intent = self._objects[intent_id]
            if intent["status"] != "requires_payment_method":
                return intent
            charge = self._charge_create(intent)
            intent.update(
                status="succeeded",
                amount_received=intent["amount"],
                latest_charge=charge["id"],
                last_payment_error=None,
            )
            self._emit("payment_intent.succeeded", intent)
            return intent

    def dispute_create(self, charge_id: str, *, amount: int | None = None, reason: str = "fraudulent") -> Obj:
        """The cardholder disputes a charge: Stripe debits the disputed amount and its dispute fee
        (``DISPUTE_FEES``, in the charge's currency) from the platform at once, as one balance
        transaction on the dispute (``fee``, ``fee_details`` of type ``stripe_fee``)."""
        with self._lock:
            charge = self._objects[charge_id]
            dispute_amount = amount if amount is not None else charge["amount"] - charge["amount_refunded"]
            dispute_id = self._new_id("dp")
            fee = dispute_fee(charge["currency"])
            withdrawal = self._balance_transaction(
                dispute_id, -dispute_amount, fee, charge["currency"], f"Chargeback withdrawal for {charge['id']}"
            )
            dispute = self._store(
                self.disputes,
                {
                    "id": dispute_id,
                    "object": "dispute",
                    "amount": dispute_amount,
                    "balance_transactions": [withdrawal],
                    "currency": charge["currency"],
                    "charge": charge["id"],
                    "payment_intent": charge["payment_intent"],
                    "reason": reason,
                    "status": "needs_response",
                    "is_charge_refundable": False,
                    "created": int(time.time()),
                    "livemode": False,
                },
            )
            charge["disputed"] = True
            self._emit("charge.dispute.created", dispute)
            self._emit("charge.dispute.funds_withdrawn", dispute)
            return dispute

    def dispute_close(self, dispute_id: str, status: str) -> Obj:
        """The card network decides: ``won`` (funds reinstated; the dispute fee too if
        ``dispute_fee_returned_on_win``) or ``lost`` (the money stays with the cardholder)."""
        assert status in ("won", "lost")
        with self._lock:
            dispute = self._objects[dispute_id]
            assert dispute["status"] not in ("won", "lost"), "a dispute closes once"
            dispute["status"] = status
            if status == "won":
                fee = dispute_fee(dispute["currency"]) if self.dispute_fee_returned_on_win else 0
                dispute["balance_transactions"].append(
                    self._balance_transaction(
                        dispute_id,
                        dispute["amount"],
                        -fee,
                        dispute["currency"],
                        f"Chargeback reversal for {dispute['charge']}",
                    )
                )
                self._emit("charge.dispute.funds_reinstated", dispute)
            self._emit("charge.dispute.closed", dispute)
            return dispute

    def balance(self, currency: str) -> int:
        """The platform's balance in ``currency`` (minor units): charges − refunds − transfers +
        reversals + the net of disputes' balance transactions (disputed funds and dispute fees).
        Charge processing fees are left out."""
        cur = currency.lower()
        total = sum(c["amount_captured"] for c in self.succeeded_charges if c["currency"] == cur)
        total -= sum(r["amount"] for r in self.refunds if r["currency"] == cur)
        total -= sum(t["amount"] for t in self.transfers if t["currency"] == cur)
        total += sum(r["amount"] for r in self.reversals if r["currency"] == cur)
        total += sum(txn["net"] for d in self.disputes for txn in d["balance_transactions"] if txn["currency"] == cur)
        return total

    def _balance_transaction(self, dispute_id: str, amount: int, fee: int, currency: str, description: str) -> Obj:
        now = int(time.time())
        fee_details = (
            [
                {
                    "amount": fee,
                    "application": None,
                    "currency": currency,
                    "description": "Dispute fee",
                    "type": "stripe_fee",
                }
            ]
            if fee
            else []
        )
        return {
            "id": self._new_id("txn"),
            "object": "balance_transaction",
            "amount": amount,
            "available_on": now,
            "created": now,
            "currency": currency,
            "description": description,
            "fee": fee,
            "fee_details": fee_details,
            "net": amount - fee,
            "reporting_category": "dispute" if amount < 0 else "dispute_reversal",
            "source": dispute_id,
            "status": "available",
            "type": "adjustment",
        }

    def webhook(self, event: Obj, *, timestamp: int | None = None) -> tuple[bytes, str]:
        """The body Stripe would POST for ``event`` and a valid ``Stripe-Signature`` header for it."""
        payload = json.dumps(event).encode()
        return payload, sign_webhook(payload, self.webhook_secret, timestamp)

    def _emit(self, event_type: str, obj: Obj) -> None:
        self.events.append(
            {
                "id": self._new_id("evt"),
                "object": "event",
                "type": event_type,
                "api_version": "2025-01-27.acacia",
                "created": int(time.time()),
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "data": {"object": copy.deepcopy(obj)},
            }
        )

    # -- stripe.HTTPClient ---------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, dict[str, str]]:
        with self._lock:
            split = urlsplit(url)
            method = method.upper()
            if isinstance(post_data, bytes):
                post_data = post_data.decode()
            params = _unflatten(parse_qsl(post_data if method == "POST" else split.query, keep_blank_values=True))
            key = (headers or {}).get("Idempotency-Key")
            self.requests.append(FakeRequest(method, split.path, params, key))
            kind, value = self._faults.pop(0) if self._faults else ("", False)
            if kind == "fail":
                error = {"type": "api_error", "message": "Something went wrong on Stripe's end. (fake)"}
                return self._wire(_Answer(int(value), {"error": error}), key)
            if kind == "timeout" and not value:
                raise _timeout()
            answer, replayed = self._answer(method, split.path, params, key)
            if kind == "timeout":
                raise _timeout()
            return self._wire(answer, key, replayed=replayed)

    def request_stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        raise NotImplementedError("FakeStripe does not stream")

    def close(self) -> None:
        pass

    # -- dispatch and idempotency ----------------------------------------------------------------

    def _answer(self, method: str, path: str, params: dict[str, Any], key: str | None) -> tuple[_Answer, bool]:
        endpoint = f"{method} {path}"
        if method == "POST" and key and key in self._idempotent:
            first_endpoint, first_params, answer = self._idempotent[key]
            if first_endpoint != endpoint:
                return _idempotency_error(key, "for the same endpoint they were first used for"), False
            if first_params != params:
                return _idempotency_error(key, "with the same parameters they were first used with"), False
            return answer, True
        answer = self._dispatch(method, path, params)
        if method == "POST" and key and (answer.status < 400 or answer.status == 402):
            # a snapshot: a replay answers what the first request answered, not today's state
            self._idempotent[key] = (endpoint, params, copy.deepcopy(answer))
        return answer, False

    def _dispatch(self, method: str, path: str, params: dict[str, Any]) -> _Answer:
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if route_method == method and match:
                try:
                    return _Answer(200, handler(params, **match.groupdict()))
                except _StripeError as exc:
                    return exc.answer
        error = _invalid(f"Unrecognized request URL ({method}: {path}).")
        return _Answer(404, error)

    def _wire(self, answer: _Answer, key: str | None, *, replayed: bool = False) -> tuple[str, int, dict[str, str]]:
        headers = {"Content-Type": "application/json", "Request-Id": f"req_fake{next(self._ids)}"}
        if key:
            headers["Idempotency-Key"] = key
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return json.dumps(answer.body), answer.status, headers

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    def _store(self, collection: list[Obj], obj: Obj) -> Obj:
        collection.append(obj)
        self._objects[obj["id"]] = obj
        return obj

    def _find(self, object_id: str, object_type: str, param: str) -> Obj:
        obj = self._objects.get(object_id)
        if obj is None or obj["object"] != object_type:
            raise _StripeError(
                400 if param else 404,
                _error("invalid_request_error", f"No such {object_type}: '{object_id}'", "resource_missing", param),
            )
        return obj

    # -- endpoints ---------------------------------------------------------------------------------

    def _payment_intent_create(self, params: dict[str, Any]) -> Obj:
        amount = _amount(params, required=True)
        currency = _required(params, "currency")
        payment_method = _required(params, "payment_method")
        if not payment_method.startswith("pm_card_"):
            raise _StripeError(
                400,
                _error(
                    "invalid_request_error",
                    f"No such PaymentMethod: '{payment_method}'",
                    "resource_missing",
                    "payment_method",
                ),
            )
        customer = params.get("customer")
        if customer:
            self._find(customer, "customer", "customer")
        off_session = params.get("off_session") == "true"
        if params.get("setup_future_usage") and not customer:
            raise _StripeError(400, _invalid("setup_future_usage needs a customer (fake).", "customer"))
        if off_session and (not customer or self.attached.get(payment_method) != customer):
            raise _StripeError(
                400,
                _invalid(
                    "The provided PaymentMethod was previously used without being attached to a Customer "
                    "or was detached from a Customer, and may not be used again.",
                    "payment_method",
                ),
            )
        intent_id = self._new_id("pi")
        secret = hashlib.sha256(intent_id.encode()).hexdigest()[:16]
        intent = self._store(
            self.payment_intents,
            {
                "id": intent_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_received": 0,
                "currency": currency,
                "status": "requires_confirmation",
                "payment_method": payment_method,
                "capture_method": params.get("capture_method", "automatic"),
                "confirmation_method": "automatic",
                "automatic_payment_methods": _booleans(params.get("automatic_payment_methods")),
                "client_secret": f"{intent_id}_secret_{secret}",
                "description": params.get("description"),
                "metadata": params.get("metadata", {}),
                "transfer_group": params.get("transfer_group"),
                "customer": customer,
                "setup_future_usage": params.get("setup_future_usage"),
                "latest_charge": None,
                "last_payment_error": None,
                "next_action": None,
                "created": int(time.time()),
                "livemode": False,
            },
        )
        if params.get("confirm") != "true":
            return intent
        failure = self.card_failures.get(payment_method)
        if off_session and (payment_method in AUTHENTICATION_REQUIRED or failure == "authentication_required"):
            message = "Your card was declined. This transaction requires authentication."
            error = _error("card_error", message, "authentication_required", "", decline_code="authentication_required")
            intent.update(status="requires_payment_method", last_payment_error=error)
            self._emit("payment_intent.payment_failed", intent)
            raise _StripeError(402, {**error, "payment_intent": intent})
        if failure == "authentication_required":
            intent["status"] = "requires_action"
            intent["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}}
            return intent
        if payment_method in AUTHENTICATION_REQUIRED:
            intent["status"] = "requires_action"
            intent["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}}
            return intent
        charge = self._charge_create(intent)
        intent["latest_charge"] = charge["id"]
        if payment_method in DECLINES or failure:
            code, decline_code, message = DECLINES.get(payment_method) or (
                failure,
                "generic_decline",
                "Your card was declined.",
            )
            charge.update(status="failed", paid=False, captured=False, failure_code=code, failure_message=message)
            error = _error("card_error", message, code, "", decline_code=decline_code, charge=charge["id"])
            intent.update(status="requires_payment_method", last_payment_error=error)
            self._emit("payment_intent.payment_failed", intent)
            raise _StripeError(402, {**error, "payment_intent": intent})
        intent.update(status="succeeded", amount_received=amount)
        self._attach_if_saving(intent)
        self._emit("payment_intent.succeeded", intent)
        return intent

    def _attach_if_saving(self, intent: Obj) -> None:
        if intent.get("setup_future_usage") and intent.get("customer"):
            self.attached[intent["payment_method"]] = intent["customer"]

    def _customer_create(self, params: dict[str, Any]) -> Obj:
        return self._store(
            self.customers,
            {
                "id": self._new_id("cus"),
                "object": "customer",
                "name": params.get("name"),
                "email": params.get("email"),
                "metadata": params.get("metadata", {}),
                "created": int(time.time()),
                "livemode": False,
            },
        )

    def _payment_intent_cancel(self, params: dict[str, Any], id: str) -> Obj:
        intent = self._find(id, "payment_intent", "")
        cancelable = ("requires_payment_method", "requires_confirmation", "requires_action", "requires_capture")
        if intent["status"] not in cancelable:
            raise _StripeError(
                400,
                _error(
                    "invalid_request_error",
                    "You cannot cancel this PaymentIntent because it has a status of "
                    f"{intent['status']}. Only a PaymentIntent with one of the following statuses may be "
                    f"canceled: {', '.join(cancelable)}, processing.",
                    "payment_intent_unexpected_state",
                ),
            )
        intent.update(status="canceled", cancellation_reason=params.get("cancellation_reason"), next_action=None)
        self._emit("payment_intent.canceled", intent)
        return intent

    def _charge_create(self, intent: Obj) -> Obj:
        return self._store(
            self.charges,
            {
                "id": self._new_id("ch"),
                "object": "charge",
                "amount": intent["amount"],
                "amount_captured": intent["amount"],
                "amount_refunded": 0,
                "currency": intent["currency"],
                "status": "succeeded",
                "paid": True,
                "captured": True,
                "refunded": False,
                "disputed": False,
                "payment_intent": intent["id"],
                "payment_method": intent["payment_method"],
                "transfer_group": intent["transfer_group"],
                "balance_transaction": self._new_id("txn"),
                "metadata": intent["metadata"],
                "created": int(time.time()),
                "livemode": False,
            },
        )

    def _transfer_create(self, params: dict[str, Any]) -> Obj:
        amount = _amount(params, required=True)
        currency = _required(params, "currency")
        destination = self._find(_required(params, "destination"), "account", "destination")
        if destination["capabilities"].get("transfers") != "active":
            raise _StripeError(
                400,
                _invalid(
                    "Your destination account needs to have at least one of the following capabilities "
                    "enabled: transfers, crypto_transfers, legacy_payments"
                ),
            )
        source_id = params.get("source_transaction")
        if source_id:
            source = self._find(source_id, "charge", "source_transaction")
            already = sum(t["amount"] for t in self.transfers if t["source_transaction"] == source_id)
            if source["status"] != "succeeded" or source["currency"] != currency:
                raise _StripeError(400, _invalid("The source_transaction cannot fund this transfer."))
            if already + amount > source["amount"]:
                raise _StripeError(
                    400, _invalid("Transfers using this transaction as a source must not exceed the source amount.")
                )
        transfer = self._store(
            self.transfers,
            {
                "id": self._new_id("tr"),
                "object": "transfer",
                "amount": amount,
                "amount_reversed": 0,
                "currency": currency,
                "destination": destination["id"],
                "source_transaction": source_id,
                "transfer_group": params.get("transfer_group"),
                "reversed": False,
                "metadata": params.get("metadata", {}),
                "created": int(time.time()),
                "livemode": False,
            },
        )
        self._emit("transfer.created", transfer)
        return transfer

    def _reversal_create(self, params: dict[str, Any], id: str) -> Obj:
        transfer = self._find(id, "transfer", "")
        remaining = transfer["amount"] - transfer["amount_reversed"]
        amount = _amount(params, required=False) or remaining
        if amount > remaining:
            raise _StripeError(400, _invalid("Amount to reverse exceeds the remaining transfer amount.", "amount"))
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        reversal = self._store(
            self.reversals,
            {
                "id": self._new_id("trr"),
                "object": "transfer_reversal",
                "amount": amount,
                "currency": transfer["currency"],
                "transfer": transfer["id"],
                "metadata": params.get("metadata", {}),
                "created": int(time.time()),
            },
        )
        self._emit("transfer.reversed", transfer)
        return reversal

    def _refund_create(self, params: dict[str, Any]) -> Obj:
        if params.get("charge"):
            charge = self._find(params["charge"], "charge", "charge")
        elif params.get("payment_intent"):
            intent = self._find(params["payment_intent"], "payment_intent", "payment_intent")
            charge = self._find(intent["latest_charge"] or "", "charge", "payment_intent")
        else:
            raise _StripeError(400, _invalid("One of charge or payment_intent is required."))
        if charge["status"] != "succeeded":
            raise _StripeError(400, _invalid(f"Charge {charge['id']} has not succeeded.", "charge"))
        if any(d["charge"] == charge["id"] and d["status"] != "won" for d in self.disputes):
            raise _StripeError(
                400,
                _error(
                    "invalid_request_error",
                    f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                    "charge_disputed",
                ),
            )
        remaining = charge["amount"] - charge["amount_refunded"]
        amount = _amount(params, required=False) or remaining
        if remaining == 0:
            raise _StripeError(
                400,
                _error(
                    "invalid_request_error",
                    f"Charge {charge['id']} has already been refunded.",
                    "charge_already_refunded",
                ),
            )
        if amount > remaining:
            raise _StripeError(
                400,
                _invalid(
                    f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})", "amount"
                ),
            )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = self._store(
            self.refunds,
            {
                "id": self._new_id("re"),
                "object": "refund",
                "amount": amount,
                "currency": charge["currency"],
                "charge": charge["id"],
                "payment_intent": charge["payment_intent"],
                "status": "succeeded",
                "metadata": params.get("metadata", {}),
                "created": int(time.time()),
            },
        )
        self._emit("charge.refunded", charge)
        return refund

    def _account_create(self, params: dict[str, Any]) -> Obj:
        requested = sorted(
            name for name, value in params.get("capabilities", {}).items() if value.get("requested") == "true"
        )
        agreement = params.get("tos_acceptance", {}).get("service_agreement", "full")
        if agreement == "recipient" and "card_payments" in requested:
            # Stripe: a recipient account cannot process payments (connect/service-agreement-types)
            raise _StripeError(
                400,
                _invalid(
                    "The `card_payments` capability cannot be requested for accounts under the recipient "
                    "service agreement.",
                    "capabilities",
                ),
            )
        account = self._new_account(
            country=params.get("country", "US"), email=params.get("email", ""), onboarded=self.accounts_onboarded
        )
        account["type"] = params.get("type", "standard")
        account["requested_capabilities"] = requested
        account["tos_acceptance"] = {"service_agreement": agreement}
        if "card_payments" not in requested:
            account["capabilities"].pop("card_payments", None)
        if self.accounts_onboarded:
            _onboard(account)  # again, now that the agreement is known
        return account

    def _new_account(self, *, country: str, email: str, onboarded: bool) -> Obj:
        account = self._store(
            self.accounts,
            {
                "id": self._new_id("acct"),
                "object": "account",
                "type": "express",
                "country": country,
                "email": email,
                "charges_enabled": False,
                "payouts_enabled": False,
                "details_submitted": False,
                "capabilities": {"card_payments": "inactive", "transfers": "inactive"},
                "requirements": {
                    "currently_due": list(ONBOARDING_DUE),
                    "eventually_due": list(ONBOARDING_DUE),
                    "past_due": [],
                    "disabled_reason": "requirements.past_due",
                },
                "created": int(time.time()),
            },
        )
        if onboarded:
            _onboard(account)
        return account

    def _account_link_create(self, params: dict[str, Any]) -> Obj:
        account = self._find(_required(params, "account"), "account", "account")
        link_type = _required(params, "type")
        if link_type not in ("account_onboarding", "account_update"):
            raise _StripeError(400, _invalid(f"Invalid type: {link_type}", "type"))
        now = int(time.time())
        link = {
            "object": "account_link",
            "url": f"https://connect.stripe.com/setup/e/{account['id']}/fake{next(self._ids)}",
            "created": now,
            "expires_at": now + 300,
            # not in Stripe's answer: kept so tests can check what was asked for
            "account": account["id"],
            "type": link_type,
            "refresh_url": params.get("refresh_url"),
            "return_url": params.get("return_url"),
        }
        self.account_links.append(link)
        return link

    def _get(self, params: dict[str, Any], id: str) -> Obj:
        obj = self._objects.get(id)
        if obj is None:
            raise _StripeError(404, _invalid(f"No such object: '{id}'", "id", code="resource_missing"))
        return obj

    def _list_charges(self, params: dict[str, Any]) -> Obj:
        return _page("/v1/charges", self.charges, params, ("transfer_group", "payment_intent"))

    def _list_refunds(self, params: dict[str, Any]) -> Obj:
        return _page("/v1/refunds", self.refunds, params, ("charge", "payment_intent"))

    def _list_transfers(self, params: dict[str, Any]) -> Obj:
        return _page("/v1/transfers", self.transfers, params, ("transfer_group", "destination"))

    def _list_reversals(self, params: dict[str, Any], id: str) -> Obj:
        transfer = self._find(id, "transfer", "")
        reversals = [r for r in self.reversals if r["transfer"] == transfer["id"]]
        return _page(f"/v1/transfers/{id}/reversals", reversals, params, ())

    def _list_disputes(self, params: dict[str, Any]) -> Obj:
        return _page("/v1/disputes", self.disputes, params, ("charge", "payment_intent"))


def dispute_fee(currency: str) -> int:
    """The fake's dispute fee in ``currency`` (minor units)."""
    return DISPUTE_FEES.get(currency.lower(), 1500)


def sign_webhook(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A valid ``Stripe-Signature`` header: ``t=<unix time>,v1=<HMAC-SHA256 of "t.payload">``."""
    t = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={signature}"


def event_payload(event_type: str, data_object: Obj, *, event_id: str = "evt_fake1") -> bytes:
    """The raw body of a Stripe (API version 2025+) snapshot webhook event."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": data_object},
        }
    ).encode()


# -- wire helpers --------------------------------------------------------------------------------


def _page(url: str, collection: list[Obj], params: dict[str, Any], filters: tuple[str, ...]) -> Obj:
    """A Stripe list: newest first, ``limit`` (1–100, default 10), ``starting_after`` an id."""
    unknown = set(params) - set(filters) - {"limit", "starting_after", "expand"}
    if unknown:
        raise _StripeError(400, _invalid(f"Received unknown parameter: {sorted(unknown)[0]}", sorted(unknown)[0]))
    items = [
        obj for obj in reversed(collection) if all(obj.get(name) == params[name] for name in filters if name in params)
    ]
    limit = int(params.get("limit", 10))
    if not 1 <= limit <= 100:
        raise _StripeError(400, _invalid("Invalid limit: must be between 1 and 100", "limit"))
    start = 0
    if params.get("starting_after"):
        ids = [obj["id"] for obj in items]
        if params["starting_after"] not in ids:
            raise _StripeError(400, _invalid("Invalid starting_after id", "starting_after"))
        start = ids.index(params["starting_after"]) + 1
    page = items[start : start + limit]
    return {"object": "list", "data": page, "has_more": start + limit < len(items), "url": url}


def _unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][c]=v`` -> ``{"a": {"b": {"c": "v"}}}``; ``a[0]=v`` -> ``{"a": ["v"]}``."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        parts = [head, *re.findall(r"([^\[\]]*)\]", "[" + rest)] if rest else [head]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def _booleans(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _booleans(value) for key, value in node.items()}
    return {"true": True, "false": False}.get(node, node) if isinstance(node, str) else node


def _amount(params: dict[str, Any], *, required: bool) -> int:
    raw = params.get("amount")
    if raw is None and not required:
        return 0
    if raw is None or not raw.isdigit() or int(raw) <= 0:
        raise _StripeError(
            400,
            _error("invalid_request_error", "Invalid positive integer", "parameter_invalid_integer", "amount"),
        )
    return int(raw)


def _required(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if not value:
        raise _StripeError(
            400, _error("invalid_request_error", f"Missing required param: {name}.", "parameter_missing", name)
        )
    return str(value)


def _error(error_type: str, message: str, code: str = "", param: str = "", **extra: Any) -> Obj:
    error: Obj = {"type": error_type, "message": message, **extra}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return error


def _invalid(message: str, param: str = "", *, code: str = "") -> Obj:
    return _error("invalid_request_error", message, code, param)


def _idempotency_error(key: str, rule: str) -> _Answer:
    message = (
        f"Keys for idempotent requests can only be used {rule}. "
        f"Try using a key other than '{key}' if you meant to execute a different request."
    )
    return _Answer(400, {"error": _error("idempotency_error", message)})


def _timeout() -> stripe.APIConnectionError:
    return stripe.APIConnectionError(
        "Unexpected error communicating with Stripe.  If this problem persists,\n"
        "let us know at support@stripe.com.\n\n"
        "(Network error: ReadTimeout: Read timed out. (read timeout=80))",
        should_retry=True,
    )


def _onboard(account: Obj) -> None:
    recipient = account.get("tos_acceptance", {}).get("service_agreement") == "recipient"
    account.update(charges_enabled=not recipient, payouts_enabled=True, details_submitted=True)
    account["capabilities"] = {"transfers": "active"}
    if not recipient:
        account["capabilities"]["card_payments"] = "active"
    account["requirements"] = {"currently_due": [], "eventually_due": [], "past_due": [], "disabled_reason": None}

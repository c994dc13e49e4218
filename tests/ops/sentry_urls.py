"""A page that fails, for tests/ops/test_telemetry.py: what Sentry receives from a real request."""

import logging

import sentry_sdk
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger("wareshare.test")

EMAIL = "bob.owner@example.com"
PAN = "4242 4242 4242 4242"
API_KEY = "wsk_0a1b2c3d4e5f_" + "Q" * 43
STRIPE_KEY = "sk_test_51Habc123secret"
CARD = {"number": "4000056655665556", "exp_month": 12, "exp_year": 2031, "cvc": "123"}
USER = {"id": 7, "email": EMAIL, "username": EMAIL, "ip_address": "203.0.113.9"}
# The values are above, more lines away than the source context Sentry sends around a frame.


@csrf_exempt  # an API-like POST
def fails(request: HttpRequest) -> HttpResponse:
    sentry_sdk.set_user(USER)
    sentry_sdk.set_extra("card", CARD)
    sentry_sdk.set_extra("note", f"contact {EMAIL}, key {API_KEY}")
    sentry_sdk.set_tag("payer", EMAIL)
    logger.info("checkout started by %s with card %s", EMAIL, PAN)  # a breadcrumb
    raise ValueError(f"charge failed for {EMAIL}: card {PAN} via {API_KEY} {STRIPE_KEY}")


urlpatterns = [path("fails", fails)]

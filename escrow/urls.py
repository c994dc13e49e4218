from django.urls import path

from . import views, webhooks

app_name = "escrow"
urlpatterns = [
    path("payout-account/", views.payout_account, name="payout_account"),
    path("payout-account/stripe/", views.payout_account_stripe_start, name="payout_account_stripe_start"),
    path("payout-account/bank/", views.payout_account_bank, name="payout_account_bank"),
    path("payout-account/return/", views.payout_account_return, name="payout_account_return"),
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe_webhook"),
]

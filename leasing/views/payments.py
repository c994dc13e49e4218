"""Checkout: paying a lease into escrow, and finishing 3-D Secure."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.decorators import organisation_required
from accounts.types import OrganisationRequest
from common.exceptions import ApplicationError, error_html
from common.money import Money, format_money
from escrow.choices import PaymentStatus
from escrow.exceptions import GatewayUnavailable, PaymentDeclined
from escrow.gateways import gateway_name, get_gateway

from .. import rules, schedule, services
from ..choices import Billing
from ..forms import (
    CheckoutForm,
)
from ..models import Lease
from ..selectors import (
    EXPORTER,
    lease_breakdown,
)
from .common import GATEWAY_SILENT, lease_for, to_lease


@organisation_required(exporter=True)
def lease_pay(request: OrganisationRequest, pk: int) -> HttpResponse:
    """The checkout. With Stripe, static/js/checkout.js posts here with ``Accept: application/json``:
    first the PaymentMethod id (answers the status, and the client secret when the bank asks for
    3-D Secure), then, once the browser handled that, ``payment_intent`` to finalize."""
    lease = lease_for(request, pk, EXPORTER)
    wants_json = "application/json" in request.headers.get("Accept", "")
    payment_id = request.POST.get("payment_intent") or request.GET.get("payment_intent") or ""
    if payment_id:
        return _lease_pay_finalize(request, lease, payment_id, wants_json=wants_json)
    # A lease billed monthly: after the first payment, this page pays the next month by hand.
    instalment = None if rules.pay(lease, EXPORTER) else services.instalment_payable(lease)
    if not rules.pay(lease, EXPORTER) and instalment is None:
        detail = _("This lease is %(state)s: there is nothing to pay.") % {"state": lease.get_state_display().lower()}
        if wants_json:
            return JsonResponse({"code": "nothing_to_pay", "detail": detail, "redirect": _lease_url(lease)}, status=409)
        messages.info(request, detail)
        return to_lease(lease)
    simulated = gateway_name() == "simulated"
    form = CheckoutForm(request.POST or None, simulated=simulated)
    suggest_other_card = False
    status, code = 400, "invalid"
    if request.method == "POST" and form.is_valid():
        try:
            pay = services.lease_pay if instalment is None else services.instalment_pay
            payment = pay(lease=lease, by=request.user, payment_method=form.cleaned_data["payment_method"])
        except PaymentDeclined as error:
            # The processor's words first; add the way out only where they do not give it.
            suggest_other_card = "another card" not in error.detail.lower()
            form.add_error(None, error.detail)
            status, code = error.status, error.code
        except GatewayUnavailable as error:
            form.add_error(None, _("%(problem)s (%(detail)s)") % {"problem": GATEWAY_SILENT, "detail": error.detail})
            status, code = error.status, error.code
        except ApplicationError as error:
            form.add_error(None, error_html(error))
            status, code = error.status, error.code
        else:
            if wants_json:
                return JsonResponse(
                    {
                        "status": payment.status,
                        "payment_intent": payment.processor_id,
                        "client_secret": (
                            payment.client_secret if payment.status == PaymentStatus.REQUIRES_ACTION else ""
                        ),
                        "redirect": _lease_url(lease),
                    }
                )
            if payment.status == PaymentStatus.SUCCEEDED:
                paid = format_money(payment.amount, payment.currency)
                messages.success(
                    request,
                    _("Paid %(amount)s into escrow. The owner is paid only after you confirm.") % {"amount": paid},
                )
            else:
                messages.warning(request, _("Your bank asks you to confirm this payment before it completes."))
            return to_lease(lease)
    if wants_json and request.method == "POST":
        detail = " ".join(str(e) for e in form.non_field_errors()) or _("Check the payment details.")
        return JsonResponse({"code": code, "detail": detail}, status=status)
    amount = instalment.gross if instalment is not None else schedule.first_payment_amount(lease)
    stripe_checkout = None
    if not simulated and settings.STRIPE_PUBLISHABLE_KEY:
        stripe_checkout = get_gateway().checkout_options(amount=Money(amount, lease.currency))
    context = {
        "lease": lease,
        "amount": amount,
        "instalment": instalment,
        "first_month": schedule.instalment_plan(lease)[0] if lease.billing == Billing.MONTHLY else None,
        "breakdown": lease_breakdown(lease),
        "form": form,
        "simulated": simulated,
        "suggest_other_card": suggest_other_card,
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_checkout": stripe_checkout,
    }
    return render(request, "leasing/checkout.html", context)


def _lease_url(lease: Lease) -> str:
    return reverse("leasing:lease_detail", args=[lease.pk])


def _lease_pay_finalize(
    request: OrganisationRequest, lease: Lease, payment_id: str, *, wants_json: bool
) -> HttpResponse:
    """After 3-D Secure in the browser (or Stripe's redirect back with ``?payment_intent=``)."""
    try:
        payment = services.lease_pay_finalize(lease=lease, by=request.user, payment_id=payment_id)
    except ApplicationError as error:
        if wants_json:
            return JsonResponse(error.as_json(), status=error.status)
        messages.error(request, error.detail)
        return redirect("leasing:lease_pay", pk=lease.pk)
    if payment.status == PaymentStatus.SUCCEEDED:
        paid = format_money(payment.amount, payment.currency)
        detail = _("Paid %(amount)s into escrow. The owner is paid only after you confirm.") % {"amount": paid}
    else:
        detail = _("Your bank is still confirming the payment; this lease shows it as paid once it completes.")
    if wants_json:
        return JsonResponse({"status": payment.status, "detail": detail, "redirect": _lease_url(lease)})
    if payment.status == PaymentStatus.SUCCEEDED:
        messages.success(request, detail)
    else:
        messages.info(request, detail)
    return to_lease(lease)

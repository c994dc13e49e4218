"""Payout-account pages for owner organisations. Any member sees the status; admins change it."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.decorators import organisation_required
from accounts.types import OrganisationRequest
from common.exceptions import ApplicationError

from . import selectors, services
from .forms import SimulatedPayoutAccountForm
from .gateways import gateway_name, get_gateway
from .models import PayoutAccount
from .selectors import requirement_label

ADMINS_ONLY = gettext_lazy("Only organisation admins can change where the organisation is paid.")


@organisation_required(owner=True)
def payout_account(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    account = PayoutAccount.objects.filter(organisation=organisation).first()
    simulated = gateway_name() == "simulated"
    form = SimulatedPayoutAccountForm(request.POST or None) if simulated else None
    if request.method == "POST" and form is not None:
        if not request.membership.is_admin:
            messages.error(request, ADMINS_ONLY)
            return redirect("escrow:payout_account")
        if form.is_valid():
            try:
                account = services.payout_account_connect_simulated(organisation=organisation, **form.cleaned_data)
            except ApplicationError as error:
                form.add_error(None, error.detail)
            else:
                messages.success(
                    request, _("Payouts go to the account ending %(last4)s.") % {"last4": account.iban_last4}
                )
                return redirect("escrow:payout_account")
    context = {
        "account": account,
        "form": form,
        "simulated": simulated,
        "can_change": request.membership.is_admin,
        "still_needed": list(
            dict.fromkeys(requirement_label(code) for code in (account.requirements if account else []))
        ),
        "waiting": selectors.payouts_waiting(organisation=organisation),
    }
    return render(request, "escrow/payout_account.html", context)


@organisation_required(owner=True, admin=True)
@require_POST
def payout_account_stripe_start(request: OrganisationRequest) -> HttpResponse:
    """Create the Stripe Express account once, then send the admin to Stripe's onboarding."""
    try:
        account = services.payout_account_start_stripe(organisation=request.organisation, email=request.user.email)
        link = get_gateway().account_link(
            account_id=account.account_id,
            refresh_url=request.build_absolute_uri(reverse("escrow:payout_account")),
            return_url=request.build_absolute_uri(reverse("escrow:payout_account_return")),
        )
    except ApplicationError as error:
        messages.error(request, error.detail)
        return redirect("escrow:payout_account")
    return redirect(link)


@organisation_required(owner=True)
def payout_account_return(request: OrganisationRequest) -> HttpResponse:
    """Where Stripe sends the owner back: read the account's status from the processor."""
    account = PayoutAccount.objects.filter(organisation=request.organisation).first()
    if account is None:
        return redirect("escrow:payout_account")
    try:
        account = services.payout_account_refresh(account=account)
    except ApplicationError as error:
        messages.error(request, error.detail)
    else:
        if account.payouts_enabled:
            messages.success(request, _("Your payout account is ready to receive payouts."))
        else:
            messages.warning(request, _("Stripe still needs some details before you can be paid."))
    return redirect("escrow:payout_account")

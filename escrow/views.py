"""Payout-account pages for owner organisations. Any member sees the status; admins change it."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_countries.fields import Country

from accounts.decorators import organisation_required
from accounts.types import OrganisationRequest
from common.exceptions import ApplicationError

from . import bank_payouts, selectors, services
from .forms import BankPayoutAccountForm, PayoutCountryForm, SimulatedPayoutAccountForm
from .gateways import gateway_name, get_gateway
from .models import PayoutAccount
from .payout_countries import service_agreement
from .selectors import requirement_label

ADMINS_ONLY = gettext_lazy("Only organisation admins can change where the organisation is paid.")


def _chosen_country(request: OrganisationRequest, account: PayoutAccount | None) -> str:
    """The country the page is about: the one asked for (``?country=``), else the account's, else
    the organisation's (``services.payout_country``)."""
    form = PayoutCountryForm(request.GET if "country" in request.GET else None)
    if form.is_bound and form.is_valid():
        return str(form.cleaned_data["country"])
    return services.payout_country(request.organisation, str(account.country) if account else "")


@organisation_required(owner=True)
def payout_account(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    account = PayoutAccount.objects.filter(organisation=organisation).first()
    simulated = gateway_name() == "simulated"
    country = _chosen_country(request, account)
    if request.method == "POST":
        country = str(request.POST.get("country") or country)
    agreement = service_agreement(country)
    initial = {"country": country}
    form = SimulatedPayoutAccountForm(request.POST or None, initial=initial) if simulated and agreement else None
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
    bank_form = None if agreement else BankPayoutAccountForm(initial={**initial, "bank_country": country})
    return _page(request, account, country=country, agreement=agreement, form=form, bank_form=bank_form)


def _page(
    request: OrganisationRequest,
    account: PayoutAccount | None,
    *,
    country: str,
    agreement: str,
    form: SimulatedPayoutAccountForm | None,
    bank_form: BankPayoutAccountForm | None,
    status: int = 200,
) -> HttpResponse:
    organisation = request.organisation
    context = {
        "account": account,
        "form": form,
        "bank_form": bank_form,
        "country_form": PayoutCountryForm(initial={"country": country}, auto_id="pick_%s"),
        "country_name": Country(country).name or country,
        "country": country,
        "agreement": agreement,
        "simulated": gateway_name() == "simulated",
        "can_change": request.membership.is_admin,
        "still_needed": list(
            dict.fromkeys(requirement_label(code) for code in (account.requirements if account else []))
        ),
        "waiting": selectors.payouts_waiting(organisation=organisation),
        "payouts": Paginator(selectors.payouts_of(organisation=organisation), 20).get_page(request.GET.get("page")),
    }
    return render(request, "escrow/payout_account.html", context, status=status)


@organisation_required(owner=True, admin=True)
@require_POST
def payout_account_bank(request: OrganisationRequest) -> HttpResponse:
    """Be paid by bank transfer (offered where Stripe cannot pay the owner's country)."""
    account = PayoutAccount.objects.filter(organisation=request.organisation).first()
    form = BankPayoutAccountForm(request.POST)
    if form.is_valid():
        try:
            account = bank_payouts.payout_account_connect_bank(organisation=request.organisation, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.detail)
        else:
            messages.success(
                request,
                _("Wareshare's staff will pay you by bank transfer to the account ending %(last4)s.")
                % {"last4": account.iban_last4},
            )
            return redirect("escrow:payout_account")
    country = str(request.POST.get("country") or services.payout_country(request.organisation))
    agreement = service_agreement(country)
    return _page(request, account, country=country, agreement=agreement, form=None, bank_form=form, status=400)


@organisation_required(owner=True, admin=True)
@require_POST
def payout_account_stripe_start(request: OrganisationRequest) -> HttpResponse:
    """Create the Stripe Express account once, then send the admin to Stripe's onboarding."""
    try:
        account = services.payout_account_start_stripe(
            organisation=request.organisation, email=request.user.email, country=str(request.POST.get("country", ""))
        )
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

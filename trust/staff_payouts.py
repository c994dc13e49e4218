"""Staff console: payouts due by bank transfer (escrow's bank rail). Staff read the queue (bank
details included), make each transfer at the platform's bank, then record its reference and date
here (``services.bank_payout_record``: ledger, audit entry and the owner told, in one transaction)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import staff_required
from accounts.types import AuthenticatedRequest
from common.exceptions import ApplicationError, error_html
from escrow.selectors import bank_payout_queue, bank_payouts_recorded

from . import services
from .forms import BankPayoutRecordForm

PAGE_SIZE = 25


@staff_required
def bank_payout_list(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "queue": Paginator(bank_payout_queue(), PAGE_SIZE).get_page(request.GET.get("page")),
        "recorded": bank_payouts_recorded()[:10],
        "form": BankPayoutRecordForm(initial={"transferred_on": timezone.localdate()}),
    }
    return render(request, "staff/bank_payouts.html", context)


@staff_required
@require_POST
def bank_payout_record(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    payout = get_object_or_404(bank_payout_queue(), pk=pk)
    form = BankPayoutRecordForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the bank's reference and the date the transfer was sent."))
        return redirect("staff:bank_payout_list")
    try:
        services.bank_payout_record(payout=payout, by=request.user, **form.cleaned_data)
    except ApplicationError as error:
        messages.error(request, error_html(error))
    else:
        messages.success(
            request,
            _("Recorded: payout for lease #%(lease)s sent with reference %(reference)s; %(organisation)s is told.")
            % {
                "lease": payout.escrow.lease_id,
                "reference": form.cleaned_data["reference"],
                "organisation": payout.organisation,
            },
        )
    return redirect("staff:bank_payout_list")

"""The staff console: verification, disputes, blacklist and ledger screens hang off here."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.choices import VerificationStatus
from accounts.decorators import staff_required
from accounts.models import Organisation


@staff_required
def console(request: HttpRequest) -> HttpResponse:
    context = {
        "pending_verifications": Organisation.objects.filter(verification_status=VerificationStatus.PENDING).count(),
        "organisations": Organisation.objects.count(),
    }
    return render(request, "staff/console.html", context)

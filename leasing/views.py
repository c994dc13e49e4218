from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.decorators import organisation_required


@organisation_required(owner=True)
def owner_dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "leasing/owner_dashboard.html")


@organisation_required(exporter=True)
def exporter_dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "leasing/exporter_dashboard.html")

"""The staff console's front page: the head of each queue. The screens behind it live with their
domain (``trust.staff_views``) and are listed in ``common.staff_urls``."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.decorators import staff_required
from trust.selectors import console_get


@staff_required
def console(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/console.html", {"console": console_get()})

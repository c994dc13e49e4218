"""What the inventory views share: paging that keeps the filters, the side of an order, safe redirects."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

PAGE_SIZE = 25
EXPORTER = "exporter"
OWNER = "owner"


def page_of(request: HttpRequest, rows: QuerySet[Any] | list[Any], param: str = "page") -> Page:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get(param))


def back_to(request: HttpRequest, fallback: str, *args: Any) -> HttpResponse:
    """Back to the page the form was posted from (``next``, this site only), else to ``fallback``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback, *args)

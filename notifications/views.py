"""The notifications page: newest first, unread marked; opening one marks it read."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import User

from . import services
from .selectors import notification_list

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def notification_index(request: HttpRequest) -> HttpResponse:
    page = Paginator(notification_list(user=_user(request)), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one read and go where it points (a path inside the site, else back to the list)."""
    notification = get_object_or_404(notification_list(user=_user(request)), pk=pk)
    services.notifications_mark_read(user=_user(request), pk=notification.pk)
    if notification.path and url_has_allowed_host_and_scheme(notification.path, allowed_hosts=None):
        return redirect(notification.path)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_read(user=_user(request))
    messages.success(
        request,
        ngettext("%(count)d notification marked as read.", "%(count)d notifications marked as read.", count)
        % {"count": count},
    )
    return redirect("notifications:list")

"""Integration pages: API keys and webhook endpoints (organisation admins), and the delivery log.

A new key or signing secret is shown once, on the page that answers its creation."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import organisation_required
from accounts.types import OrganisationRequest
from common.exceptions import ApplicationError

from . import services
from .forms import ApiKeyForm, WebhookEndpointForm
from .models import ApiKey, WebhookEndpoint

PAGE_SIZE = 50


@organisation_required(admin=True)
def api_keys(request: OrganisationRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        api_key, new_key = services.api_key_create(
            organisation=request.organisation, by=request.user, **form.cleaned_data
        )
        messages.success(
            request, _("Key “%(name)s” created. Copy it now: it will not be shown again.") % {"name": api_key.name}
        )
        form = ApiKeyForm()
    keys = ApiKey.objects.filter(organisation=request.organisation).select_related("created_by")
    return render(request, "api/api_keys.html", {"form": form, "keys": keys, "new_key": new_key})


@organisation_required(admin=True)
@require_POST
def api_key_revoke(request: OrganisationRequest, pk: int) -> HttpResponse:
    api_key = get_object_or_404(ApiKey, pk=pk, organisation=request.organisation)
    services.api_key_revoke(api_key=api_key)
    messages.success(request, _("Key “%(name)s” revoked.") % {"name": api_key.name})
    return redirect("integrations:api_keys")


@organisation_required(admin=True)
def webhooks(request: OrganisationRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.webhook_endpoint_create(
                organisation=request.organisation, by=request.user, **form.cleaned_data
            )
        except ApplicationError as error:
            form.add_error("url", error.detail)
        else:
            messages.success(request, _("Endpoint added. Copy its signing secret now: it will not be shown again."))
            form = WebhookEndpointForm()
    endpoints = WebhookEndpoint.objects.filter(organisation=request.organisation)
    return render(request, "api/webhooks.html", {"form": form, "endpoints": endpoints, "created": created})


@organisation_required(admin=True)
def webhook_detail(request: OrganisationRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk, organisation=request.organisation)
    deliveries = Paginator(endpoint.deliveries.all(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "api/webhook_detail.html", {"endpoint": endpoint, "deliveries": deliveries})


@organisation_required(admin=True)
@require_POST
def webhook_disable(request: OrganisationRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk, organisation=request.organisation)
    services.webhook_endpoint_disable(endpoint=endpoint)
    messages.success(request, _("Deliveries to %(url)s stopped.") % {"url": endpoint.url})
    return redirect("integrations:webhooks")

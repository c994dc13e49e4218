"""Writes for API keys and webhook endpoints (organisation admins, from the integration pages)."""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from common.exceptions import ApplicationError

from .choices import EVENT_NAMES, KeyScope
from .keys import key_generate, key_hash
from .models import ApiKey, WebhookEndpoint


class InvalidWebhookUrl(ApplicationError):
    code = "invalid_webhook_url"


@transaction.atomic
def api_key_create(*, organisation: Organisation, by: User, name: str, scope: str) -> tuple[ApiKey, str]:
    """Create a key; returns it with the full key text, which is shown once and never stored."""
    if scope not in KeyScope.values:
        raise ApplicationError(_("Unknown scope “%(scope)s”.") % {"scope": scope}, code="invalid_scope")
    prefix, key = key_generate()
    api_key = ApiKey.objects.create(
        organisation=organisation,
        created_by=by,
        name=name.strip()[:100],
        prefix=prefix,
        hashed_key=key_hash(key),
        scope=scope,
    )
    return api_key, key


def api_key_revoke(*, api_key: ApiKey) -> None:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at=None).update(revoked_at=timezone.now())


def webhooks_allow_http() -> bool:
    return bool(settings.DEBUG or getattr(settings, "WARESHARE_WEBHOOKS_ALLOW_HTTP", False))


def webhook_url_check(url: str) -> None:
    """HTTPS only (plain HTTP only in development and tests), with a host and no credentials."""
    parts = urlsplit(url)
    schemes = ("https", "http") if webhooks_allow_http() else ("https",)
    if parts.scheme not in schemes:
        raise InvalidWebhookUrl(_("The URL must start with https://."))
    if not parts.hostname or parts.username or parts.password:
        raise InvalidWebhookUrl(_("Give a URL with a host name and no user name or password."))


@transaction.atomic
def webhook_endpoint_create(
    *, organisation: Organisation, by: User, url: str, events: list[str] | None = None
) -> WebhookEndpoint:
    """Register a receiver; its signing secret is on the returned row (shown to the admin once)."""
    webhook_url_check(url)
    unknown = set(events or []) - EVENT_NAMES
    if unknown:
        raise ApplicationError(
            _("Unknown events: %(events)s.") % {"events": ", ".join(sorted(unknown))}, code="invalid_events"
        )
    return WebhookEndpoint.objects.create(
        organisation=organisation,
        created_by=by,
        url=url,
        secret=f"whsec_{secrets.token_urlsafe(32)}",
        events=sorted(set(events or [])),
    )


def webhook_endpoint_disable(*, endpoint: WebhookEndpoint) -> None:
    """Stop sending to an endpoint; pending deliveries to it are no longer attempted."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at=None).update(disabled_at=timezone.now())

"""Small helpers many test modules share."""

from collections.abc import Callable

from django.db import transaction
from django.urls import reverse

from common.exceptions import ApplicationError


def url(name: str, *args: object) -> str:
    """A URL by name: a leasing page by its bare name ("lease_detail"), any other with its namespace."""
    return reverse(name if ":" in name else f"leasing:{name}", args=args)


def login(client, user):
    client.force_login(user)
    return client


class _Rollback(Exception):
    """Raised to undo a tried step."""


def service_accepts(attempt: Callable[[], object]) -> tuple[bool, str]:
    """Whether the service takes the step ``attempt`` (undone afterwards in a savepoint), and its
    refusal (``code: detail``) if not."""
    try:
        with transaction.atomic():
            attempt()
            raise _Rollback
    except _Rollback:
        return True, ""
    except ApplicationError as error:
        return False, f"{error.code}: {error.detail}"

"""Small helpers many test modules share."""

from django.urls import reverse


def url(name: str, *args: object) -> str:
    """A URL by name: a leasing page by its bare name ("lease_detail"), any other with its namespace."""
    return reverse(name if ":" in name else f"leasing:{name}", args=args)


def login(client, user):
    client.force_login(user)
    return client

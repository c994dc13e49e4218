"""Who the client is, behind the proxies we trust.

``DJANGO_TRUSTED_PROXY_COUNT`` proxies (the load balancer, …) each append the address they received
the request from to ``X-Forwarded-For``. The client is therefore the entry that many places from the
right; anything left of it was written by the client and proves nothing. With no trusted proxy the
client is the socket's peer (``REMOTE_ADDR``) and the header is ignored. The same count drives
allauth's rate limits (``ALLAUTH_TRUSTED_PROXY_COUNT`` in the production settings).
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(request: HttpRequest) -> Address | None:
    """The client's address, or None when it cannot be told (too few X-Forwarded-For entries,
    or an entry that is not an address)."""
    count: int = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count > 0:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) < count:
            return None
        candidate = forwarded[-count]
    else:
        candidate = request.META.get("REMOTE_ADDR", "")
    try:
        address = ipaddress.ip_address(candidate.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def networks_parse(values: list[str]) -> list[Network]:
    """``["127.0.0.0/8", "10.1.2.3"]`` as networks; raises ValueError on a malformed entry."""
    return [ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip()]


def ip_in_networks(address: Address | None, networks: list[Network]) -> bool:
    return address is not None and any(address.version == net.version and address in net for net in networks)

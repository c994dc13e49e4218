from typing import Any

from django.http import HttpRequest

from .middleware import current_membership
from .selectors import membership_list


def organisation(request: HttpRequest) -> dict[str, Any]:
    """The current membership and organisation, for navigation by role."""
    membership = current_membership(request)
    return {
        "current_membership": membership,
        "current_organisation": membership.organisation if membership else None,
        "my_memberships": (lambda: list(membership_list(user=membership.user))) if membership else (),
    }

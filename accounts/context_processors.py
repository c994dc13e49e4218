from typing import Any, cast

from django.http import HttpRequest

from .middleware import current_membership
from .models import User
from .selectors import membership_list


def organisation(request: HttpRequest) -> dict[str, Any]:
    """The current membership and organisation, for navigation by role."""
    membership = current_membership(request)
    return {
        "current_membership": membership,
        "current_organisation": membership.organisation if membership else None,
        # membership implies a signed-in user; the list is built only if a template asks for it
        "my_memberships": (lambda: list(membership_list(user=cast(User, request.user)))) if membership else (),
    }

"""Create an API key for an organisation, as one of its admins, and print it (it is shown once).

For operators and scripts (``scripts/api_contract.sh``); people use the keys page."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.choices import Role
from accounts.models import Membership

from ...choices import KeyScope
from ...services import api_key_create


class Command(BaseCommand):
    help = "Create an API key acting as USER (an admin of ORGANISATION) and print the key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", required=True, help="The organisation's name.")
        parser.add_argument("--user", required=True, help="The e-mail address of one of its admins.")
        parser.add_argument("--scope", choices=KeyScope.values, default=KeyScope.READ)
        parser.add_argument("--name", default="Created from the command line")

    def handle(self, *args: Any, **options: Any) -> None:
        membership = (
            Membership.objects.select_related("organisation", "user")
            .filter(organisation__name=options["organisation"], user__email=options["user"], role=Role.ADMIN)
            .first()
        )
        if membership is None:
            raise CommandError(f"{options['user']} is not an admin of {options['organisation']}.")
        _api_key, key = api_key_create(
            organisation=membership.organisation, by=membership.user, name=options["name"], scope=options["scope"]
        )
        self.stdout.write(key)

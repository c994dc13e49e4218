"""Seed the demo: owners, exporters, staff, warehouses, listings and leases. Safe to run again."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from accounts.demo import DEMO_PASSWORD, DEMO_STAFF_TOTP_SECRET, seed_people
from escrow.bank_payouts import payout_account_connect_bank
from escrow.services import payout_account_connect_simulated
from inventory.demo import seed_inventory
from leasing.demo import seed_leases
from trust.demo import seed_trust
from warehouses.demo import seed_warehouses


class Command(BaseCommand):
    help = "Create (or top up) the demo data and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo's history would otherwise send dozens of lease emails to the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), transaction.atomic():
            people = seed_people()
            listings = seed_warehouses(people.owners)
            payout_account_connect_simulated(
                organisation=people.owners[0], holder_name=people.owners[0].legal_name, iban="NL91ABNA0417164300"
            )
            # The second owner is paid by bank transfer: its released payouts wait in the staff queue.
            payout_account_connect_bank(
                organisation=people.owners[1],
                country="US",
                holder_name=people.owners[1].legal_name,
                bank_account="000123456789",
                swift_bic="CHASUS33",
                bank_country="US",
            )
            owner_users = {org.pk: org.memberships.get().user for org in people.owners}
            exporters = [(org.memberships.get().user, org) for org in people.exporters]
            leases = seed_leases(listings=listings, owners=owner_users, exporters=exporters)
            trust = seed_trust(people=people, listings=listings)
            seed_inventory(people=people, listings=listings)  # goods, orders, drawn warehouse photos
        countries = {str(listing.warehouse.country) for listing in listings}
        self.stdout.write(f"{len(listings)} listings in {len(countries)} countries; {leases} new demo leases.")
        self.stdout.write("Trust: " + ", ".join(f"{count} {what}" for what, count in trust.items()) + ".")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at http://127.0.0.1:8000/accounts/login/"))
        rows = [
            ("Warehouse owner", "owner@wareshare.test", people.owners[0].name),
            ("Warehouse owner", "owner2@wareshare.test", people.owners[1].name),
            ("Exporter", "exporter@wareshare.test", people.exporters[0].name),
            ("Exporter", "exporter2@wareshare.test", people.exporters[1].name),
            ("Owner, pending", "owner3@wareshare.test", "Hamburg Cold Chain, waiting for verification"),
            ("Exporter, barred", "exporter3@wareshare.test", "Blue Harbour Freight, blacklisted"),
            ("Platform staff", "staff@wareshare.test", "staff console (MFA)"),
        ]
        for role, email, org in rows:
            self.stdout.write(f"  {role:<16} {email:<28} password: {DEMO_PASSWORD:<16} {org}")
        self.stdout.write(
            f"  Staff sign-in asks for an authenticator code: TOTP secret {DEMO_STAFF_TOTP_SECRET},"
            " or run `.venv/bin/python manage.py demo_totp` for the current code."
        )

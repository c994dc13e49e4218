"""Demo organisations and people. Idempotent: running it again finds what is there."""

import zlib
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone

from .choices import Role, VerificationStatus
from .models import Membership, Organisation, User

DEMO_PASSWORD = "wareshare-demo"
# A fixed TOTP secret so the demo staff login can be reproduced: add it to any authenticator
# app, or print the current code with `manage.py demo_totp`. Demo only.
DEMO_STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPWARESHAREDEMO234"


@dataclass
class DemoPeople:
    staff: User
    owners: list[Organisation]
    exporters: list[Organisation]


def _user(email: str, first: str, last: str, *, staff: bool = False) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"first_name": first, "last_name": last, "is_staff": staff, "is_superuser": staff},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _organisation(name: str, *, owner: bool, exporter: bool, country: str, admin: User) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(
        name=name,
        defaults={
            "is_owner": owner,
            "is_exporter": exporter,
            "country": country,
            "legal_name": f"{name} Ltd",
            "registration_number": f"REG-{zlib.crc32(name.encode()) % 10**8:08d}",
            "vat_number": f"{country}{zlib.crc32(name.encode()) % 10**9:09d}",  # a demo number, printed on receipts
            "verification_status": VerificationStatus.VERIFIED,
            "verified_at": timezone.now(),
        },
    )
    Membership.objects.get_or_create(user=admin, organisation=organisation, defaults={"role": Role.ADMIN})
    return organisation


def seed_people() -> DemoPeople:
    staff = _user("staff@wareshare.test", "Sam", "Staff", staff=True)
    if not Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(staff, DEMO_STAFF_TOTP_SECRET)
    owner = _user("owner@wareshare.test", "Olivia", "Owner")
    owner2 = _user("owner2@wareshare.test", "Omar", "Owner")
    exporter = _user("exporter@wareshare.test", "Erin", "Exporter")
    exporter2 = _user("exporter2@wareshare.test", "Li", "Wei")
    owners = [
        _organisation("Rotterdam Harbour Storage", owner=True, exporter=False, country="NL", admin=owner),
        _organisation("Pacific Gateway Logistics", owner=True, exporter=False, country="US", admin=owner2),
    ]
    exporters = [
        _organisation("Shenzhen Bright Goods", owner=False, exporter=True, country="CN", admin=exporter),
        _organisation("Ningbo Home & Garden", owner=False, exporter=True, country="CN", admin=exporter2),
    ]
    return DemoPeople(staff=staff, owners=owners, exporters=exporters)

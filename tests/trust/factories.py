"""Trust objects built through the real services, and the files and people they need."""

import io
from decimal import Decimal

from allauth.mfa.totp.internal.auth import TOTP
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.choices import VerificationStatus
from accounts.models import Organisation, User
from escrow.bank_payouts import payout_account_connect_bank
from escrow.models import Payout
from escrow.processor import payout_execute
from leasing.choices import LeaseState as S
from leasing.models import Lease
from tests.accounts.factories import OrganisationFactory, UserFactory, member_of
from tests.leasing.factories import Parties
from trust import services
from trust.models import Dispute, VerificationRequest

TOTP_SECRET = "JBSWY3DPEHPK3PXPTESTSTAFFSECRET2"


def staff_user(*, mfa: bool = True) -> User:
    user = UserFactory(is_staff=True)
    if mfa:
        TOTP.activate(user, TOTP_SECRET)
    return user


def pdf(name: str = "register-extract.pdf") -> SimpleUploadedFile:
    content = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def png(name: str = "pallet.png", colour: str = "orange") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def not_an_image(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"#!/bin/sh\necho hello\n", content_type="image/png")


def unverified_organisation(**fields: object) -> tuple[Organisation, User]:
    organisation = OrganisationFactory(verification_status=VerificationStatus.UNVERIFIED, **fields)
    return organisation, member_of(organisation)


def verification_submitted(organisation: Organisation, by: User) -> VerificationRequest:
    return services.verification_submit(
        organisation=organisation,
        by=by,
        legal_name=f"{organisation.name} B.V.",
        registration_number="KVK-12345678",
        country="NL",
        address="Waalhaven Zuidzijde 1\n3089 JH Rotterdam",
        documents=[pdf(), png("address-proof.png")],
    )


def disputed(p: Parties, *, claimed: Decimal | None = None, evidence=(), **lease_fields: object) -> Dispute:
    """A lease checked in, then disputed by its exporter through the real services."""
    lease: Lease = p.lease_in(S.CHECKED_IN, **lease_fields)
    return services.dispute_open(
        lease=lease,
        by=p.exporter,
        reason="Two cartons of tables are missing and one pallet arrived crushed.",
        claimed_amount=claimed,
        evidence=list(evidence),
    )


def bank_payout_queued() -> Payout:
    """A released payout of an owner on the bank-transfer rail, queued for staff."""
    p = Parties()
    payout_account_connect_bank(
        organisation=p.owner_org,
        country="CN",
        holder_name="Shenzhen Storage Co.",
        bank_account="6222021234567890",
        swift_bic="ICBKCNBJSZN",
        bank_country="CN",
    )
    lease = p.lease_in(S.CHECKED_IN)
    p.confirm(lease)
    return payout_execute(payout=Payout.objects.get(escrow__lease=lease))

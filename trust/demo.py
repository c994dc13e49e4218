"""Demo trust data, made through the real services: a pending verification, an open dispute with
evidence in its thread, a resolved (split) dispute, a blacklisted organisation, reviews, and a
rating for every organisation. Idempotent: each part looks for what it made before."""

import io
import zlib
from datetime import timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.choices import Role, VerificationStatus
from accounts.demo import DEMO_PASSWORD, DemoPeople
from accounts.models import Membership, Organisation, User
from escrow.ledger import escrow_held
from leasing import services as leasing_services
from leasing.choices import LeaseState as S
from leasing.demo import LeaseWalker
from leasing.models import Lease
from warehouses.dates import warehouse_today
from warehouses.models import Listing

from . import services
from .choices import DisputeState, Outcome
from .models import BlacklistEntry, Dispute, Resolution, Review
from .rating import ratings_recompute_all

PENDING_ORGANISATION = "Hamburg Cold Chain"
BLACKLISTED_ORGANISATION = "Blue Harbour Freight"


def _person(email: str, first: str, last: str) -> User:
    user, created = User.objects.get_or_create(email=email, defaults={"first_name": first, "last_name": last})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _organisation(name: str, *, admin: User, owner: bool, country: str, verified: bool) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(
        name=name,
        defaults={
            "is_owner": owner,
            "is_exporter": not owner,
            "country": country,
            "verification_status": VerificationStatus.VERIFIED if verified else VerificationStatus.UNVERIFIED,
            "verified_at": timezone.now() if verified else None,
            "legal_name": f"{name} Ltd" if verified else "",
            "registration_number": f"REG-{zlib.crc32(name.encode()) % 10**8:08d}" if verified else "",
        },
    )
    Membership.objects.get_or_create(user=admin, organisation=organisation, defaults={"role": Role.ADMIN})
    return organisation


def demo_photo(caption: str, colour: str = "#b07a3c") -> SimpleUploadedFile:
    """A stand-in evidence photo: a pallet of cartons with a caption."""
    image = Image.new("RGB", (640, 420), "#d9dee3")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 330, 640, 420), fill="#8a9099")
    draw.rectangle((120, 300, 520, 330), fill="#7a5230")
    for row in range(3):
        for column in range(4):
            left, top = 130 + column * 97, 205 - row * 95
            crushed = row == 0 and column == 3
            shape = (left, top + (35 if crushed else 0), left + 90, top + 90)
            draw.rectangle(shape, fill="#9c6b3f" if crushed else colour, outline="#5b3a1e", width=3)
    draw.text((20, 20), caption, fill="#1d2a36")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return SimpleUploadedFile(f"{caption[:24].strip().replace(' ', '-').lower()}.jpg", buffer.getvalue())


def demo_pdf(name: str, text: str) -> SimpleUploadedFile:
    """A small, valid one-page PDF with one line of text."""
    stream = f"BT /F1 14 Tf 60 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/pdf")


def _pending_verification() -> int:
    if Organisation.objects.filter(name=PENDING_ORGANISATION).exists():
        return 0
    admin = _person("owner3@wareshare.test", "Hanna", "Krüger")
    organisation = _organisation(PENDING_ORGANISATION, admin=admin, owner=True, country="DE", verified=False)
    services.verification_submit(
        organisation=organisation,
        by=admin,
        legal_name="Hamburg Cold Chain GmbH",
        registration_number="HRB 123456",
        vat_number="DE123456789",
        country="DE",
        address="Am Sandtorkai 48\n20457 Hamburg",
        documents=[
            demo_pdf("handelsregisterauszug.pdf", "Handelsregister B des Amtsgerichts Hamburg - HRB 123456"),
            demo_pdf("proof-of-address.pdf", "Hamburg Cold Chain GmbH, Am Sandtorkai 48, 20457 Hamburg"),
        ],
    )
    return 1


def _blacklisted(staff: User) -> int:
    if BlacklistEntry.objects.filter(organisation__name=BLACKLISTED_ORGANISATION).exists():
        return 0
    admin = _person("exporter3@wareshare.test", "Dan", "Brooks")
    organisation = _organisation(BLACKLISTED_ORGANISATION, admin=admin, owner=False, country="GB", verified=True)
    services.blacklist_add(
        organisation=organisation,
        by=staff,
        reason="Three card chargebacks on paid leases after the goods were collected; "
        "under review with the card network.",
        ends_at=timezone.now() + timedelta(days=90),
    )
    return 1


def _evidence(staff: User) -> int:
    """The demo's open dispute gets a conversation: photos, a packing list, both sides and staff."""
    dispute = Dispute.objects.filter(state=DisputeState.OPEN).select_related("lease").order_by("pk").first()
    if dispute is None or dispute.messages.count() > 1:
        return 0
    lease = dispute.lease
    exporter = lease.exporter.memberships.get().user
    owner = lease.owner.memberships.get().user
    services.dispute_message_post(
        dispute=dispute,
        by=exporter,
        body="Our packing list shows 10 cartons of garden tables on pallet 7; the check-in counted 8. "
        "Our forwarder's photo at loading and the signed packing list are attached.",
        files=[
            demo_photo("Pallet 7 at loading, Ningbo - 10 cartons"),
            demo_pdf("packing-list.pdf", "Packing list: 40 chairs, 10 tables"),
        ],
    )
    services.dispute_message_post(
        dispute=dispute,
        by=owner,
        body="We received pallet 7 with its top corner crushed, as in our photo from the dock. Two cartons were "
        "missing on arrival; the driver's CMR is annotated accordingly.",
        files=[demo_photo("Pallet 7 on arrival, dock 3 - corner crushed", "#a9773f")],
    )
    services.dispute_message_post(
        dispute=dispute,
        by=staff,
        body="Thank you both. Could the owner upload the annotated CMR, and the exporter the carrier's "
        "damage report if there is one? We aim to decide within two working days.",
        as_staff=True,
    )
    return 1


def _resolved_dispute(*, staff: User, listings: list[Listing], people: DemoPeople) -> int:
    if Resolution.objects.exists():
        return 0
    bookable = [item for item in listings if not item.instant_book]
    listing = next((item for item in bookable if item.currency == "EUR"), bookable[0])
    owner = listing.warehouse.organisation.memberships.get().user
    exporter_org = people.exporters[-1]
    exporter = exporter_org.memberships.get().user
    start = warehouse_today(listing.warehouse) + timedelta(days=20)
    lease = leasing_services.lease_request(
        listing=listing,
        exporter=exporter_org,
        by=exporter,
        start=start,
        end=start + timedelta(days=44),
        quantity=4,
        goods_description="Ceramic planters, boxed",
    )
    walker = LeaseWalker(owner=owner, exporter=exporter)
    walker.walk(lease, S.CHECKED_IN)
    held = escrow_held(Lease.objects.get(pk=lease.pk).escrow)
    dispute = services.dispute_open(
        lease=lease,
        by=exporter,
        reason="Six planters arrived broken; the owner's forklift pierced a carton.",
        claimed_amount=(held / 4).quantize(Decimal("0.01")),
        evidence=[demo_photo("Broken planters, carton 12")],
    )
    services.dispute_message_post(
        dispute=dispute, by=owner, body="Agreed, our forklift caused it. We accept a refund for the damaged share."
    )
    exporter_part = (held / 5).quantize(Decimal("0.01"))
    services.dispute_resolve(
        dispute=dispute,
        by=staff,
        outcome=Outcome.SPLIT,
        owner_part=held - exporter_part,
        exporter_part=exporter_part,
        note="The owner accepts the damage was caused at its dock. A fifth of the price is refunded; "
        "the lease continues.",
    )
    return 1


REVIEWS = {
    "exporter": (5, "Goods were counted and photographed on arrival, and questions were answered within the hour."),
    "owner": (4, "Paperwork complete and the shipment arrived on the announced day. Payment was prompt."),
}


def _reviews() -> int:
    made = 0
    for lease in Lease.objects.filter(state=S.COMPLETED).select_related("listing__warehouse__organisation", "exporter"):
        for side, user_of in (("exporter", lease.exporter), ("owner", lease.owner)):
            if Review.objects.filter(lease=lease, author_organisation=user_of).exists():
                continue
            rating_value, text = REVIEWS[side]
            services.review_create(
                lease=lease,
                by=user_of.memberships.get().user,
                rating_value=rating_value,
                text=text,
                organisation=user_of,
            )
            made += 1
    return made


def seed_trust(*, people: DemoPeople, listings: list[Listing]) -> dict[str, int]:
    """Add the trust demo; returns what was made this time (zeros on a second run)."""
    made = {
        "pending verifications": _pending_verification(),
        "blacklisted organisations": _blacklisted(people.staff),
        "dispute threads": _evidence(people.staff),
        "resolved disputes": _resolved_dispute(staff=people.staff, listings=listings, people=people),
        "reviews": _reviews(),
    }
    made["ratings changed"] = ratings_recompute_all()
    return made

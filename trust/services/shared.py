"""What every trust service checks first: staff only, which side of a lease the caller acts for,
and uploaded files (type by content, size, count) before anything is written."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.selectors import user_is_member
from common.exceptions import PermissionDenied
from leasing.exceptions import NotAllowed
from leasing.models import Lease

from ..choices import Side
from ..exceptions import EvidenceInvalid
from ..validators import FILE_VALIDATORS, MAX_FILES, content_type


def staff_require(by: User) -> None:
    """Raises PermissionDenied unless ``by`` is Wareshare staff."""
    if not by.is_staff:
        raise PermissionDenied(_("Only Wareshare staff can do this."))


def lease_side(*, lease: Lease, by: User, organisation: Organisation | None = None) -> str:
    """Which side of ``lease`` ``by`` acts for: ``organisation`` if given (it must be a party and
    ``by`` a member), else the exporter if ``by`` belongs to it, else the owner. Raises NotAllowed."""
    owner = lease.owner
    candidates = [organisation] if organisation is not None else [lease.exporter, owner]
    for candidate in candidates:
        if candidate.pk == lease.exporter_id and user_is_member(by, candidate):
            return Side.EXPORTER
        if candidate.pk == owner.pk and user_is_member(by, candidate):
            return Side.OWNER
    raise NotAllowed(_("Only the exporter or the warehouse owner of this lease can do this."))


@dataclass(frozen=True)
class CheckedFile:
    file: File
    name: str
    content_type: str
    size: int


def files_check(files: Sequence[File]) -> list[CheckedFile]:
    """Validate uploads (type by content, size, count) before anything is written."""
    if len(files) > MAX_FILES:
        raise EvidenceInvalid(_("Attach at most %(count)s files at a time.") % {"count": MAX_FILES})
    checked = []
    for file in files:
        name = Path(file.name or "file").name[:200]
        try:
            for validator in FILE_VALIDATORS:
                validator(file)
            kind = content_type(file)
        except ValidationError as error:
            raise EvidenceInvalid(f"{name}: {' '.join(error.messages)}") from error
        checked.append(CheckedFile(file=file, name=name, content_type=kind, size=file.size or 0))
    return checked

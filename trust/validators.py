"""Uploads used as evidence or for verification: PDF or an image, checked by content, not by name."""

import uuid
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 6
EXTENSIONS = ["pdf", "jpg", "jpeg", "png", "webp"]
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}

file_extension = FileExtensionValidator(EXTENSIONS)


def file_size(file: File) -> None:
    if file.size and file.size > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // 1024 // 1024
        raise ValidationError(
            _("%(name)s is %(size)s MB; the limit is %(limit)s MB.")
            % {"name": Path(file.name or "").name, "size": f"{file.size / 1024 / 1024:.1f}", "limit": limit}
        )


def content_type(file: File) -> str:
    """The file's real type from its bytes: ``application/pdf`` or an image type. Raises
    ValidationError for anything else, whatever the file is called."""
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        if file.read(5) == b"%PDF-":
            return "application/pdf"
        file.seek(0)
        try:
            with Image.open(file) as image:
                kind = image.format or ""
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError) as error:
            raise ValidationError(_("Upload a PDF, JPEG, PNG or WebP file.")) from error
        if kind not in IMAGE_TYPES:
            raise ValidationError(_("Upload a PDF, JPEG, PNG or WebP file."))
        return IMAGE_TYPES[kind]
    finally:
        file.seek(position)


def file_content(file: File) -> None:
    content_type(file)


FILE_VALIDATORS: list[Callable[[File], None]] = [file_extension, file_size, file_content]


def _random_name(folder: str, filename: str) -> str:
    """Store under a random name: the original name is kept on the row, never in the path."""
    return f"{folder}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


def verification_upload_path(instance: object, filename: str) -> str:
    return _random_name("verification", filename)


def evidence_upload_path(instance: object, filename: str) -> str:
    return _random_name("evidence", filename)

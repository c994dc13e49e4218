from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import FileExtensionValidator

MAX_PHOTO_BYTES = 5 * 1024 * 1024
photo_extension = FileExtensionValidator(["jpg", "jpeg", "png", "webp"])


def photo_size(file: File) -> None:
    if file.size and file.size > MAX_PHOTO_BYTES:
        raise ValidationError(
            f"This photo is {file.size / 1024 / 1024:.1f} MB; the limit is {MAX_PHOTO_BYTES // 1024 // 1024} MB."
        )

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# The most units one search, lease, listing capacity or exception may name: the search page, its
# FilterSet and the API all refuse more with the same message.
MAX_UNITS = 1_000_000
photo_extension = FileExtensionValidator(["jpg", "jpeg", "png", "webp"])


def photo_size(file: File) -> None:
    if file.size and file.size > MAX_PHOTO_BYTES:
        limit = MAX_PHOTO_BYTES // 1024 // 1024
        raise ValidationError(
            _("This photo is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": f"{file.size / 1024 / 1024:.1f}", "limit": limit}
        )


def photo_content(file: File) -> None:
    """The bytes must be an image Pillow can read, whatever the file is called."""
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        with Image.open(file) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValidationError(_("This file is not a JPEG, PNG or WebP image.")) from error
    finally:
        file.seek(position)


def image_content_type(file: File) -> str:
    """The MIME type of an image by its bytes (``image/png`` …), for a file ``photo_content`` accepted."""
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        with Image.open(file) as image:
            return Image.MIME.get(image.format or "", "application/octet-stream")
    except (UnidentifiedImageError, OSError, SyntaxError):
        return "application/octet-stream"
    finally:
        file.seek(position)

"""Where KYC documents and dispute evidence live: never under MEDIA_ROOT (served as ``/media/``),
only handed out by views that check who is asking.

The ``private`` alias in ``settings.STORAGES`` is used when configured (e.g. a private S3 prefix in
production); otherwise a file system storage at ``settings.PRIVATE_MEDIA_ROOT``.
"""

from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

ALIAS = "private"


class _PrivateStorage(LazyObject):
    _wrapped: Any

    def _setup(self) -> None:
        if ALIAS in settings.STORAGES:
            self._wrapped = storages[ALIAS]
        else:
            self._wrapped = FileSystemStorage(
                location=settings.PRIVATE_MEDIA_ROOT, base_url="/private-files-have-no-url/"
            )


_private = _PrivateStorage()


def private_storage() -> Storage:
    """The storage for private files (a callable, so migrations refer to it by name)."""
    return _private  # type: ignore[return-value]


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("STORAGES", "PRIVATE_MEDIA_ROOT"):
        _private._wrapped = empty

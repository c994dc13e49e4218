"""Owner-side writes that ``services.py`` does not have yet (fold them in when convenient)."""

from django.db import transaction

from .models import WarehousePhoto


@transaction.atomic
def warehouse_photo_remove(*, photo: WarehousePhoto) -> None:
    """Delete a photo's row; its file goes from storage only once the deletion is committed."""
    storage, name = photo.image.storage, photo.image.name
    photo.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))

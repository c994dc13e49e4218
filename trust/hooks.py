"""What trust tells the app above it (the API), so that trust never imports it."""

from django.dispatch import Signal

# Sent inside the transaction when a dispute is opened (``from_state`` None) and when staff resolve
# it: ``trust.services.dispute_open`` and ``dispute_resolve``; with ``dispute``, ``from_state``,
# ``to_state`` and ``by`` (a User). The API sends its webhooks from it.
dispute_changed = Signal()

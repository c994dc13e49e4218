"""What escrow tells the apps above it, so that escrow never imports them.

Escrow sits below leasing. When the processor reports a payment succeeded (a Stripe webhook
overtaking the checkout's own answer), the lease must be funded: leasing connects its receiver
to ``payment_succeeded`` in ``LeasingConfig.ready()``.
"""

from django.dispatch import Signal

# Sent with ``payment`` (a succeeded escrow.Payment) after the payment row is recorded, inside the
# webhook's claim transaction: if the receiver fails, the event stays unprocessed and is retried.
payment_succeeded = Signal()
# Sent with ``payment`` (a duplicate escrow.Payment: the lease was already paid) and ``refund`` (its
# full refund, already scheduled) after commit, so the lease's timeline can say what happened.
payment_duplicate = Signal()

# Sent inside the recording transaction of ``escrow.processor`` whenever a payout's or a refund's
# status changes there (``payout`` or ``refund``, ``from_status``, ``to_status``); the API sends
# its webhooks from them. A payout or refund created by ``escrow_release`` / ``escrow_refund`` is
# sent too, with ``from_status`` None.
payout_changed = Signal()
refund_changed = Signal()
# Sent with ``payment`` (succeeded or duplicate) and ``escrow`` by ``services.escrow_fund`` inside the
# funding transaction, each time it is called (it is idempotent per payment, and so must the receivers
# be): documents issues the exporter's receipt in the same transaction as the money arriving.
payment_funded = Signal()

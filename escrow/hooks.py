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

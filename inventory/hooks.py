"""What inventory announces to the apps above it (the API's webhooks connect here).

Both are sent inside the service's transaction, after the rows are written."""

from django.dispatch import Signal

# kwargs: movement (a StockMovement just written; StockLevel already updated).
stock_moved = Signal()

# kwargs: order, from_status (None for a new order), to_status, by (a User or None).
order_changed = Signal()

from common.exceptions import ApplicationError


class InvalidTransition(ApplicationError):
    code = "invalid_transition"
    status = 409


class NotAllowed(ApplicationError):
    """The person may see the lease but not take this step (e.g. the exporter accepting)."""

    code = "not_allowed"
    status = 403


class InvalidShipment(ApplicationError):
    code = "invalid_shipment"


class ShipmentOutOfOrder(InvalidShipment):
    """The shipment's status does not allow this step now (marking it backwards, checking in before it
    arrived): a conflict with its state, like ``InvalidTransition``, not invalid input."""

    status = 409


class InvalidExtension(ApplicationError):
    code = "invalid_extension"


class InvalidTransfer(ApplicationError):
    code = "invalid_transfer"


class TransferNotOpen(ApplicationError):
    """Someone else took the offer first, or it was withdrawn or lapsed."""

    code = "transfer_not_open"
    status = 409


class RefundChanged(ApplicationError):
    """The refund shown before confirming is no longer the refund (a policy deadline passed)."""

    code = "refund_changed"
    status = 409

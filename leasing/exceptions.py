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

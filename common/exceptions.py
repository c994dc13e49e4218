"""The one base of every domain error.

Services raise subclasses with a stable ``code``; views turn them into form errors
or JSON ``{"code", "detail"}`` with a 4xx status.
"""


class ApplicationError(Exception):
    code = "application_error"
    status = 400

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail}


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    status = 403

"""The one base of every domain error.

Services raise subclasses with a stable ``code``; views turn them into form errors
or JSON ``{"code", "detail"}`` with a 4xx status. An error may carry a ``link`` (label, url) to
where the person can act on it: pages render it (``error_html``); the JSON stays plain text.
"""

from django.utils.html import format_html


class ApplicationError(Exception):
    code = "application_error"
    status = 400
    link: tuple[str, str] | None = None

    def __init__(self, detail: str, *, code: str | None = None, link: tuple[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        if link:
            self.link = link

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail}


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    status = 403


def error_html(error: ApplicationError) -> str:
    """The error for a page: its detail, followed by its link if it has one (escaped, safe)."""
    if not error.link:
        return error.detail
    label, url = error.link
    return format_html('{} <a href="{}">{}</a>', error.detail, url, label)

"""The one base error of the services: a message for people and the HTTP status it means.

A service refuses with ``raise NotFound()`` (or its own subclass of :class:`ServiceError`),
never with Flask's ``abort``: it stays callable from the CLI and from tests without a
request. A view that can say something better (a message next to a form field) catches the
error; one that cannot lets it through, and the handler registered by
``training.service_errors.register`` turns it into its status and the error page. The shape
is flask-realworld's ``InvalidUsage(message, status_code)``.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A request a service cannot carry out: ``message`` is for people, ``status_code`` for HTTP.

    Subclasses set their own ``status_code`` and, where one fits every case, a default ``message``.
    """

    status_code = 400
    message = "That did not work."

    def __init__(self, message: str | None = None, status_code: int | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        if status_code is not None:
            self.status_code = status_code

    def to_dict(self) -> dict[str, object]:
        """The error as a JSON body: what the app's other error responses send."""
        return {"error": self.message, "status": self.status_code}


class FieldError(ServiceError, ValueError):
    """A refusal about what was typed: ``field`` names the form field the message belongs next to (None: the form)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(ServiceError):
    """No such thing, or one the viewer may not see: the same answer, so nothing hints that it exists."""

    status_code = 404
    message = "There is nothing here."


class Forbidden(ServiceError):
    """The viewer may not do this, and may know that the thing exists."""

    status_code = 403
    message = "You do not have access to this page."


class Conflict(ServiceError):
    """The request is understood but the state of things does not allow it now."""

    status_code = 409
    message = "That is not possible now."

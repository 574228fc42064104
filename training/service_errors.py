"""The one handler of service errors: a :class:`ServiceError` a view lets through becomes its status
code and the error page with its message (JSON for JSON requests), like the app's other errors.

``create_app`` calls :func:`register` from ``register_errorhandlers``.
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request

from . import database
from .extensions import db
from .services import errors


def error_response(code: int, message: str, headers: dict | None = None):
    """The error page (or JSON body) for ``code`` with ``message``; the request's work is rolled back."""
    db.session.rollback()
    # The error page reads the academy's name: in a plain read, never by waiting for the write lock.
    database.declare_write_intent(False)
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify(error=message, status=code), code, headers or {}
    return render_template("error.html", code=code, message=message), code, headers or {}


def handle_service_error(exc: errors.ServiceError):
    """A service's refusal as its status and its message: the message was written for people."""
    return error_response(exc.status_code, exc.message)


def register(app: Flask) -> None:
    """Turn every :class:`ServiceError` (and subclass) a view lets through into its status and message."""
    app.register_error_handler(errors.ServiceError, handle_service_error)

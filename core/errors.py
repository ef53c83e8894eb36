"""Domain errors and the one error format: JSON for the API, a page for everything else.

No response ever carries a stack trace or SQL; unexpected errors are logged for the operator and
answered with a generic 500.
"""
from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain refused the request; the message is for the user."""

    status = 422
    code = "rule_violation"
    field: str | None = None

    def __init__(self, message, *, field: str | None = None, fields: dict | None = None):
        super().__init__(str(message))
        self.message = message
        if field is not None:
            self.field = field
        self.fields = fields or ({self.field: [str(message)]} if self.field else {})


class ConflictError(DomainError):
    status = 409
    code = "conflict"


class ForbiddenError(DomainError):
    """A rule forbids this actor the step (e.g. approving one's own proposal)."""

    status = 403
    code = "forbidden"


CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 422: "validation_error", 429: "too_many_requests",
    500: "internal_error", 503: "unavailable",
}

MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Please log in."),
    403: _l("You are not allowed to do this."),
    404: _l("Not found."),
    405: _l("This method is not allowed here."),
    409: _l("This conflicts with the current state."),
    413: _l("The upload or request body is too large."),
    415: _l("Unsupported content type."),
    422: _l("Some fields are not valid."),
    429: _l("Too many requests; please wait and try again."),
    500: _l("An unexpected error occurred. It has been logged."),
    503: _l("The service is temporarily unavailable."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_body(status: int, message=None, fields: dict | None = None, code: str | None = None):
    return {
        "error": {
            "code": code or CODES.get(status, "error"),
            "message": str(message or MESSAGES.get(status, "")),
            "fields": fields or {},
        }
    }


def error_response(status: int, message=None, fields=None, code=None):
    if wants_json():
        resp = jsonify(error_body(status, message, fields, code))
        resp.status_code = status
        return resp
    return render_template(
        "errors/error.html", status=status, message=str(message or MESSAGES.get(status, ""))
    ), status


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def handle_csrf(exc):
        return error_response(400, _("The form has expired or was not sent from this site; "
                                     "please reload the page and try again."), code="csrf")

    @app.errorhandler(DomainError)
    def handle_domain(exc: DomainError):
        return error_response(exc.status, exc.message, exc.fields, exc.code)

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        status = exc.code or 500
        fields = None
        data = getattr(exc, "data", None)
        if isinstance(data, dict) and "messages" in data:  # webargs validation errors
            fields = {}
            for location, location_errors in data["messages"].items():
                if isinstance(location_errors, dict):
                    fields.update(location_errors)
                else:  # e.g. {"json": ["Invalid JSON body."]}: the body as a whole
                    fields[location] = location_errors
            status = 422
        message = MESSAGES.get(status) if status in MESSAGES else exc.description
        if status == 429 and getattr(exc, "description", None):
            message = MESSAGES[429]
        return error_response(status, message, fields)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return handle_http(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        from extensions import db

        db.session.rollback()
        return error_response(500)

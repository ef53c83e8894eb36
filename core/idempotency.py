"""``Idempotency-Key`` for creating POSTs: the same key and body return the first result.

The wrapper is the commit boundary of the API views it wraps: the record of the response and the
created object are committed together, and a concurrent duplicate loses on the unique key and gets
the stored response.
"""
from __future__ import annotations

import functools
import hashlib

from flask import Response, jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.errors import DomainError
from core.models import IdempotencyRecord
from core.permissions import current_actor
from extensions import db

MAX_KEY_LENGTH = 128


def _request_hash() -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    response = jsonify(record.response_body)
    response.status_code = record.status_code
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _existing(actor, key):
    return db.session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == actor.id, IdempotencyRecord.key == key))


def idempotent(view):
    """Commit a creating view's work, keyed by the optional ``Idempotency-Key`` header."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > MAX_KEY_LENGTH:
            raise DomainError(_l("Idempotency-Key is longer than %(n)d characters.",
                                 n=MAX_KEY_LENGTH), field="Idempotency-Key")
        actor = current_actor()
        request_hash = _request_hash()
        if key:
            record = _existing(actor, key)
            if record is not None:
                if record.request_hash != request_hash:
                    raise DomainError(_l("This Idempotency-Key was used for another request."),
                                      field="Idempotency-Key")
                return _replay(record)
        response = view(*args, **kwargs)
        if not isinstance(response, Response):
            response = jsonify(response)
        if not 200 <= response.status_code < 300:
            db.session.rollback()
            return response
        if key:
            db.session.add(IdempotencyRecord(
                user_id=actor.id, key=key, request_hash=request_hash,
                status_code=response.status_code, response_body=response.get_json()))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            record = _existing(actor, key) if key else None
            if record is None:
                raise
            return _replay(record)
        return response

    return wrapper

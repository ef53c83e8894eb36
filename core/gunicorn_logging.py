"""Gunicorn's access log without client addresses, user agents or receipt codes.

Tips' public endpoints must leave no trace of who sent them (domain.md §5.4), so the access log
never prints the remote address or the user agent, and a receipt code in a path is replaced by
``[redacted]``. Used by ``bin/run`` (``--logger-class core.gunicorn_logging.PrivateAccessLogger``).
"""
from __future__ import annotations

import re

from gunicorn import glogging

_RECEIPT_IN_PATH = re.compile(r"(/tips/status/)[^\s?/]+")
_HIDDEN = ("h", "a", "{x-forwarded-for}i", "{x-real-ip}i", "{user-agent}i")


def redact(text: str) -> str:
    return _RECEIPT_IN_PATH.sub(r"\1[redacted]", text)


class PrivateAccessLogger(glogging.Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in _HIDDEN:
            if key in atoms:
                atoms[key] = "-"
        for key in ("r", "U", "q", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms

"""Security headers on every response; ``no-store`` on anything shown to a logged-in user.

Pages carry the full set. A JSON answer of the API is never rendered as a document, so the
page policies (the sources of the content security policy, referrer, opener, permissions) have
nothing to govern there: it carries the set the OWASP REST Security Cheat Sheet gives for APIs
(``frame-ancestors 'none'``, ``nosniff``, ``DENY``, HSTS), which keeps a roadside check's
answer small — ten header lines of 500 bytes were more than the answer itself.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import request
from flask_login import current_user


def content_security_policy(tile_url: str) -> str:
    img = "'self' data: blob:"
    if tile_url:
        parts = urlsplit(tile_url.replace("{s}", "a"))
        if parts.scheme and parts.netloc:
            img += f" {parts.scheme}://{parts.netloc.split('{')[0]}"
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {img}",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def static_headers(config) -> list[tuple[str, str]]:
    """The headers every page and file carries."""
    headers = [("Content-Security-Policy", content_security_policy(config["MAP_TILE_URL"])),
               ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
               ("Referrer-Policy", "same-origin"), ("Cross-Origin-Opener-Policy", "same-origin"),
               ("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")]
    return headers + _transport(config)


def api_headers(config) -> list[tuple[str, str]]:
    """The headers every JSON answer of the API carries (the fast paths' too)."""
    headers = [("Content-Security-Policy", "frame-ancestors 'none'"),
               ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY")]
    return headers + _transport(config)


def _transport(config) -> list[tuple[str, str]]:
    """HSTS, when the app is served over TLS only (secure cookies)."""
    if config["SESSION_COOKIE_SECURE"]:
        return [("Strict-Transport-Security", "max-age=31536000")]
    return []


NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
API_PREFIX = "/api/"


def init_app(app) -> None:
    fixed, api = static_headers(app.config), api_headers(app.config)

    @app.after_request
    def set_headers(response):
        h = response.headers
        is_api = response.mimetype == "application/json" and \
            request.path.startswith(API_PREFIX)
        for name, value in api if is_api else fixed:
            h.setdefault(name, value)
        # Static files need no session look-up (and so no database work).
        if request.endpoint != "static" and current_user.is_authenticated:
            for name, value in NO_STORE:
                h[name] = value
        return response

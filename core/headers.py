"""Security headers on every response; ``no-store`` on anything shown to a logged-in user."""
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
    """The headers every response carries (the fast paths of :mod:`core.fastpath` too)."""
    headers = [("Content-Security-Policy", content_security_policy(config["MAP_TILE_URL"])),
               ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
               ("Referrer-Policy", "same-origin"), ("Cross-Origin-Opener-Policy", "same-origin"),
               ("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")]
    if config["SESSION_COOKIE_SECURE"]:
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    return headers


NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


def init_app(app) -> None:
    fixed = static_headers(app.config)

    @app.after_request
    def set_headers(response):
        h = response.headers
        for name, value in fixed:
            h.setdefault(name, value)
        # Static files need no session look-up (and so no database work).
        if request.endpoint != "static" and current_user.is_authenticated:
            for name, value in NO_STORE:
                h[name] = value
        return response

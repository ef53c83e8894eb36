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


def init_app(app) -> None:
    csp = content_security_policy(app.config["MAP_TILE_URL"])

    @app.after_request
    def set_headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", csp)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        if app.config["SESSION_COOKIE_SECURE"]:
            h.setdefault("Strict-Transport-Security", "max-age=31536000")
        # Static files need no session look-up (and so no database work).
        if request.endpoint != "static" and current_user.is_authenticated:
            h["Cache-Control"] = "no-store"
            h["Pragma"] = "no-cache"
        return response

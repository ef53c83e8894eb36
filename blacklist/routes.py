"""Blacklist pages. The real content arrives with later issues; the blueprint is registered now."""
from __future__ import annotations

from flask import Blueprint, render_template

from core.permissions import guard

bp = Blueprint("blacklist", __name__, url_prefix="/blacklist")


@bp.route("/")
@guard()
def index():
    """Landing page of the blacklist module."""
    return render_template("blacklist/index.html")


def init_app(app) -> None:
    app.register_blueprint(bp)

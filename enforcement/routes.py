"""Enforcement pages. The real content arrives with later issues; the blueprint is registered now."""
from __future__ import annotations

from flask import Blueprint, render_template

from core.permissions import guard

bp = Blueprint("enforcement", __name__, url_prefix="/enforcement")


@bp.route("/")
@guard()
def index():
    """Landing page of the enforcement module."""
    return render_template("enforcement/index.html")


def init_app(app) -> None:
    app.register_blueprint(bp)

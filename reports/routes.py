"""Reports pages. The real content arrives with later issues; the blueprint is registered now."""
from __future__ import annotations

from flask import Blueprint, render_template

from core.permissions import guard

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("/")
@guard()
def index():
    """Landing page of the reports module."""
    return render_template("reports/index.html")


def init_app(app) -> None:
    app.register_blueprint(bp)

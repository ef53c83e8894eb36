"""The enforcement module: cases, the people and vehicles registry, the violation catalogue,
tips."""
from __future__ import annotations

from flask import Blueprint, redirect, url_for

from core.permissions import guard

bp = Blueprint("enforcement", __name__, url_prefix="/enforcement")


@bp.route("/")
@guard()
def index():
    """The module's landing page is the case list."""
    return redirect(url_for("cases.list_cases"))


def init_app(app) -> None:
    from core.api import api
    from enforcement import joint, tips
    from enforcement.cases import api as cases_api
    from enforcement.cases import routes as case_routes
    from enforcement.people import routes as people_routes
    from enforcement.violations import routes as violation_routes

    app.register_blueprint(bp)
    case_routes.init_app(app)
    people_routes.init_app(app)
    violation_routes.init_app(app)
    cases_api.init_app(api)
    tips.init_app(app)
    joint.init_app(app)

"""Tips from the public (有奖举报): intake, review, duplicates, confidentiality."""
from __future__ import annotations


def init_app(app) -> None:
    """Register the public pages, the staff pages and the public API of tips."""
    from core.api import api
    from enforcement.tips import api as tips_api
    from enforcement.tips import public, routes

    app.register_blueprint(public.bp)
    app.register_blueprint(routes.bp)
    tips_api.init_app(api)

"""Wiring of the assessment module into the app (called from ``assessment.init_app``)."""
from __future__ import annotations


def init_app(app) -> None:
    from assessment import admin_routes, api, demo, jobs, routes
    from core import demo as core_demo
    from core.api import api as core_api

    routes.init_app(app)
    app.register_blueprint(admin_routes.bp)
    api.init_app(core_api)
    app.cli.add_command(jobs.assess_cli)
    jobs.register_jobs()
    core_demo.register_step("assessment", demo.load_demo)

"""Application factory; ``flask --app app`` finds ``create_app`` and calls it."""
from __future__ import annotations

import logging

from flask import Flask

import config as config_module


def create_app(config=None) -> Flask:
    """Build the application: configuration, then a flat list of ``init_app`` calls."""
    app = Flask(__name__, instance_path=str(config_module.INSTANCE_DIR))
    app.config.from_object(config if config is not None else config_module.Config())
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for package in ("core", "enforcement", "blacklist", "reports"):
        logging.getLogger(package).setLevel(app.config["LOG_LEVEL"])

    import assessment
    from blacklist import routes as blacklist_routes
    from core import account, auth, cli, database, errors, fastpath, headers, i18n, jobs
    from core import api as core_api
    from core import routes as core_routes
    from enforcement import routes as enforcement_routes
    from enforcement.cases import cli as cases_cli
    from extensions import csrf, db, limiter, migrate
    from reports import routes as reports_routes

    database.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.BASE_DIR / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    account.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    core_routes.init_app(app)
    core_api.init_app(app)
    enforcement_routes.init_app(app)
    blacklist_routes.init_app(app)
    reports_routes.init_app(app)
    assessment.init_app(app)
    cli.init_app(app)
    cases_cli.register(app)
    jobs.init_app(app)
    fastpath.init_app(app)  # last: it wraps the finished app
    return app


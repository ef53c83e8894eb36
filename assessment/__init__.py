"""Target-management assessment (目标管理考核): schemes as data, metrics from the records,
scores with explanations, objections and frozen results."""
from __future__ import annotations


def init_app(app) -> None:
    """Register the models, pages, API, CLI, scheduler jobs and the demo-data step."""
    from assessment import models  # noqa: F401  (tables known to Alembic)
    try:
        from assessment import setup
    except ImportError:  # pages not written yet
        return
    setup.init_app(app)

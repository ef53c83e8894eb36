"""Joint enforcement (联合执法): actions, strict-control zones, joint meetings and tasks."""
from __future__ import annotations


def init_app(app) -> None:
    """Register the pages, the API and the demo-data step of joint enforcement."""
    from core import demo
    from core.api import api
    from enforcement.joint import api as joint_api
    from enforcement.joint import meeting_routes, routes, zone_routes
    from enforcement.joint.demo import load_demo

    app.register_blueprint(routes.bp)
    app.register_blueprint(zone_routes.bp)
    app.register_blueprint(meeting_routes.bp)
    joint_api.init_app(api)
    demo.register_step("joint", load_demo)
    from enforcement.joint.zones import marks_at

    app.jinja_env.globals["zone_marks"] = marks_at

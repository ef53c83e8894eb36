"""Joint enforcement (联合执法): actions, strict-control zones, joint meetings and tasks."""
from __future__ import annotations


def init_app(app) -> None:
    """Register the pages, the API and the demo-data step of joint enforcement."""
    from enforcement.joint import models  # noqa: F401

"""The demo step: zones at the real hotspots, a year of actions, meetings and tasks, tips, and the
report of last month archived and served at its path."""
from __future__ import annotations

from sqlalchemy import func, select

from core import demo
from core.base import local_today
from enforcement.joint.demo import load_demo
from enforcement.joint.models import FollowUpTask, JointAction, Meeting, RuleBreach, Zone
from extensions import db as _db
from reports import monthly
from tests.conftest import login


def test_demo_step_fills_last_months_report(fresh_app):
    with fresh_app.app_context():
        logins = demo.load_structure()
        _db.session.commit()
        summary = load_demo(1)
        assert "5 zones" in summary
        assert load_demo(1) == "already present"
        names = set(_db.session.scalars(select(Zone.name)))
        assert {"重庆北站南广场", "江北国际机场T3航站楼", "解放碑步行街", "观音桥商圈", "洪崖洞"} == names
        months = {a.planned_start.astimezone(monthly.LOCAL).strftime("%Y-%m")
                  for a in _db.session.scalars(select(JointAction))}
        assert len(months) >= 12
        assert _db.session.scalar(select(func.count()).select_from(Meeting)) >= 20
        assert _db.session.scalar(select(func.count()).select_from(FollowUpTask)) >= 40
        assert _db.session.scalar(select(func.count()).select_from(RuleBreach)) > 0
        last = monthly.previous_month(local_today()).month
        assert monthly.latest(last) is None  # archived by the report step, after every module
        from reports.routes import _demo_report

        assert "v1" in _demo_report(1) and "already" in _demo_report(1)
        report = monthly.latest(last)
        figures = next(s for s in report.data["sections"] if s["key"] == "summary")["figures"]
        assert figures["this"]["actions"] > 20 and figures["this"]["person_days"] > 0
        password = next(p for u, p, *_ in logins if u == "officer1")
        _db.session.remove()
    client = fresh_app.test_client()
    assert login(client, "officer1", password).status_code == 302
    for fmt in ("html", "pdf", "xlsx"):
        response = client.get(f"/reports/monthly/{last}.{fmt}")
        response.close()
        assert response.status_code == 200 and response.headers["X-Report-Version"] == "1"

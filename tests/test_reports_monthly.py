"""The monthly joint-action report: figures against independent queries, the three files read
back, versions, the period rules, the job and the CLI."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from core import storage
from core.errors import DomainError
from core.models import Department, UnitKind
from core.roles import Role
from enforcement.cases.models import Case, CaseStatus
from enforcement.joint import meetings, services, zones
from enforcement.joint.models import JointAction, RuleBreach
from enforcement.tips.models import Tip
from reports import monthly
from reports.models import MonthlyReport
from tests.factories import UnitFactory, UserFactory
from tests.joint_factories import make_case, make_tip

LOCAL = ZoneInfo("Asia/Shanghai")
MONTH = "2026-03"
STATION = {"type": "Polygon", "coordinates": [[[106.545, 29.605], [106.555, 29.605],
                                               [106.555, 29.612], [106.545, 29.612],
                                               [106.545, 29.605]]]}


def t(month, day, hour=10, year=2026):
    return dt.datetime(year, month, day, hour, tzinfo=LOCAL)


@pytest.fixture
def month_data(db, tree):
    """A district's March: two actions (one under-staffed), cases in and out of a zone, tips,
    February and March a year before for the comparisons."""
    police = UnitFactory(code="500112-GA01", name="渝北公安分局", kind=UnitKind.department,
                         department=Department.police, parent=tree["north"])
    office = UserFactory(role=Role.district_office, unit=tree["north"])
    team = tree["north_team"]

    def action(kind, start, end, people, results=None):
        a = services.plan_action(actor=office, unit=tree["north"], data=services.ActionInput(
            kind=kind, name=f"{kind} {start:%m-%d}", planned_start=start, planned_end=end,
            participants=[services.ParticipantInput(u.id, n) for u, n in people]))
        services.approve(a, actor=office)
        if results:
            services.record_results(a, actor=office, data=services.ResultsInput(
                actual_start=start, actual_end=end, **results))
        return a

    action("concentrated_action", t(3, 10, 8), t(3, 11, 20), [(team, 30), (police, 10)],
           {"vehicles_checked": 200, "vehicles_detained": 9, "fines": "12000.00",
            "violent_incidents": 1, "media_reports": 3})
    action("daily_patrol", t(3, 20, 9), t(3, 20, 17), [(team, 6), (police, 2)],
           {"vehicles_checked": 35})
    action("night_action", t(2, 20, 21), t(2, 21, 2), [(team, 5)])  # February
    zone = zones.create_zone(actor=office, unit=team, data=zones.ZoneInput(
        name="重庆北站南广场", geojson=STATION, windows=zones.parse_windows("1-7 00:00-23:59")))
    make_case(team, t(3, 2), 29.608, 106.550, fine="2000", decided_on=dt.date(2026, 3, 20))
    make_case(team, t(3, 5), 29.608, 106.551)
    make_case(team, t(3, 31, 23), 29.700, 106.600)
    make_case(team, t(3, 6), status=CaseStatus.withdrawn)
    make_case(tree["centre_team"], t(3, 7), 29.56, 106.57, fine="500",
              decided_on=dt.date(2026, 3, 25))
    make_case(team, t(4, 1, 0))  # April, local time
    make_case(team, t(2, 15))
    make_case(team, t(3, 15, year=2025))
    make_tip(team, t(3, 3), 29.609, 106.549, verdict="verified", concluded_at=t(3, 12))
    make_tip(team, t(3, 4))
    make_tip(team, t(2, 4), verdict="unfounded", concluded_at=t(3, 2))
    meetings.record_meeting(actor=office, unit=tree["north"], data=meetings.MeetingInput(
        held_on=dt.date(2026, 1, 15), title="一季度联席会议", tasks=[
            meetings.TaskInput("北站夜查", team.id, dt.date(2026, 3, 10))]))
    return {"zone": zone, "office": office}


def _section(data, key):
    return next(s for s in data["sections"] if s["key"] == key)


def _independent(period):
    """The same figures by plain Python over all rows (no shared query code)."""
    cases = [c for c in monthly_rows(Case) if c.status not in (CaseStatus.draft,
                                                               CaseStatus.withdrawn)]
    in_month = [c for c in cases if period.start <= c.occurred_at < period.end]
    actions = [a for a in monthly_rows(JointAction) if a.status.value in ("approved",
                                                                          "completed")
               and period.start <= a.start < period.end]
    tips = monthly_rows(Tip)
    return {
        "cases": len(in_month),
        "actions": len(actions),
        "vehicles_checked": sum(a.vehicles_checked for a in actions),
        "fines": sum((c.fine_amount for c in cases if c.decided_on and
                      period.first_day <= c.decided_on <= period.last_day), Decimal("0")),
        "tips_received": sum(1 for x in tips if period.start <= x.created_at < period.end),
        "tips_verified": sum(1 for x in tips if x.concluded_at and x.verdict and
                             x.verdict.value in ("verified", "partly_verified") and
                             period.start <= x.concluded_at < period.end),
    }


def monthly_rows(model):
    from extensions import db

    return db.session.scalars(select(model)).all()


def test_report_figures_match_independent_queries(db, tree, month_data):
    row = monthly.build_report(MONTH, today=dt.date(2026, 4, 2))
    assert (row.month, row.version) == (MONTH, 1)
    figures = _section(row.data, "summary")["figures"]
    this = figures["this"]
    expected = _independent(monthly.parse_month(MONTH, today=dt.date(2026, 4, 2)))
    assert this["cases"] == expected["cases"] == 4
    assert this["actions"] == expected["actions"] == 2
    assert this["vehicles_checked"] == expected["vehicles_checked"] == 235
    assert Decimal(this["fines"]) == expected["fines"] == Decimal("2500")
    assert this["tips_received"] == expected["tips_received"] == 2
    assert this["tips_verified"] == expected["tips_verified"] == 1
    # person-days: 40 people × 2 days + 8 people × 1 day
    assert this["person_days"] == 88
    assert figures["previous"]["cases"] == 1 and figures["previous"]["actions"] == 1
    assert figures["year_before"]["cases"] == 1
    actions = _section(row.data, "actions")["figures"]
    assert actions["person_days_by_department"] == {"transport": 66, "police": 22}
    assert actions["by_kind"]["concentrated_action"] == 1
    hotspots = _section(row.data, "hotspots")["figures"]
    assert hotspots["zones"] == {"重庆北站南广场": {"cases": 2, "tips": 1}}
    duties = _section(row.data, "duties")["figures"]
    assert duties["no_concentrated_action"] == ["500103"]
    patrol = db.session.scalar(select(JointAction).where(JointAction.kind == "daily_patrol"))
    assert duties["understaffed_actions"] == [patrol.id]
    assert duties["no_meeting"] == ["500103"]
    tasks = _section(row.data, "tasks")["figures"]
    assert tasks == {"due": 1, "late": 1}


def test_zone_marks_count_what_zones_marked_lists(db, tree, month_data):
    """The report counts a zone's marks from three columns; the figure is what
    :func:`zones.marked` lists (drafts count, withdrawn cases and points outside the polygon or
    the zone's hours do not)."""
    from reports.sections import marked_count

    zone, team = month_data["zone"], tree["north_team"]
    for window in zone.windows:
        window.starts_at, window.ends_at = dt.time(8), dt.time(20)
    make_case(team, t(3, 8, 9), 29.607, 106.546, status=CaseStatus.draft)
    make_case(team, t(3, 8, 9), 29.607, 106.546, status=CaseStatus.withdrawn)
    make_case(team, t(3, 8, 22), 29.607, 106.546)  # outside the zone's hours
    make_case(team, t(3, 8, 9), 29.6119, 106.5549)  # in the box, on the polygon's edge
    make_case(team, t(3, 8, 9), 29.6125, 106.550)  # outside the box
    period = monthly.parse_month(MONTH, today=dt.date(2026, 4, 2))
    for model in (Case, Tip):
        listed = zones.marked(model, zone, since=period.start, until=period.end)
        assert marked_count(model, zone, period) == len(listed)
    assert marked_count(Case, zone, period) == 4
    assert marked_count(Tip, zone, period) == 1


def test_files_read_back(db, tree, month_data):
    row = monthly.build_report(MONTH, today=dt.date(2026, 4, 2))
    pdf = storage.path_of("reports", row.pdf_name).read_bytes()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "月度联合执法报告" in text and MONTH in text
    assert "重庆北站南广场" in text and "235" in text
    assert "°N" in text  # the hotspot map (an SVG image in the print variant) drawn as vectors
    wb = load_workbook(io.BytesIO(storage.path_of("reports", row.xlsx_name).read_bytes()))
    values = [[c for c in r] for ws in wb.worksheets for r in ws.iter_rows(values_only=True)]
    metrics = next(r for r in values if r[0] == "案件")
    assert metrics[1] == 4 and metrics[2] == 1
    assert any(r[0] == "集中治理行动" and r[1] == 1 for r in values)
    html = storage.path_of("reports", row.html_name).read_text("utf-8")
    assert "<svg" in html and "<script" not in html and "style=" not in html
    assert 'href="/static/css/report.css"' in html


def test_print_variant_has_the_charts_as_images_of_the_same_svg(db, tree, month_data):
    import base64
    import re

    from flask_babel import force_locale

    from reports import render

    period = monthly.parse_month(MONTH, today=dt.date(2026, 4, 2))
    with force_locale(monthly.REPORT_LOCALE):
        sections = monthly.collect(period)
    now = dt.datetime(2026, 4, 2, tzinfo=dt.timezone.utc)
    page = render.html(period, sections, built_at=now, for_print=False)
    printed = render.html(period, sections, built_at=now, for_print=True)
    charts = [c for s in sections for c in s["charts"]]
    images = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)"', printed)
    assert len(charts) == 3 and "<svg" not in printed
    assert [base64.b64decode(i).decode("utf-8") for i in images] == charts
    assert all(c in page for c in charts)


def test_monthly_concentrated_rule_is_a_setting(db, tree, month_data):
    from core import settings
    from reports.sections import missing_concentrated

    period = monthly.parse_month(MONTH, today=dt.date(2026, 4, 2))
    assert [u.code for u in missing_concentrated(period)] == ["500103"]
    settings.set_value("joint.concentrated_per_month", 2, actor=month_data["office"])
    assert [u.code for u in missing_concentrated(period)] == ["500103", "500112"]


def test_rebuild_adds_a_version_and_keeps_the_old(db, tree, month_data):
    first = monthly.build_report(MONTH, today=dt.date(2026, 4, 2))
    make_case(tree["north_team"], t(3, 9))
    second = monthly.build_report(MONTH, today=dt.date(2026, 4, 2))
    assert second.version == 2 and first.pdf_name != second.pdf_name
    assert _section(first.data, "summary")["figures"]["this"]["cases"] == 4
    assert _section(second.data, "summary")["figures"]["this"]["cases"] == 5
    assert storage.sha256_of("reports", first.pdf_name) == first.pdf_sha256
    assert monthly.latest(MONTH).id == second.id


@pytest.mark.parametrize("month", ["2026-05", "2026-13", "26-03", "", "1999-12"])
def test_bad_or_future_month_is_refused(db, month):
    with pytest.raises(DomainError) as info:
        monthly.build_report(month, today=dt.date(2026, 4, 2))
    assert info.value.field == "month"
    assert db.session.scalar(select(MonthlyReport.id).limit(1)) is None


def test_current_month_so_far_is_allowed():
    assert monthly.parse_month("2026-04", today=dt.date(2026, 4, 2)).month == "2026-04"


def test_job_builds_last_month_once_and_stores_missed_duties(db, tree, month_data,
                                                             monkeypatch):
    monkeypatch.setattr(monthly, "local_today", lambda: dt.date(2026, 4, 1))
    result = monthly.build_previous_month()
    assert result["month"] == MONTH and result["built"] is True
    again = monthly.build_previous_month()
    assert again["built"] is False and again["breaches"] == 0
    keys = set(db.session.scalars(select(RuleBreach.key).where(RuleBreach.action_id.is_(None))))
    assert keys == {f"u{tree['centre'].id}:concentrated_monthly:{MONTH}",
                    f"u{tree['centre'].id}:meeting_quarterly:{MONTH}"}


def test_job_is_registered(app):
    from core import jobs

    job = next(j for j in jobs.job_definitions() if j.id == "monthly_joint_report")
    assert job.trigger == "cron" and job.trigger_args["day"] == 1


def test_extra_sections_from_the_registry(db, tree, month_data):
    @monthly.section("extra", "附加统计", order=41)
    def extra(period):
        return {"tables": [{"key": "paid", "title": "已发放", "headers": ["笔数"],
                            "rows": [[7]]}]}

    try:
        row = monthly.build_report(MONTH, today=dt.date(2026, 4, 2))
    finally:
        monthly.SECTIONS.pop("extra")
    keys = [s["key"] for s in row.data["sections"]]
    assert keys.index("extra") == keys.index("tips") + 1

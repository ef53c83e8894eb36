"""Score pages, exports, the API, the CLI, the scheduler jobs and concurrent runs."""
from __future__ import annotations

import datetime as dt
import io
import json
import threading

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from assessment import jobs, schemes, scoring
from assessment.models import ManualEntry, ResultStatus, SchemeVersion, ScoreResult
from core.jobs import job_definitions
from core.roles import Role
from extensions import db as _db
from tests.assessment_support import worked_example
from tests.conftest import csrf_token
from tests.factories import UserFactory

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def scored(db, tree):
    office = UserFactory(role=Role.city_office, unit=tree["city"])
    worked_example(tree, office)
    scoring.assess("2026-10", today=TODAY)
    return tree


def test_ranking_page_with_chart_and_export(client, scored, login_as):
    login_as(Role.district_office, "north")
    page = client.get("/assessment/?period=2026-10")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and "90.0" in html
    assert "渝中区" not in html  # another district's result is out of scope
    data = client.get("/assessment/?period=2026-10&format=xlsx")
    sheet = load_workbook(io.BytesIO(data.data)).active
    rows = list(sheet.values)
    assert rows[1][0] == "渝北区" and float(rows[1][2]) == 90.0


def test_unit_page_explains_and_links_the_records(client, scored, login_as):
    login_as(Role.unit_leader, "north")
    html = client.get("/assessment/units/500112?period=2026-10").get_data(as_text=True)
    assert "max(0, 10 − 2 × 1)" in html  # the follow-up task formula
    assert "/cases/" in html and "/tips/" in html and "/joint/meetings/" in html
    assert "2026-10: 18 / 20" in html  # the month without a full concentrated action
    assert "/blacklist/" in html
    assert "政府表彰" in html and "通报批评" in html  # bonus and deduction named from the scheme
    xlsx = client.get("/assessment/units/500112?period=2026-10&format=xlsx")
    assert xlsx.status_code == 200 and len(list(load_workbook(io.BytesIO(xlsx.data))
                                               .active.values)) == 13
    assert client.get("/assessment/units/500103?period=2026-10").status_code == 404
    assert client.get("/assessment/units/500112?period=2026-13").status_code == 422


def test_objection_through_the_pages(client, scored, login_as, db):
    from core.base import local_today

    for row in db.session.scalars(select(ScoreResult)):  # published "today", as the page sees it
        row.objection_due_on = local_today() + dt.timedelta(days=7)
    db.session.flush()
    login_as(Role.unit_leader, "north")
    token = csrf_token(client, "/assessment/units/500112?period=2026-10")
    response = client.post("/assessment/units/500112/objections", data={
        "csrf_token": token, "period": "2026-10", "indicator": "joint_patrols",
        "reason": "巡查记录不全"})
    assert response.status_code == 302
    html = client.get("/assessment/units/500112?period=2026-10").get_data(as_text=True)
    assert "巡查记录不全" in html


def test_api_lists_and_breaks_down(client, scored, login_as):
    login_as(Role.district_office, "north")
    body = client.get("/api/v1/assessments?period=2026-10").get_json()
    north = next(i for i in body["items"] if i["unit"] == "500112")
    assert north["score"] == "90.0" and north["grade"] == "excellent"
    assert north["rank"] == 1 and north["advanced"] and not north["vetoed"]
    assert north["final"] is False
    assert all(i["unit"] != "500103" for i in body["items"])
    detail = client.get("/api/v1/assessments/500112?period=2026-10").get_json()
    codes = [line["code"] for line in detail["indicators"]]
    assert "decisions_on_time" in codes and detail["bonus"] == "4"
    assert client.get("/api/v1/assessments/500103?period=2026-10").status_code == 404
    assert client.get("/api/v1/assessments?period=2026-13").status_code == 422
    assert client.get("/api/v1/assessments").status_code == 422


def test_entries_page_records_and_refuses(client, tree, login_as, db):
    login_as(Role.city_office, "city")
    token = csrf_token(client, "/assessment/entries?period=2026-10")
    good = {"csrf_token": token, "period": "2026-10", "unit_code": "500112", "kind": "survey",
            "item": "public_satisfaction", "counts": "satisfied=30, basic=10",
            "document_no": "测评〔2026〕5号", "document_date": "2026-10-30"}
    assert client.post("/assessment/entries", data=good).status_code == 302
    bad = dict(good, counts="satisfied=10")
    response = client.post("/assessment/entries", data=bad)
    assert response.status_code == 422 and "40" in response.get_data(as_text=True)
    over = dict(good, kind="score", item="lawful_administration", value="6", counts="")
    assert client.post("/assessment/entries", data=over).status_code == 422
    assert db.session.scalar(select(func.count(ManualEntry.id))) == 1


def test_scheme_edit_page_makes_a_new_version(client, tree, login_as, db):
    from assessment.schemes_store import seed_schemes

    seed_schemes()
    login_as(Role.city_office, "city")
    page = client.get("/assessment/schemes")
    assert page.status_code == 200
    scheme_id = db.session.scalar(select(SchemeVersion.scheme_id).limit(1))
    token = csrf_token(client, f"/assessment/schemes/{scheme_id}")
    data = dict(schemes.UNIT_DEFAULT, categories=[dict(schemes.UNIT_DEFAULT["categories"][0],
                                                       points=70)] +
                schemes.UNIT_DEFAULT["categories"][1:])
    bad = client.post(f"/assessment/schemes/{scheme_id}", data={
        "csrf_token": token, "data": json.dumps(data), "valid_from": "2026-12-01"})
    assert bad.status_code == 422 and "add up" in bad.get_data(as_text=True)
    assert client.post(f"/assessment/schemes/{scheme_id}", data={
        "csrf_token": token, "data": "{not json", "valid_from": "2026-12-01"}).status_code == 422
    good = client.post(f"/assessment/schemes/{scheme_id}", data={
        "csrf_token": token, "data": json.dumps(schemes.UNIT_DEFAULT),
        "valid_from": "2026-12-01"})
    assert good.status_code == 302
    assert db.session.scalar(select(func.count(SchemeVersion.id)).where(
        SchemeVersion.scheme_id == scheme_id)) == 2


def test_officer_sees_own_score(client, tree, login_as, db):
    from enforcement.cases.models import CaseOfficer
    from tests.assessment_support import decision_clock

    officer = login_as(Role.officer, "north_team")
    case = decision_clock(tree["north_team"], dt.date(2026, 3, 10), dt.date(2026, 3, 20))
    db.session.add(CaseOfficer(case_id=case.id, user_id=officer.id))
    db.session.flush()
    scoring.assess("2026", today=dt.date(2026, 12, 2))
    html = client.get("/assessment/me?period=2026").get_data(as_text=True)
    assert "95.0" in html  # 100 − 5: a decision past the legal deadline
    assert f"/cases/{case.id}" in html and case.number in html
    other = UserFactory(role=Role.officer, unit=tree["north_team"])
    assert client.get(f"/assessment/officers/{other.id}").status_code == 302
    assert officer is not None


def test_cli_run_and_bad_period(app, tree, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["assess", "run", "--period", "2026-13"])
    assert result.exit_code != 0 and "不存在第 13 月" in result.output
    result = runner.invoke(args=["assess", "run", "--period", "2026-10"])
    assert result.exit_code == 0, result.output
    assert "scored" in result.output


def test_jobs_publish_then_finalize(db, scored):
    assert {"assessment_nightly", "assessment_finalize"} <= {
        j.id for j in job_definitions()}
    done = jobs.nightly(today=TODAY)
    assert {"2026-11", "2026-10", "2026-H2", "2026-H1", "2026", "2025"} <= set(done)
    row = scoring._current("2026-10", f"u{scored['north'].id}")
    assert row.status == ResultStatus.published
    assert scoring._current("2026-11", f"u{scored['north'].id}").status == \
        ResultStatus.provisional
    assert jobs.finalize_due(today=row.objection_due_on) == []
    assert jobs.finalize_due(today=row.objection_due_on + dt.timedelta(days=1)) == [
        "2025", "2026-10", "2026-H1"]
    assert scoring._current("2026-10", f"u{scored['north'].id}").status == ResultStatus.final


def test_two_runs_at_once_leave_one_result(fresh_app):
    from core import services as core_services
    from core.models import UnitKind

    with fresh_app.app_context():
        city = core_services.create_unit(actor=None, code="500000", name="重庆市",
                                         kind=UnitKind.city, parent=None)
        for n in range(3):
            core_services.create_unit(actor=None, code=f"5001{n:02d}", name=f"区{n}",
                                      kind=UnitKind.district, parent=city)
        _db.session.commit()
        _db.session.remove()
    barrier = threading.Barrier(4, timeout=60)
    errors: list[str] = []

    def run():
        try:
            barrier.wait()
            with fresh_app.app_context():
                scoring.assess("2026-10", today=TODAY)
                _db.session.commit()
                _db.session.remove()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with fresh_app.app_context():
        rows = _db.session.execute(select(ScoreResult.subject_key, func.count()).group_by(
            ScoreResult.subject_key)).all()
        assert len(rows) == 3 and all(n == 1 for _k, n in rows)
        _db.session.remove()


def test_target_and_assignment_pages(client, tree, login_as, db):
    from assessment.models import SchemeAssignment, UnitTarget
    from assessment.schemes_store import seed_schemes

    seed_schemes()
    login_as(Role.city_office, "city")
    token = csrf_token(client, "/assessment/schemes")
    assert client.post("/assessment/units/500112/targets", data={
        "csrf_token": token, "indicator": "cases_registered", "target": "25"}).status_code == 302
    assert client.post("/assessment/units/500112/targets", data={
        "csrf_token": token, "indicator": "joint_meetings", "target": "2"}).status_code == 422
    assert db.session.scalar(select(UnitTarget.target)) == 25
    assert client.post("/assessment/schemes/assignments", data={
        "csrf_token": token, "subject": "officer", "scheme": "town"}).status_code == 422
    assert client.post("/assessment/schemes/assignments", data={
        "csrf_token": token, "subject": "street", "scheme": "unit_default"}).status_code == 302
    row = db.session.scalar(select(SchemeAssignment).where(SchemeAssignment.subject == "street"))
    assert row.scheme.code == "unit_default"


def test_backfill_scores_past_months(app, tree, db):
    result = app.test_cli_runner().invoke(args=["assess", "backfill", "--since", "2026-05",
                                                "--until", "2026-06"])
    assert result.exit_code == 0, result.output
    assert "2026-05:" in result.output and "2026-H1:" in result.output
    periods = set(db.session.scalars(select(ScoreResult.period)))
    assert {"2026-05", "2026-06", "2026-H1"} <= periods


def test_city_office_decides_objections_on_the_page(client, tree, login_as, db):
    from assessment.models import ObjectionStatus
    from tests.assessment_support import published_objection

    objection = published_objection(tree["north_team"])
    login_as(Role.city_office, "city")
    token = csrf_token(client, "/assessment/objections")
    url = f"/assessment/objections/{objection.id}/decide"
    response = client.post(url, data={"csrf_token": token, "decision": "reject", "reason": ""})
    assert response.status_code == 422 and objection.status == ObjectionStatus.pending
    response = client.post(url, data={"csrf_token": token, "decision": "reject",
                                      "reason": "立案数据核对无误"})
    assert response.status_code == 302
    db.session.refresh(objection)
    assert objection.status == ObjectionStatus.rejected
    assert "立案数据核对无误" in client.get("/assessment/objections").get_data(as_text=True)
    assert client.post(url, data={"csrf_token": token, "decision": "accept"}).status_code == 409

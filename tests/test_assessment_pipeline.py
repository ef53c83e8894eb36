"""The worked example of assessment.md through the real pipeline: records in the database →
metrics in SQL → engine → stored result."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from assessment import scoring
from assessment.models import ResultStatus, ScoreResult
from core.roles import Role
from tests.assessment_support import worked_example
from tests.factories import UserFactory

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def office(tree):
    return UserFactory(role=Role.city_office, unit=tree["city"])


def result_of(unit, period="2026-10"):
    return scoring._current(period, f"u{unit.id}")


def test_worked_example_scores_90_excellent(db, tree, office):
    worked_example(tree, office)
    summary = scoring.assess("2026-10", today=TODAY)
    assert summary.scored >= 4
    row = result_of(tree["north"])
    metrics = row.inputs["metrics"]
    assert metrics["cases_registered"] == ["15", None]
    assert metrics["decisions_on_time"] == ["18", "20"]
    assert metrics["concentrated_action_breaches"] == ["1", None]
    assert metrics["joint_patrols"] == ["10", None]
    assert metrics["tips_on_time"] == ["9", "10"]
    assert metrics["meeting_breaches"] == ["0", None]
    assert metrics["late_tasks"] == ["1", None]
    assert metrics["blacklist_reviews_on_time"] == ["4", "5"]
    assert row.score == Decimal("90.0")
    assert row.grade == "excellent"
    assert row.raw.startswith("89.9605")
    assert row.status == ResultStatus.published  # the month has ended: open to objections
    assert not row.vetoed and row.rank == 1
    assert row.advanced  # the only unit with 90 or more
    points = {line["code"]: Decimal(line["points"]) for line in row.lines["indicators"]}
    assert points["concentrated_action"] == 7 and points["follow_up_tasks"] == 8


def test_rerun_is_idempotent_and_final_is_frozen(db, tree, office):
    worked_example(tree, office)
    scoring.assess("2026-10", today=TODAY)
    before = {r.id: (r.score, r.lines, r.inputs, r.computed_at) for r in
              db.session.scalars(select(ScoreResult))}
    again = scoring.assess("2026-10", today=TODAY)
    assert again.changed == 0
    after = {r.id: (r.score, r.lines, r.inputs, r.computed_at) for r in
             db.session.scalars(select(ScoreResult))}
    assert before == after
    scoring.assess("2026-10", today=TODAY, final=True)
    row = result_of(tree["north"])
    assert row.status == ResultStatus.final and row.finalized_at is not None
    # A late record does not change the frozen result …
    from tests.assessment_support import task
    task(tree["north_team"], dt.date(2026, 10, 25), None)
    scoring.assess("2026-10", today=TODAY)
    assert result_of(tree["north"]).score == Decimal("90.0")
    # … a correction with a reason is a new version; the old one stays.
    scoring.assess("2026-10", today=TODAY, correction="督办事项补录")
    rows = list(db.session.scalars(select(ScoreResult).where(
        ScoreResult.subject_key == f"u{tree['north'].id}").order_by(ScoreResult.version)))
    assert [r.version for r in rows] == [1, 2]
    assert rows[0].score == Decimal("90.0") and not rows[0].is_current
    assert rows[1].score == Decimal("88.0") and rows[1].correction_reason == "督办事项补录"
    assert db.session.scalar(select(func.count(ScoreResult.id)).where(
        ScoreResult.is_current.is_(True), ScoreResult.subject_key == f"u{tree['north'].id}")) == 1


def test_open_period_is_provisional_and_cannot_be_final(db, tree, office):
    from core.errors import DomainError

    scoring.assess("2026-11", today=TODAY)
    assert result_of(tree["north"], "2026-11").status == ResultStatus.provisional
    with pytest.raises(DomainError):
        scoring.assess("2026-11", today=TODAY, final=True)


def test_annual_score_is_half_of_each_half_year(db, tree, office):
    worked_example(tree, office)  # October: in the second half-year
    scoring.assess("2026", today=dt.date(2027, 1, 5))
    h1 = scoring._current("2026-H1", f"u{tree['north'].id}")
    h2 = scoring._current("2026-H2", f"u{tree['north'].id}")
    year = scoring._current("2026", f"u{tree['north'].id}")
    assert h1 is None and h2 is None  # the halves are computed for the year, not stored
    row = year
    parts = {p: Decimal(score) for p, _w, score in row.lines["annual"]}
    assert set(parts) == {"2026-H1", "2026-H2"}
    assert row.score == ((parts["2026-H1"] + parts["2026-H2"]) / 2).quantize(Decimal("0.1"))


def test_town_scheme_scores_from_data(db, tree, office):
    from tests.assessment_support import entry, make_case

    street = tree["north_street"]
    for i in range(5):
        case = make_case(street, dt.datetime(2026, 3, 1 + i, 4, tzinfo=dt.timezone.utc))
        case.registered_on = dt.date(2026, 3, 1 + i)
    kw = {"period": "2026-H1", "document_date": dt.date(2026, 6, 30)}
    entry(office, street, "score", "central_work", value="90", **kw)
    entry(office, street, "survey", "leadership_survey", counts={"good": 10}, **kw)
    entry(office, street, "survey", "social_survey", counts={"satisfied": 40}, **kw)
    entry(office, street, "survey", "residents_survey", counts={"satisfied": 30}, **kw)
    entry(office, street, "bonus", "gov_commendation", level="county", **kw)
    scoring.assess("2026-H1", today=TODAY)
    row = result_of(street, "2026-H1")
    # quantitative (20 + 30 + 30) × 0.8 = 64; central 90 × 0.05 = 4.5; surveys 3 × 5; bonus 0.1
    assert row.score == Decimal("83.6") and row.grade == "qualified"
    assert row.scheme_version.scheme.code == "town"


def test_a_final_result_cannot_be_changed_in_place(db, tree, office):
    from assessment.models import FrozenResultError

    worked_example(tree, office)
    scoring.assess("2026-10", today=TODAY, final=True)
    row = result_of(tree["north"])
    row.score = Decimal("99.0")
    with pytest.raises(FrozenResultError):
        db.session.flush()
    db.session.rollback()


def test_officer_year_is_final_before_the_calendar_year(db, tree, office):
    officer = UserFactory(role=Role.officer, unit=tree["north_team"])
    december = dt.date(2026, 12, 10)
    scoring.assess("2026", today=december, final=True)
    assert scoring._current("2026", f"o{officer.id}").status == ResultStatus.final
    assert result_of(tree["north"], "2026").status == ResultStatus.provisional

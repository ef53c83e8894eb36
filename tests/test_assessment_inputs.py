"""Manual entries with evidence, scheme versions and objections: the bad inputs of the issue
give clear errors and save nothing."""
from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from assessment import schemes, schemes_store, scoring, services
from assessment.models import (
    ManualEntry,
    ObjectionStatus,
    ResultStatus,
    SchemeVersion,
    ScoreResult,
)
from core.errors import ConflictError, DomainError
from core.roles import Role
from tests.assessment_support import entry, worked_example
from tests.factories import UserFactory

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def office(tree):
    return UserFactory(role=Role.city_office, unit=tree["city"])


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("kind,item,extra,field", [
    ("score", "lawful_administration", {"value": "5.5"}, "value"),
    ("score", "lawful_administration", {"value": "-1"}, "value"),
    ("score", "lawful_administration", {"value": "abc"}, "value"),
    ("score", "cases_registered", {"value": "3"}, "item"),
    ("survey", "public_satisfaction", {"counts": {"satisfied": 30, "basic": 9}}, "counts"),
    ("survey", "public_satisfaction", {"counts": {"great": 50}}, "counts"),
    ("bonus", "gov_commendation", {"level": "galactic"}, "level"),
    ("bonus", "nobel_prize", {}, "item"),
    ("veto", "bad_weather", {}, "item"),
    ("score", "lawful_administration", {"value": "4", "document_no": " "}, "document_no"),
    ("score", "lawful_administration", {"value": "4", "period": "2026-13"}, "period"),
])
def test_bad_entries_name_the_field_and_save_nothing(db, tree, office, kind, item, extra, field):
    with pytest.raises(DomainError) as info:
        entry(office, tree["north"], kind, item, **extra)
    assert info.value.field == field
    assert count(db, ManualEntry) == 0


def test_entry_outside_scope_is_refused(db, tree):
    district = UserFactory(role=Role.district_office, unit=tree["centre"])
    with pytest.raises(DomainError) as info:
        entry(district, tree["north"], "score", "lawful_administration", value="4")
    assert info.value.field == "unit"


def test_officer_entries_and_officer_scheme_from_data(db, tree, office):
    officer = UserFactory(role=Role.officer, unit=tree["north_team"])
    for item in ("decision_late", "procedure"):  # the same incident: only the highest counts
        services.add_entry(actor=office, user=officer, data=services.EntryInput(
            period="2026", kind="deduction", item=item, work="incident-1",
            document_no="督查〔2026〕3号", document_date=dt.date(2026, 6, 1)))
    services.add_entry(actor=office, user=officer, data=services.EntryInput(
        period="2026", kind="bonus", item="commendation", level="city",
        document_no="表彰〔2026〕1号", document_date=dt.date(2026, 5, 1)))
    scoring.assess("2026", today=dt.date(2026, 12, 10))
    row = scoring._current("2026", f"o{officer.id}")
    assert row.inputs["window"][:2] == ["2025-12-01", "2026-11-30"]
    assert row.score == Decimal("100.0")  # 100 − 5 + 5
    assert row.grade == "A"


def test_veto_gives_lowest_grade_and_no_advanced(db, tree, office):
    worked_example(tree, office)
    entry(office, tree["north"], "veto", "major_safety_accident")
    scoring.assess("2026-10", today=TODAY)
    row = scoring._current("2026-10", f"u{tree['north'].id}")
    assert row.score == Decimal("90.0") and row.vetoed
    assert row.grade == "unqualified" and not row.advanced


def test_unit_target_replaces_the_scheme_default(db, tree, office):
    worked_example(tree, office)
    services.set_target(actor=office, unit=tree["north"], indicator_code="cases_registered",
                        target="15")
    scoring.assess("2026-10", today=TODAY)
    row = scoring._current("2026-10", f"u{tree['north'].id}")
    line = next(ln for ln in row.lines["indicators"] if ln["code"] == "cases_registered")
    assert Decimal(line["points"]) == 15 and line["target"] == "15"
    with pytest.raises(DomainError):
        services.set_target(actor=office, unit=tree["north"], indicator_code="joint_meetings",
                            target="3")


@pytest.mark.parametrize("mutate,needle", [
    (lambda s: s["categories"][0].__setitem__("points", 70), "add up"),
    (lambda s: s["grades"].__setitem__(1, {"code": "good", "min": 95}), "descending"),
    (lambda s: s["bonus"].__setitem__("cap", -1), "at least 0"),
])
def test_bad_scheme_edits_are_refused(db, office, mutate, needle):
    schemes_store.seed_schemes()
    scheme = schemes_store.assignments()["district"]
    before = count(db, SchemeVersion)
    data = copy.deepcopy(schemes.UNIT_DEFAULT)
    mutate(data)
    with pytest.raises(DomainError, match=needle):
        schemes_store.new_version(actor=office, scheme=scheme, data=data,
                                  valid_from=dt.date(2026, 12, 1))
    assert count(db, SchemeVersion) == before


def test_period_is_scored_with_the_version_in_force(db, tree, office):
    worked_example(tree, office)
    scheme = schemes_store.assignments()["district"]
    data = copy.deepcopy(schemes.UNIT_DEFAULT)
    data["grades"][0]["min"] = 95  # from November, excellent needs 95
    schemes_store.new_version(actor=office, scheme=scheme, data=data,
                              valid_from=dt.date(2026, 11, 1))
    scoring.assess("2026-10", today=TODAY)
    scoring.assess("2026-11", today=TODAY)
    october = scoring._current("2026-10", f"u{tree['north'].id}")
    november = scoring._current("2026-11", f"u{tree['north'].id}")
    assert october.scheme_version.version == 1 and october.grade == "excellent"
    assert november.scheme_version.version == 2


def test_objections_accepted_and_rejected(db, tree, office):
    worked_example(tree, office)
    scoring.assess("2026-10", today=TODAY)
    row = scoring._current("2026-10", f"u{tree['north'].id}")
    leader = UserFactory(role=Role.unit_leader, unit=tree["north"])
    wrong = services.raise_objection(actor=leader, result=row, indicator_code="joint_patrols",
                                     reason="巡查次数无误", today=TODAY)
    right = services.raise_objection(actor=leader, result=row, indicator_code="cases_registered",
                                     reason="漏计5起案件", today=TODAY)
    with pytest.raises(DomainError):  # frozen only after every objection is decided
        scoring.assess("2026-10", today=TODAY, final=True)
    with pytest.raises(DomainError) as info:
        services.decide_objection(actor=office, objection=wrong, accept=False, reason="")
    assert info.value.field == "reason"
    services.decide_objection(actor=office, objection=wrong, accept=False,
                              reason="记录完整", today=TODAY)
    services.decide_objection(actor=office, objection=right, accept=True, reason="核实",
                              corrected_value="20", today=TODAY)
    assert wrong.status == ObjectionStatus.rejected and right.status == ObjectionStatus.accepted
    with pytest.raises(ConflictError):
        services.decide_objection(actor=office, objection=right, accept=False, reason="x")
    row = scoring._current("2026-10", f"u{tree['north'].id}")
    assert row.score == Decimal("93.7")  # cases 20 of 20 → 15 instead of 11.25
    assert row.status == ResultStatus.published
    scoring.assess("2026-10", today=TODAY, final=True)
    assert scoring._current("2026-10", f"u{tree['north'].id}").status == ResultStatus.final


def test_objection_after_the_period_is_refused(db, tree, office):
    worked_example(tree, office)
    scoring.assess("2026-10", today=TODAY)
    row = scoring._current("2026-10", f"u{tree['north'].id}")
    leader = UserFactory(role=Role.unit_leader, unit=tree["north"])
    late = row.objection_due_on + dt.timedelta(days=1)
    with pytest.raises(DomainError) as info:
        services.raise_objection(actor=leader, result=row, indicator_code="joint_patrols",
                                 reason="迟到", today=late)
    assert info.value.field == "period"
    with pytest.raises(DomainError):
        services.raise_objection(actor=leader, result=row, indicator_code="nonsense",
                                 reason="x", today=TODAY)


def test_entries_after_final_are_refused(db, tree, office):
    worked_example(tree, office)
    scoring.assess("2026-10", today=TODAY, final=True)
    with pytest.raises(ConflictError):
        entry(office, tree["north"], "bonus", "dept_commendation", level="city")
    assert db.session.scalar(select(func.count(ScoreResult.id)).where(
        ScoreResult.status == ResultStatus.final)) > 0


def _input(kind, item, period="2026-10", **kw):
    return services.EntryInput(period=period, kind=kind, item=item, document_no="渝考〔2026〕5号",
                               document_date=dt.date(2026, 10, 31), **kw)


def test_many_entries_are_stored_together_or_not_at_all(db, tree, office):
    """add_entries checks every input first: one bad input (or a final result) stores none."""
    north, centre = tree["north"], tree["centre"]
    with pytest.raises(DomainError) as info:
        services.add_entries(actor=office, items=[
            (north, None, _input("score", "lawful_administration", value="4")),
            (centre, None, _input("score", "lawful_administration", value="9"))])
    assert info.value.field == "value" and count(db, ManualEntry) == 0
    stored = services.add_entries(actor=office, items=[
        (north, None, _input("score", "lawful_administration", value="4")),
        (centre, None, _input("survey", "public_satisfaction",
                              counts={"satisfied": 40, "basic": 10})),
        (north, None, _input("score", "case_file_review", value="4.5", period="2026-11"))])
    assert [(e.subject_key, e.period, e.item) for e in stored] == [
        (f"u{north.id}", "2026-10", "lawful_administration"),
        (f"u{centre.id}", "2026-10", "public_satisfaction"),
        (f"u{north.id}", "2026-11", "case_file_review")]
    from core.audit import AuditLog

    audited = db.session.scalars(select(AuditLog.object_id).where(
        AuditLog.action == "assessment.manual_entry").order_by(AuditLog.seq)).all()
    assert audited == [str(e.id) for e in stored]
    scoring.assess("2026-10", today=TODAY, final=True)
    with pytest.raises(ConflictError):
        services.add_entries(actor=office, items=[
            (north, None, _input("score", "leadership_evaluation", value="4", period="2026-11")),
            (north, None, _input("score", "leadership_evaluation", value="4"))])
    assert count(db, ManualEntry) == 3

"""The pure scoring engine: the worked example of assessment.md, the town and officer schemes
from data alone, scheme validation, and properties checked by Hypothesis."""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment import engine, schemes
from assessment.engine import Event, Inputs, Ratio

D = Decimal


def worked_example_inputs() -> Inputs:
    return Inputs(
        metrics={"cases_registered": Ratio(D(15)), "decisions_on_time": Ratio(D(18), D(20)),
                 "concentrated_action_breaches": Ratio(D(1)), "joint_patrols": Ratio(D(10)),
                 "tips_on_time": Ratio(D(9), D(10)), "meeting_breaches": Ratio(D(0)),
                 "late_tasks": Ratio(D(1)), "blacklist_reviews_on_time": Ratio(D(4), D(5))},
        manual={"lawful_administration": D(5), "case_file_review": D(4),
                "leadership_evaluation": D(5)},
        surveys={"public_satisfaction": {"satisfied": 20, "basic": 20}},
        bonus=[Event("gov_commendation", "city")],
        deductions=[Event("criticism", "city")])


def test_worked_example_scores_90_excellent():
    result = engine.score(schemes.UNIT_DEFAULT, worked_example_inputs())
    assert result.categories["key_work"] == D("68.46052631578947368421052632")
    assert result.categories["common_work"] == D("18.5")
    assert result.bonus == 4 and result.deduction == 1
    assert result.raw.quantize(D("0.0001")) == D("89.9605")
    assert result.score == D("90.0") and result.grade == "excellent" and not result.vetoed
    lines = {line.code: line for line in result.lines}
    assert lines["cases_registered"].points == D("11.25")
    assert lines["concentrated_action"].points == 7
    assert ("overachievement:joint_patrols", D(2)) in result.bonus_lines


def test_zero_denominator_scores_full_and_says_so():
    inputs = worked_example_inputs()
    inputs.metrics["decisions_on_time"] = Ratio(D(0), D(0))
    line = next(x for x in engine.score(schemes.UNIT_DEFAULT, inputs).lines
                if x.code == "decisions_on_time")
    assert line.points == 15 and not line.applicable


def test_veto_gives_the_lowest_grade_but_keeps_the_score():
    inputs = worked_example_inputs()
    inputs.vetoes = ["mass_incident"]
    result = engine.score(schemes.UNIT_DEFAULT, inputs)
    assert result.score == D("90.0") and result.grade == "unqualified" and result.vetoed


def test_same_work_commendations_count_only_the_highest_and_caps_apply():
    inputs = worked_example_inputs()
    inputs.bonus = [Event("gov_commendation", "city", work="w1"),
                    Event("gov_commendation", "national", work="w1"),
                    Event("dept_commendation", "county", work="w1")]
    result = engine.score(schemes.UNIT_DEFAULT, inputs)
    assert dict(result.bonus_lines)["gov_commendation:national"] == 4
    assert result.bonus == 4  # 4 + overachievement 2, capped at 4
    inputs.deductions = [Event("criticism", "provincial", count=3)]
    assert engine.score(schemes.UNIT_DEFAULT, inputs).deduction == 4


def test_survey_below_its_minimum_is_not_counted():
    inputs = worked_example_inputs()
    inputs.surveys["public_satisfaction"] = {"satisfied": 39}
    line = next(x for x in engine.score(schemes.UNIT_DEFAULT, inputs).lines
                if x.code == "public_satisfaction")
    assert line.points == 0 and not line.entered


def test_town_scheme_from_data_alone():
    inputs = Inputs(
        metrics={"cases_registered": Ratio(D(10)), "tips_on_time": Ratio(D(1), D(1)),
                 "late_tasks": Ratio(D(0))},
        manual={"central_work": D(90)},
        surveys={"leadership_survey": {"good": 8, "fair": 2},
                 "social_survey": {"satisfied": 30, "basic": 10},
                 "residents_survey": {"satisfied": 30}},
        bonus=[Event("gov_commendation", "city")],
        deductions=[Event("inspection_problem_unrectified", "county")])
    result = engine.score(schemes.TOWN, inputs)
    # 100×0.8 + 90×0.05 + 96×0.05 + 95×0.05 + 100×0.05 + 0.2 − 0.2
    assert result.raw == D("80") + D("4.5") + D("4.8") + D("4.75") + D("5")
    assert result.score == D("99.1") and result.grade == "excellent"


def test_officer_scheme_caps_categories_and_takes_the_highest_item_per_event():
    inputs = Inputs(
        metrics={"decisions_late": Ratio(D(3))},  # 3 × 5 = 15, capped at 10
        deductions=[Event("facts_unclear", event="case-7"), Event("wrong_law", event="case-7"),
                    Event("training_missed")],
        bonus=[Event("commendation", "city")])
    result = engine.score(schemes.OFFICER, inputs)
    assert result.categories["procedure"] == -10
    assert result.categories["substance"] == -5  # one incident: only the higher item
    assert result.categories["training"] == -2
    assert result.score == D("88.0") and result.grade == "B"
    inputs.vetoes = ["grave_harm"]
    assert engine.score(schemes.OFFICER, inputs).grade == "D"


def test_seeded_schemes_are_valid():
    for scheme in schemes.SEEDED:
        assert schemes.validate(scheme) == [], scheme["code"]


@pytest.mark.parametrize("change, message", [
    (lambda s: s["categories"][0]["indicators"][0].update(max=16), "add up"),
    (lambda s: s["grades"].reverse(), "grades"),
    (lambda s: s["bonus"].update(cap=-1), "bonus.cap"),
    (lambda s: s.update(period="fortnight"), "period"),
    (lambda s: s["categories"][1]["indicators"][2]["ratings"].update(satisfied="1.5"),
     "at most 1"),
    (lambda s: s["categories"][0]["indicators"][1].update(kind="magic"), "kind"),
])
def test_invalid_schemes_are_refused(change, message):
    scheme = copy.deepcopy(schemes.UNIT_DEFAULT)
    change(scheme)
    errors = schemes.validate(scheme)
    assert any(message in e for e in errors), errors


def test_advanced_quota_rank_and_annual_combination():
    ranked = [("a", D("95.0"), False), ("b", D("93.0"), True), ("c", D("91.0"), False),
              ("d", D("89.9"), False), ("e", D("92.0"), False), ("f", D("70"), False),
              ("g", D("60"), False), ("h", D("99"), False), ("i", D("50"), False)]
    assert engine.advanced(schemes.UNIT_DEFAULT, ranked) == {"h", "a"}  # 25 % of 9 → 2
    assert engine.advanced(schemes.UNIT_DEFAULT, [("x", D("80"), False)]) == set()
    assert engine.rank({"a": D(90), "b": D(95), "c": D(90), "d": D(80)}) == \
        {"b": 1, "a": 2, "c": 2, "d": 4}
    assert engine.combine([(D("88.1"), D("0.5")), (D("91.2"), D("0.5"))]) == D("89.7")


counts = st.integers(min_value=0, max_value=60)
ratios = st.tuples(counts, counts).map(lambda t: Ratio(D(t[0]), D(t[0] + t[1])))


@st.composite
def unit_inputs(draw):
    levels = st.sampled_from(["national", "provincial", "city", "county"])
    return Inputs(
        metrics={"cases_registered": Ratio(D(draw(counts))),
                 "decisions_on_time": draw(ratios),
                 "concentrated_action_breaches": Ratio(D(draw(st.integers(0, 6)))),
                 "joint_patrols": Ratio(D(draw(counts))), "tips_on_time": draw(ratios),
                 "meeting_breaches": Ratio(D(draw(st.integers(0, 2)))),
                 "late_tasks": Ratio(D(draw(st.integers(0, 9)))),
                 "blacklist_reviews_on_time": draw(ratios)},
        manual={k: D(draw(st.integers(0, 5))) for k in
                ("lawful_administration", "case_file_review", "leadership_evaluation")},
        surveys={"public_satisfaction": {"satisfied": draw(counts), "basic": draw(counts),
                                         "unsatisfied": draw(counts)}},
        bonus=[Event("gov_commendation", draw(levels)) for _ in range(draw(st.integers(0, 3)))],
        deductions=[Event("criticism", draw(st.sampled_from(["provincial", "city", "county"])))
                    for _ in range(draw(st.integers(0, 4)))],
        vetoes=draw(st.lists(st.sampled_from(["major_safety_accident", "mass_incident"]),
                             max_size=1)))


@settings(max_examples=200, deadline=None)
@given(unit_inputs())
def test_properties_bounds_veto_and_monotone_commendation(inputs):
    scheme = schemes.UNIT_DEFAULT
    result = engine.score(scheme, inputs)
    assert D(-4) <= result.score <= D(100) + D(4)
    assert result.score == result.raw.quantize(D("0.1"), rounding="ROUND_HALF_UP")
    if inputs.vetoes:
        assert result.grade == "unqualified"
    more = copy.deepcopy(inputs)
    more.bonus.append(Event("dept_commendation", "county"))
    assert engine.score(scheme, more).score >= result.score

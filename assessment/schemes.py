"""The seeded assessment schemes (assessment.md §2–§4) as plain data, and their validation.

The engine knows nothing about any of them: each is scored by ``engine.score`` alone. The city
office edits schemes as data; ``validate`` refuses a scheme whose points do not add up, whose
thresholds are out of order, or whose caps are negative.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from assessment.engine import D

KINDS = ("pro_rata", "deduction", "survey", "manual")
PERIOD_KINDS = ("month", "quarter", "half", "year")
SATISFACTION = {"satisfied": "1", "basic": "0.8", "unsatisfied": "0.6"}
LEADERSHIP = {"good": "1", "fair": "0.8", "poor": "0.6"}


def _ind(code, name, kind, max_points, **extra):
    return {"code": code, "name": name, "kind": kind, "max": max_points, **extra}


UNIT_DEFAULT = {
    "code": "unit_default", "name": "区县及执法单位目标管理考核", "subject": "unit",
    "period": "month", "base": 0, "total": 100,
    "categories": [
        {"code": "key_work", "name": "重点工作", "points": 80, "indicators": [
            _ind("cases_registered", "案件立案数", "pro_rata", 15, metric="cases_registered",
                 target=20),
            _ind("decisions_on_time", "按期作出处罚决定", "pro_rata", 15,
                 metric="decisions_on_time", target="0.95"),
            _ind("concentrated_action", "集中整治行动", "deduction", 10,
                 metric="concentrated_action_breaches", per_item=3),
            _ind("joint_patrols", "日常联合巡查", "pro_rata", 10, metric="joint_patrols",
                 target=8),
            _ind("tips_on_time", "举报按时办理", "pro_rata", 10, metric="tips_on_time",
                 target=1),
            _ind("joint_meetings", "联席会议", "deduction", 5, metric="meeting_breaches",
                 per_item=5),
            _ind("follow_up_tasks", "督办事项落实", "deduction", 10, metric="late_tasks",
                 per_item=2),
            _ind("blacklist_reviews", "黑名单按时审核", "pro_rata", 5,
                 metric="blacklist_reviews_on_time", target=1),
        ]},
        {"code": "common_work", "name": "共性工作", "points": 20, "indicators": [
            _ind("lawful_administration", "依法行政", "manual", 5),
            _ind("case_file_review", "案卷评查", "manual", 5),
            _ind("public_satisfaction", "群众满意度", "survey", 5, ratings=SATISFACTION,
                 min_respondents=40),
            _ind("leadership_evaluation", "领导评价", "manual", 5),
        ]},
    ],
    "overachievement": {"over": "0.10", "points": 2, "max_share": "0.30"},
    "bonus": {"cap": 4, "items": [
        {"code": "gov_commendation", "name": "政府表彰",
         "levels": {"national": 4, "provincial": 3, "city": 2, "county": 1}},
        {"code": "dept_commendation", "name": "部门表彰",
         "levels": {"national": 3, "provincial": 2, "city": 1, "county": "0.5"}},
    ]},
    "deductions": {"cap": 4, "items": [
        {"code": "criticism", "name": "通报批评",
         "levels": {"provincial": 2, "city": 1, "county": "0.5"}},
        {"code": "business_complaint", "name": "损害营商环境投诉属实", "points": "0.5"},
        {"code": "leader_sanction", "name": "领导班子成员受党纪政务处分", "points": 1},
        {"code": "accountability", "name": "行政问责", "points": "0.5"},
    ]},
    "vetoes": [{"code": "major_safety_accident", "name": "发生重大安全事故"},
               {"code": "mass_incident", "name": "执法引发群体性事件"},
               {"code": "leadership_corruption", "name": "领导班子发生腐败案件"}],
    "grades": [{"code": "excellent", "name": "优秀", "min": 90, "requires_no_veto": True},
               {"code": "good", "name": "良好", "min": 80},
               {"code": "qualified", "name": "合格", "min": 70},
               {"code": "unqualified", "name": "不合格", "min": None}],
    "advanced": {"share": "0.25", "min_score": 90},
    "annual": [["H1", "0.5"], ["H2", "0.5"]],
}

TOWN = {
    "code": "town", "name": "乡镇（街道）目标管理考核", "subject": "unit", "period": "half",
    "base": 0, "total": 100, "weighted_total": 100,
    "categories": [
        {"code": "quantitative", "name": "量化共性工作", "points": 100, "weight": "0.80",
         "indicators": [
             _ind("cases_registered", "案件立案数", "pro_rata", 40, metric="cases_registered",
                  target=10),
             _ind("tips_on_time", "举报按时办理", "pro_rata", 30, metric="tips_on_time",
                  target=1),
             _ind("follow_up_tasks", "督办事项落实", "deduction", 30, metric="late_tasks",
                  per_item=5),
         ]},
        {"code": "central_work", "name": "阶段性中心工作", "points": 100, "weight": "0.05",
         "indicators": [_ind("central_work", "阶段性中心工作", "manual", 100)]},
        {"code": "leadership_survey", "name": "领导评议", "points": 100, "weight": "0.05",
         "indicators": [_ind("leadership_survey", "领导评议", "survey", 100,
                             ratings=LEADERSHIP, min_respondents=1)]},
        {"code": "social_survey", "name": "社会评议", "points": 100, "weight": "0.05",
         "indicators": [_ind("social_survey", "社会评议", "survey", 100, ratings=SATISFACTION,
                             min_respondents=40)]},
        {"code": "residents_survey", "name": "群众代表评议", "points": 100, "weight": "0.05",
         "indicators": [_ind("residents_survey", "群众代表评议", "survey", 100,
                             ratings=SATISFACTION, min_respondents=30)]},
    ],
    "bonus": {"cap": None, "items": [
        {"code": "gov_commendation", "name": "政府表彰",
         "levels": {"county": "0.1", "city": "0.2", "provincial": "0.3", "national": "0.4"}},
        {"code": "dept_commendation", "name": "部门表彰",
         "levels": {"county": "0.05", "city": "0.1", "provincial": "0.15", "national": "0.2"}},
    ]},
    "deductions": {"cap": None, "items": [
        {"code": "criticism", "name": "通报批评", "levels": {
            "town": "0.1", "county": "0.2", "city": "0.3", "provincial": "0.4",
            "national": "0.5"}},
        {"code": "inspection_problem", "name": "督查发现问题", "levels": {
            "town": "0.05", "county": "0.1", "city": "0.15", "provincial": "0.2",
            "national": "0.25"}},
        {"code": "inspection_problem_unrectified", "name": "督查发现问题未整改", "levels": {
            "town": "0.1", "county": "0.2", "city": "0.3", "provincial": "0.4",
            "national": "0.5"}},
    ]},
    "vetoes": [{"code": "major_safety_accident", "name": "发生重大安全事故"}],
    "grades": [{"code": "excellent", "name": "优秀", "min": 95, "requires_no_veto": True},
               {"code": "qualified", "name": "合格", "min": 80},
               {"code": "unqualified", "name": "不合格", "min": None}],
}


def _cat(code, name, cap, items):
    return {"code": code, "name": name, "kind": "deductions", "cap": cap,
            "items": [{"code": c, "name": n, "points": p, **({"metric": m} if m else {})}
                      for c, n, p, m in items]}


OFFICER = {
    "code": "officer", "name": "执法人员平时考核", "subject": "officer", "period": "year",
    "year_starts": "12-01", "base": 100, "total": 100,
    "categories": [
        _cat("responsibility", "履职尽责", 10, [("target_missed", "年度目标未完成", 2, None),
                                               ("action_not_reported", "重大行动未报告", 1, None)]),
        _cat("procedure", "执法主体与程序", 10, [
            ("no_certificate", "无证执法", 1, None), ("procedure", "未按程序执法", 2, None),
            ("document_element", "文书要素缺失", 1, None),
            ("decision_late", "超过法定期限作出决定", 5, "decisions_late")]),
        _cat("substance", "执法实体", 10, [
            ("no_legal_basis", "无法律依据", 8, None), ("facts_unclear", "事实不清", 3, None),
            ("discretion", "自由裁量明显不当", 1, None), ("wrong_law", "适用法律错误", 5, None)]),
        _cat("training", "培训考试", 10, [("training_missed", "缺席培训", 2, None),
                                          ("exam_failed", "考试不合格", 2, None)]),
        _cat("tips", "举报投诉办理", 20, [
            ("first_contact", "首问责任未落实", 2, None),
            ("tip_not_accepted", "举报未按规定受理", 2, "tips_not_accepted"),
            ("tip_not_handled", "举报未办理", 1, None),
            ("tip_not_concluded", "举报未按期办结", 1, "tips_not_concluded"),
            ("tip_no_reply", "举报未答复", 1, "tips_no_reply")]),
        _cat("ledger", "执法台账", 10, [("ledger_element", "要素缺失或错误", 1, None)]),
        _cat("conduct", "文明执法", 10, [("conduct_breach", "违反文明执法规范", 1, None)]),
        _cat("case_files", "执法案卷", 10, [("file_defect", "案卷瑕疵", 1, None)]),
        _cat("effect", "执法效果", 20, [("not_found", "违法行为未发现", 5, None),
                                        ("not_stopped", "违法行为未制止", 4, None),
                                        ("aggravated", "违法行为加重", 8, None)]),
        _cat("unfinished", "未完成事项", 5, [("not_reported", "未报告", 2, None),
                                             ("not_completed", "未完成", 3, None)]),
        _cat("joint", "联合执法", 5, [("joint_absent", "缺席上级组织的联合执法", 3,
                                        "joint_absences")]),
        _cat("inaction", "不作为乱作为", 10, [("instructed_not_reported", "交办案件未报告", 3,
                                                None)]),
        _cat("negative_impact", "负面影响", 8, [("impact_city", "全市范围", 4, None),
                                                ("impact_province", "全省范围", 6, None)]),
        _cat("other", "其他违规", 7, [("taking_property", "侵占财物", 4, None),
                                      ("fines_misdirected", "罚没款未缴指定账户", 6, None),
                                      ("arbitrary_fees", "乱收费", 4, None)]),
    ],
    "bonus": {"cap": None, "items": [
        {"code": "commendation", "name": "表彰奖励",
         "levels": {"city": 5, "provincial": 8, "national": 10}},
        {"code": "collective_merit", "name": "集体立功",
         "levels": {"third": 6, "second": 10, "first": 15}},
        {"code": "experience_promoted", "name": "经验推广",
         "levels": {"city": 6, "provincial": 10, "national": 15}},
    ]},
    "deductions": {"cap": None, "items": []},
    "vetoes": [{"code": "grave_harm", "name": "不作为乱作为造成严重后果"},
               {"code": "major_negative_publicity", "name": "造成重大负面舆情"}],
    "grades": [{"code": "A", "name": "A", "min": 90}, {"code": "B", "name": "B", "min": 80},
               {"code": "C", "name": "C", "min": 60}, {"code": "D", "name": "D", "min": None}],
}

SEEDED = (UNIT_DEFAULT, TOWN, OFFICER)


def _number(value, path: str, errors: list[str], *, minimum=None) -> Decimal:
    try:
        number = D(value)
    except (InvalidOperation, TypeError, ValueError):
        errors.append(f"{path}: not a number")
        return Decimal(0)
    if not number.is_finite():
        errors.append(f"{path}: not a number")
        return Decimal(0)
    if minimum is not None and number < minimum:
        errors.append(f"{path}: must be at least {minimum}")
    return number


def validate(scheme: dict) -> list[str]:
    """Every problem of a scheme, by path; empty when it can be used."""
    errors: list[str] = []
    if not isinstance(scheme, dict):
        return ["scheme: not an object"]
    if scheme.get("period") not in PERIOD_KINDS:
        errors.append(f"period: one of {', '.join(PERIOD_KINDS)}")
    categories = scheme.get("categories") or []
    if not categories:
        errors.append("categories: at least one")
    points_total, weights, codes = Decimal(0), [], set()
    for i, category in enumerate(categories):
        path = f"categories[{i}]"
        if category.get("kind") == "deductions":
            _number(category.get("cap"), f"{path}.cap", errors, minimum=0)
            for j, item in enumerate(category.get("items") or []):
                _number(item.get("points"), f"{path}.items[{j}].points", errors, minimum=0)
            continue
        points = _number(category.get("points"), f"{path}.points", errors, minimum=0)
        indicator_sum = Decimal(0)
        for j, spec in enumerate(category.get("indicators") or []):
            ipath = f"{path}.indicators[{j}]"
            if spec.get("code") in codes:
                errors.append(f"{ipath}.code: {spec.get('code')!r} appears twice")
            codes.add(spec.get("code"))
            if spec.get("kind") not in KINDS:
                errors.append(f"{ipath}.kind: one of {', '.join(KINDS)}")
            indicator_sum += _number(spec.get("max"), f"{ipath}.max", errors, minimum=0)
            if spec.get("kind") == "deduction":
                _number(spec.get("per_item"), f"{ipath}.per_item", errors, minimum=0)
            if spec.get("kind") == "pro_rata":
                _number(spec.get("target", 0), f"{ipath}.target", errors, minimum=0)
            if spec.get("kind") == "survey":
                ratings = spec.get("ratings") or {}
                if not ratings:
                    errors.append(f"{ipath}.ratings: at least one")
                for name, weight in ratings.items():
                    w = _number(weight, f"{ipath}.ratings.{name}", errors, minimum=0)
                    if w > 1:
                        errors.append(f"{ipath}.ratings.{name}: at most 1")
                _number(spec.get("min_respondents", 1), f"{ipath}.min_respondents", errors,
                        minimum=1)
        if indicator_sum != points:
            errors.append(f"{path}.points: {points} but its indicators add up to "
                          f"{indicator_sum}")
        if category.get("weight") is not None:
            weights.append(_number(category["weight"], f"{path}.weight", errors, minimum=0))
        else:
            points_total += points
    if weights and sum(weights) != 1:
        errors.append(f"categories: weights add up to {sum(weights)}, not 1")
    if not weights and scheme.get("base", 0) == 0 and points_total != D(scheme.get("total", 100)):
        errors.append(f"categories: points add up to {points_total}, not "
                      f"{scheme.get('total', 100)}")
    for section in ("bonus", "deductions"):
        block = scheme.get(section) or {}
        if block.get("cap") is not None:
            _number(block["cap"], f"{section}.cap", errors, minimum=0)
        for j, item in enumerate(block.get("items") or []):
            values = item.get("levels", {}).values() if "levels" in item else [item.get("points")]
            for value in values:
                _number(value, f"{section}.items[{j}]", errors, minimum=0)
    grades = scheme.get("grades") or []
    if not grades or grades[-1].get("min") is not None:
        errors.append("grades: the last grade must catch every score (min empty)")
    mins = [_number(g["min"], f"grades[{k}].min", errors) for k, g in enumerate(grades)
            if g.get("min") is not None]
    if any(a <= b for a, b in zip(mins, mins[1:])):
        errors.append("grades: thresholds must be in strictly descending order")
    if scheme.get("advanced"):
        share = _number(scheme["advanced"].get("share"), "advanced.share", errors, minimum=0)
        if share > 1:
            errors.append("advanced.share: at most 1")
    return errors

"""Score pages: the ranking with trends and charts, a unit's score explained indicator by
indicator, an officer's own score, XLSX exports, and objections (公示)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from assessment import charts, explain, queries, services
from assessment.models import ResultStatus, ScoreObjection
from assessment.periods import Period, of_kind, parse_period
from core.base import local_today
from core.errors import DomainError
from core.exports import xlsx_response
from core.models import Unit, User
from core.permissions import current_actor, guard
from core.roles import ALL_ROLES, Role
from extensions import db
from reports.charts import bar_chart

bp = Blueprint("assessment", __name__, url_prefix="/assessment")

OBJECTORS = frozenset({Role.unit_leader, Role.district_office, Role.city_office, Role.admin})
GRADE_LABELS = {"excellent": _l("Excellent"), "good": _l("Good"), "qualified": _l("Qualified"),
                "unqualified": _l("Unqualified")}
STATUS_LABELS = {"provisional": _l("Provisional"), "published": _l("Published for objections"),
                 "final": _l("Final")}
TREND_PERIODS = 6
# The engine's fixed explanations (it is pure and speaks English), and the levels of items.
PHRASES = {"entered with evidence": _l("entered with evidence"),
           "no denominator: full points": _l("no denominator: full points"),
           "not entered": _l("not entered"),
           "survey not entered or too few respondents":
               _l("survey not entered or too few respondents"),
           "overachievement": _l("overachievement"),
           "national": _l("national"), "provincial": _l("provincial"), "city": _l("city level"),
           "county": _l("county level"), "town": _l("town level")}
TARGET_SETTERS = frozenset({Role.admin, Role.city_office, Role.district_office})


def phrase(text) -> str:
    """An engine explanation or a bonus/deduction label (``item:level``) for the reader."""
    text = str(text)
    if text in PHRASES:
        return str(PHRASES[text])
    if ":" in text:
        return " · ".join(str(PHRASES.get(part, part)) for part in text.split(":"))
    return text


def item_label(result, label: str) -> str:
    """``gov_commendation:city`` → the item's name in the scheme and the level."""
    code, _sep, level = str(label).partition(":")
    data = result.scheme_version.data
    items = data.get("bonus", {}).get("items", []) + data.get("deductions", {}).get("items", [])
    for category in data.get("categories", []):
        items = items + category.get("items", []) + category.get("indicators", [])
    names = {i["code"]: i.get("name", i["code"]) for i in items}
    if code == "overachievement":
        return f"{phrase(code)} · {names.get(level, level)}"
    return names.get(code, code) + (f" · {phrase(level)}" if level else "")


def grade_label(code: str) -> str:
    return str(GRADE_LABELS.get(code, code))


def period_arg() -> Period:
    """?period= (default: last month); a bad period is a clear 422 through DomainError."""
    text = request.args.get("period") or request.form.get("period")
    if not text:
        return of_kind("month", local_today().replace(day=1) - dt.timedelta(days=1))
    return parse_period(text)


def _trend(actor, results, period: Period):
    periods = [period]
    while len(periods) < TREND_PERIODS:
        periods.insert(0, periods[0].previous())
    texts = [p.text for p in periods]
    keys = [r.subject_key for r in results]
    scores = {(k, p): s for k, p, s in db.session.execute(queries.history(actor, keys, texts))}
    return texts, {r.subject_key: [scores.get((r.subject_key, p)) for p in texts]
                   for r in results}


@bp.route("/")
@guard(ALL_ROLES)
def ranking():
    """Units in scope ranked for a period, with their trend over the last periods."""
    actor, period = current_actor(), period_arg()
    results = list(db.session.scalars(queries.unit_results(actor, period.text)))
    texts, trend = _trend(actor, results, period)
    if request.args.get("format") == "xlsx":
        return xlsx_response(
            f"assessment-{period.text}.xlsx", period.text,
            [_("Unit"), _("Code"), _("Score"), _("Grade"), _("Rank"), _("Advanced unit"),
             _("One-vote veto"), _("Status"), _("Version")] + texts,
            ([r.unit.name, r.unit.code, r.score, grade_label(r.grade), r.rank, r.advanced,
              r.vetoed, str(STATUS_LABELS[r.status.value]), r.version] + trend[r.subject_key]
             for r in results))
    top = results[:12]
    # The charts escape every text they draw (reports.charts._text / _attr).
    bars = Markup(bar_chart(_("Scores %(period)s", period=period.text),  # noqa: S704
                            [(r.unit.name[:6], float(r.score)) for r in results[:16]]))
    lines = Markup(charts.trend_chart(  # noqa: S704
        _("Trend"), texts, [(r.unit.name[:8], trend[r.subject_key]) for r in top[:7]]))
    officers = list(db.session.scalars(queries.officer_results(actor, period.text).limit(200)))
    return render_template("assessment/ranking.html", period=period, results=results,
                           trend=trend, periods=texts, bars=bars, lines=lines,
                           officers=officers, grade_label=grade_label,
                           status_labels=STATUS_LABELS)


def _breakdown_rows(result):
    for line in result.lines.get("indicators", []):
        yield [line["category"], line["name"], line["kind"], line.get("metric") or "",
               line.get("actual"), line.get("target"), line["formula"],
               Decimal(line["points"]), Decimal(line["max"])]


def _result_or_none(key: str, period: Period):
    return db.session.scalar(queries.current_result(period.text, key))


@bp.route("/units/<unit_code>")
@guard(ALL_ROLES, model=Unit, param="unit_code", by="code")
def show_unit(unit: Unit):
    """A unit's score explained: each indicator's metric, target, formula, points and the
    records behind it."""
    period = period_arg()
    result = _result_or_none(f"u{unit.id}", period)
    if result is not None and request.args.get("format") == "xlsx":
        return xlsx_response(
            f"assessment-{unit.code}-{period.text}.xlsx", unit.code,
            [_("Category"), _("Indicator"), _("Kind"), _("Metric"), _("Actual"), _("Target"),
             _("Formula"), _("Points"), _("Maximum")], _breakdown_rows(result))
    return _render_result("assessment/unit.html", result, period, unit=unit,
                          records=explain.records(result) if result else {},
                          can_set_target=current_actor().role in TARGET_SETTERS)


def _render_result(template, result, period, **extra):
    actor = current_actor()
    objections = list(db.session.scalars(select(ScoreObjection).where(
        ScoreObjection.result_id == result.id).order_by(ScoreObjection.id))) if result else []
    can_object = (result is not None and result.status == ResultStatus.published
                  and actor.role in OBJECTORS and result.objection_due_on is not None
                  and local_today() <= result.objection_due_on)
    return render_template(template, result=result, period=period, objections=objections,
                           can_object=can_object, grade_label=grade_label,
                           status_labels=STATUS_LABELS, **extra)


@bp.route("/me")
@guard(ALL_ROLES)
def my_score():
    """The signed-in officer's own score."""
    actor, period = current_actor(), period_arg()
    officer_period = of_kind("year", local_today(), "12-01") if "period" not in request.args \
        else period
    result = _result_or_none(f"o{actor.id}", officer_period)
    return _render_result("assessment/officer.html", result, officer_period, officer=actor,
                          records=explain.records(result) if result else {})


@bp.route("/officers/<int:id>")
@guard(ALL_ROLES, model=User, arg="officer")
def show_officer(officer: User):
    """An officer's score (an officer sees only their own: redirected there)."""
    actor = current_actor()
    if actor.role == Role.officer and actor.id != officer.id:
        return redirect(url_for("assessment.my_score"))
    period = period_arg() if "period" in request.args else of_kind("year", local_today(),
                                                                    "12-01")
    result = _result_or_none(f"o{officer.id}", period)
    return _render_result("assessment/officer.html", result, period, officer=officer,
                          records=explain.records(result) if result else {})


@bp.route("/units/<unit_code>/objections", methods=["POST"])
@guard(OBJECTORS, model=Unit, param="unit_code", by="code", write=True)
def object_to(unit: Unit):
    """Object to one indicator of the unit's published result, with a reason."""
    try:
        period = period_arg()
        result = _result_or_none(f"u{unit.id}", period)
        if result is None:
            raise DomainError(_("No result for this period."), field="period")
        services.raise_objection(actor=current_actor(), result=result,
                                 indicator_code=request.form.get("indicator", ""),
                                 reason=request.form.get("reason", ""))
        db.session.commit()
        flash(_("Objection recorded; the city office decides on it."), "success")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("assessment.show_unit", unit_code=unit.code))
    return redirect(url_for("assessment.show_unit", unit_code=unit.code, period=period.text))


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.setdefault("assessment_grade_label", grade_label)
    app.jinja_env.globals.setdefault("assessment_phrase", phrase)
    app.jinja_env.globals.setdefault("assessment_item_label", item_label)

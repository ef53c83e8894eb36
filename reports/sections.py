"""The built-in sections of the monthly joint-action report (§4.4), each registered with
:func:`reports.monthly.section`. Every figure is one plain query over the month's data."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core import settings
from core.models import DEPARTMENT_LABELS, Department, Unit, UnitKind
from enforcement.cases.maps import grid_floor
from enforcement.cases.models import Case, CaseStatus, Detention
from enforcement.joint import rules, zones
from enforcement.joint.labels import KIND_LABELS
from enforcement.joint.meetings import districts_without_meeting
from enforcement.joint.models import (
    ActionKind,
    ActionStatus,
    FollowUpTask,
    JointAction,
    RuleBreach,
    Zone,
)
from enforcement.tips.models import VERIFIED_VERDICTS, Tip
from enforcement.violations.models import ViolationType
from extensions import db
from reports import charts
from reports.monthly import Period, section

COUNTED = (ActionStatus.approved, ActionStatus.completed)
NOT_CASES = (CaseStatus.draft, CaseStatus.withdrawn)
VERIFIED = tuple(VERIFIED_VERDICTS)
settings.define("reports.hotspot_cell_millidegrees", 10, "cell size of the report's hotspot "
                "grid in thousandths of a degree (10 ≈ 1 km)", minimum=1)
UNDERSTAFFED = ("concentrated_people", "patrol_police_min")


def _action_start():
    return func.coalesce(JointAction.actual_start, JointAction.planned_start)


def actions_in(period: Period) -> list[JointAction]:
    """Approved or completed actions starting in the month (actual start, else planned)."""
    start = _action_start()
    return list(db.session.scalars(
        select(JointAction).where(JointAction.status.in_(COUNTED), start >= period.start,
                                  start < period.end)
        .options(selectinload(JointAction.participants), selectinload(JointAction.unit))
        .order_by(start, JointAction.id)))


def person_days(action: JointAction) -> dict[str, int]:
    days = rules.local_days(action.start, action.end)
    out: dict[str, int] = defaultdict(int)
    for p in action.participants:
        out[p.department.value] += p.headcount * days
    return out


def cases_in(period: Period):
    return select(Case).where(Case.occurred_at >= period.start, Case.occurred_at < period.end,
                              Case.status.not_in(NOT_CASES))


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def case_count(period: Period) -> int:
    """Cases that occurred in the month (drafts and withdrawn ones left out)."""
    return _count(cases_in(period).with_only_columns(Case.id))


def tip_counts(period: Period) -> dict:
    """Tips received in the month (merged duplicates left out) and tips verified in it."""
    return {
        "tips_received": _count(select(Tip.id).where(
            Tip.created_at >= period.start, Tip.created_at < period.end,
            Tip.merged_into_id.is_(None))),
        "tips_verified": _count(select(Tip.id).where(
            Tip.concluded_at >= period.start, Tip.concluded_at < period.end,
            Tip.verdict.in_(VERIFIED))),
    }


def metrics(period: Period, *, cases: Optional[int] = None) -> dict:
    """The headline figures of a month (used for this month, last month, a year ago);
    ``cases`` is the month's :func:`case_count` when the caller already has it."""
    actions = actions_in(period)
    return {
        "actions": len(actions),
        "person_days": sum(sum(person_days(a).values()) for a in actions),
        "vehicles_checked": sum(a.vehicles_checked for a in actions),
        "vehicles_detained": sum(a.vehicles_detained for a in actions),
        "violent_incidents": sum(a.violent_incidents for a in actions),
        "media_reports": sum(a.media_reports for a in actions),
        "cases": case_count(period) if cases is None else cases,
        "detentions": _count(select(Detention.id).where(
            Detention.detained_on >= period.first_day, Detention.detained_on <= period.last_day)),
        # the covering index ix_cases_decided_fine answers this without reading the rows
        "fines": db.session.scalar(select(func.coalesce(func.sum(Case.fine_amount), 0)).where(
            Case.decided_on >= period.first_day, Case.decided_on <= period.last_day,
            Case.status.not_in(NOT_CASES))) or Decimal("0"),
        **tip_counts(period),
    }


METRIC_LABELS = {
    "actions": _l("Joint actions"), "person_days": _l("Person-days deployed"),
    "vehicles_checked": _l("Vehicles checked"),
    "vehicles_detained": _l("Vehicles detained in actions"),
    "violent_incidents": _l("Violent-resistance incidents"), "media_reports": _l("Media reports"),
    "cases": _l("Cases"), "detentions": _l("Vehicle detentions (cases)"),
    "fines": _l("Fines decided (yuan)"), "tips_received": _l("Tips received"),
    "tips_verified": _l("Tips verified"),
}


def change(now, before) -> str:
    """Relative change as a percentage string, or an em dash when there is no base."""
    if not before:
        return "—"
    return f"{(Decimal(now) - Decimal(before)) * 100 / Decimal(before):+.1f}%"


@section("summary", _l("Summary and changes"), order=10)
def summary(period: Period) -> dict:
    months, p = [], period
    for _i in range(12):
        months.append(p)
        p = p.previous()
    counts = {p.month: case_count(p) for p in months}
    this = metrics(period, cases=counts[period.month])
    prev = metrics(period.previous(), cases=counts[period.previous().month])
    last_year = metrics(period.year_before())
    rows = [[str(label), this[k], prev[k], change(this[k], prev[k]), last_year[k],
             change(this[k], last_year[k])] for k, label in METRIC_LABELS.items()]
    trend = [(p.month[2:], counts[p.month]) for p in reversed(months)]
    return {"figures": {"this": this, "previous": prev, "year_before": last_year},
            "tables": [{"key": "metrics", "title": _l("This month against last month and a "
                                                      "year ago"),
                        "headers": [_l("Figure"), period.month, period.previous().month,
                                    _l("Month on month"), period.year_before().month,
                                    _l("Year on year")], "rows": rows}],
            "charts": [charts.bar_chart(_("Cases per month"), trend)]}


@section("actions", _l("Joint actions"), order=20)
def actions_section(period: Period) -> dict:
    actions = actions_in(period)
    by_kind = {k: [a for a in actions if a.kind is k] for k in ActionKind}
    kind_rows = [[str(KIND_LABELS[k]), len(v), sum(sum(person_days(a).values()) for a in v),
                  sum(a.vehicles_checked for a in v), sum(a.vehicles_detained for a in v),
                  sum((a.fines for a in v), Decimal("0")), sum(a.violent_incidents for a in v),
                  sum(a.media_reports for a in v)] for k, v in by_kind.items()]
    departments: dict[str, int] = defaultdict(int)
    for a in actions:
        for dep, days in person_days(a).items():
            departments[dep] += days
    dep_rows = [[str(DEPARTMENT_LABELS[Department(d)]), n] for d, n in sorted(departments.items())]
    list_rows = [[a.id, a.name, str(KIND_LABELS[a.kind]), a.unit.name,
                  a.start.astimezone(rules.LOCAL).strftime("%Y-%m-%d %H:%M"),
                  a.end.astimezone(rules.LOCAL).strftime("%Y-%m-%d %H:%M"), a.headcount,
                  a.vehicles_checked] for a in actions]
    return {"figures": {"by_kind": {k.value: len(v) for k, v in by_kind.items()},
                        "person_days_by_department": dict(departments)},
            "tables": [
                {"key": "by_kind", "title": _l("Actions by kind"), "rows": kind_rows,
                 "headers": [_l("Kind"), _l("Actions"), _l("Person-days"), _l("Vehicles checked"),
                             _l("Vehicles detained"), _l("Fines (yuan)"),
                             _l("Violent-resistance incidents"), _l("Media reports")]},
                {"key": "person_days", "title": _l("Manpower deployed (person-days by "
                                                   "department)"),
                 "headers": [_l("Department"), _l("Person-days")], "rows": dep_rows},
                {"key": "list", "title": _l("Actions of the month"), "rows": list_rows,
                 "headers": [_l("No."), _l("Name"), _l("Kind"), _l("Lead unit"), _l("Start"),
                             _l("End"), _l("People"), _l("Vehicles checked")]}],
            "charts": [charts.bar_chart(_("Actions by kind"),
                                        [(str(KIND_LABELS[k]), len(v))
                                         for k, v in by_kind.items()])]}


@section("cases", _l("Cases"), order=30)
def cases_section(period: Period) -> dict:
    base = cases_in(period).subquery()
    by_type = db.session.execute(
        select(func.coalesce(ViolationType.name_zh, ""), func.count(base.c.id))
        .select_from(base).outerjoin(ViolationType, ViolationType.id == base.c.violation_type_id)
        .group_by(ViolationType.name_zh).order_by(func.count(base.c.id).desc())).all()
    by_unit = db.session.execute(
        select(Unit.name, func.count(base.c.id)).select_from(base)
        .join(Unit, Unit.id == base.c.unit_id).group_by(Unit.name)
        .order_by(func.count(base.c.id).desc(), Unit.name)).all()
    return {"figures": {"by_type": {name or "-": n for name, n in by_type},
                        "by_unit": {name: n for name, n in by_unit}},
            "tables": [{"key": "by_type", "title": _l("Cases by violation type"),
                        "headers": [_l("Violation"), _l("Cases")],
                        "rows": [[name or _("Not classified"), n] for name, n in by_type]},
                       {"key": "by_unit", "title": _l("Cases by unit"),
                        "headers": [_l("Unit"), _l("Cases")],
                        "rows": [[name, n] for name, n in by_unit]}]}


@section("tips", _l("Tips"), order=40)
def tips_section(period: Period) -> dict:
    m = tip_counts(period)
    return {"figures": {"received": m["tips_received"], "verified": m["tips_verified"]},
            "tables": [{"key": "tips", "title": _l("Tips received and verified"),
                        "headers": [_l("Figure"), _l("Number")],
                        "rows": [[_("Tips received"), m["tips_received"]],
                                 [_("Tips verified"), m["tips_verified"]]]}]}


def marked_count(model, zone: Zone, period: Period) -> int:
    """How many cases (or tips) the zone marks in the month: the rule of
    :func:`enforcement.joint.zones.marked` applied to the three columns it reads, not to whole
    rows (a busy zone has thousands of candidates a month)."""
    geometry, windows = shape(zone.geojson), zones._windows(zone)
    stmt = zones._candidates(model, zone, period.start, period.end).with_only_columns(
        model.lat, model.lng, model.occurred_at)
    return sum(1 for lat, lng, at in db.session.execute(stmt)
               if rules.in_zone(geometry, windows, lat, lng, at))


@section("hotspots", _l("Hotspots and strict-control zones"), order=50)
def hotspots_section(period: Period) -> dict:
    zone_rows, shapes = [], []
    for zone in db.session.scalars(select(Zone).where(Zone.is_active.is_(True))
                                   .order_by(Zone.name)):
        n_cases = marked_count(Case, zone, period)
        n_tips = marked_count(Tip, zone, period)
        zone_rows.append([zone.name, zone.unit.name, n_cases, n_tips])
        shapes.append((zone.name, shape(zone.geojson)))
    pts = cases_in(period).where(Case.lat.is_not(None), Case.lng.is_not(None)) \
        .with_only_columns(Case.lat.label("lat"), Case.lng.label("lng")).subquery("pts")
    cell = settings.get("reports.hotspot_cell_millidegrees") / 1000
    gy = grid_floor((pts.c.lat + 90.0) / cell)
    gx = grid_floor((pts.c.lng + 180.0) / cell)
    cells = db.session.execute(select(gy, gx, func.count()).group_by(gy, gx)
                               .order_by(func.count().desc(), gy, gx)).all()
    points = [((int(a) + 0.5) * cell - 90.0, (int(b) + 0.5) * cell - 180.0, n)
              for a, b, n in cells]
    top = [[f"{lat:.3f}, {lng:.3f}", n] for lat, lng, n in points[:10]]
    return {"figures": {"zones": {r[0]: {"cases": r[2], "tips": r[3]} for r in zone_rows},
                        "located_cases": sum(n for *_p, n in points)},
            "tables": [{"key": "zones", "title": _l("Strict-control zones: marked cases and "
                                                    "tips (in the zone during its hours)"),
                        "headers": [_l("Zone"), _l("Responsible unit"), _l("Cases"), _l("Tips")],
                        "rows": zone_rows},
                       {"key": "cells", "title": _l("Hotspots (grid cells)"),
                        "headers": [_l("Centre (lat, lng)"), _l("Cases")], "rows": top}],
            "charts": [charts.hotspot_map(_("Map of hotspots"), points, shapes,
                                          background=_district_outlines())]}


def _district_outlines() -> list:
    """(name, polygon) of the districts that have a boundary, for the hotspot map."""
    out = []
    for unit in db.session.scalars(select(Unit).where(
            Unit.kind.in_([UnitKind.district, UnitKind.county]),
            Unit.boundary_geojson.is_not(None)).order_by(Unit.code)):
        geometry = unit.boundary_geojson
        geometry = geometry.get("geometry", geometry) if geometry.get("type") == "Feature" \
            else geometry
        try:
            polygon = shape(geometry)
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
        if polygon.geom_type in ("Polygon", "MultiPolygon") and polygon.is_valid:
            out.append((unit.name, polygon))
    return out


def districts() -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(
        Unit.kind.in_([UnitKind.district, UnitKind.county]), Unit.is_active.is_(True))
        .order_by(Unit.code)))


def missing_concentrated(period: Period) -> list[Unit]:
    """Districts with fewer concentrated actions in the month than
    ``joint.concentrated_per_month`` (an action counts for every district whose units lead or
    join it)."""
    actions = [a for a in actions_in(period) if a.kind is ActionKind.concentrated_action]
    needed = settings.get("joint.concentrated_per_month")
    out = []
    for d in districts():
        held = sum(1 for a in actions if any(
            p.startswith(d.path) for p in [a.unit.path] + [x.unit.path for x in a.participants]))
        if held < needed:
            out.append(d)
    return out


def understaffed(period: Period) -> list[RuleBreach]:
    return list(db.session.scalars(select(RuleBreach).where(
        RuleBreach.period == period.month, RuleBreach.rule.in_(UNDERSTAFFED),
        RuleBreach.action_id.is_not(None)).order_by(RuleBreach.id)))


@section("duties", _l("Units that missed their duties"), order=60)
def duties_section(period: Period) -> dict:
    no_action = missing_concentrated(period)
    no_meeting = districts_without_meeting(None, period.last_day)
    short = understaffed(period)
    rows = [[u.name, _("No concentrated action in the month")] for u in no_action]
    rows += [[b.unit.name, rules.describe(b.rule, b.detail) + f" #{b.action_id}"]
             for b in short]
    rows += [[u.name, _("No joint meeting in the quarter (up to the month's end)")]
             for u in no_meeting]
    return {"figures": {"no_concentrated_action": [u.code for u in no_action],
                        "understaffed_actions": sorted({b.action_id for b in short}),
                        "no_meeting": [u.code for u in no_meeting]},
            "tables": [{"key": "duties", "title": _l("Missed duties"),
                        "headers": [_l("Unit"), _l("Duty")], "rows": rows}]}


@section("tasks", _l("Follow-up tasks"), order=70)
def tasks_section(period: Period) -> dict:
    due = list(db.session.scalars(select(FollowUpTask).where(
        FollowUpTask.due_on >= period.first_day, FollowUpTask.due_on <= period.last_day)
        .order_by(FollowUpTask.due_on, FollowUpTask.id)))
    late = [t for t in due if t.reported_on is None or t.reported_on > t.due_on]
    rows = [[t.title, t.unit.name, t.due_on.isoformat(),
             t.reported_on.isoformat() if t.reported_on else "", t.sent_back_count]
            for t in late]
    return {"figures": {"due": len(due), "late": len(late)},
            "tables": [{"key": "late", "title": _l("Tasks due this month and not reported in "
                                                   "time"),
                        "headers": [_l("Task"), _l("Owner unit"), _l("Due"), _l("Reported"),
                                    _l("Sent back")], "rows": rows}]}


def record_duty_breaches(period: Period) -> int:
    """Store the month's missed duties as rule breaches for the assessments (idempotent)."""
    wanted = {f"u{u.id}:concentrated_monthly:{period.month}": (u, "concentrated_monthly")
              for u in missing_concentrated(period)}
    if period.last_day == rules.quarter_of(period.last_day)[1]:
        wanted.update({f"u{u.id}:meeting_quarterly:{period.month}": (u, "meeting_quarterly")
                       for u in districts_without_meeting(None, period.last_day)})
    existing = set(db.session.scalars(select(RuleBreach.key).where(
        RuleBreach.key.in_(list(wanted))))) if wanted else set()
    for key, (unit, rule) in wanted.items():
        if key not in existing:
            db.session.add(RuleBreach(key=key, unit_id=unit.id, rule=rule, period=period.month,
                                      detail={}))
    db.session.flush()
    return len(wanted) - len(existing)

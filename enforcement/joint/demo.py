"""Demo data of joint enforcement: a year of actions in the central districts and at city level,
strict-control zones at real Chongqing hotspots, quarterly meetings with follow-up tasks, and the
archived report of last month. Deterministic for a seed; skipped when actions already exist."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import select, update

from core import audit, settings
from core.base import local_today, utcnow
from core.demo import CENTRAL
from core.models import Unit, User
from enforcement.cases.models import Case
from enforcement.joint import meetings, rules, services, zones
from enforcement.joint.models import (
    ActionArea,
    ActionKind,
    ActionParticipant,
    ActionStatus,
    JointAction,
    RuleBreach,
)
from extensions import db

LOCAL = rules.LOCAL
# name, centre (lat, lng, WGS-84), half-size in degrees, responsible unit, hours
HOTSPOTS = [
    ("重庆北站南广场", (29.6087, 106.5506), 0.0030, "500112-JT01",
     "1-5 17:00-20:00; 6,7 10:00-22:00"),
    ("江北国际机场T3航站楼", (29.7300, 106.6420), 0.0040, "500112-GA01",
     "1-7 22:00-02:00; 1-7 07:00-10:00"),
    ("解放碑步行街", (29.5573, 106.5770), 0.0025, "500103-JT01", "5-7 18:00-23:00"),
    ("观音桥商圈", (29.5752, 106.5336), 0.0030, "500105-JT01", "1-7 18:00-22:00"),
    ("洪崖洞", (29.5627, 106.5790), 0.0020, "500103-CG01", "1-7 19:00-23:30"),
]
SQUARE = [(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), LOCAL)


def _month_starts(today: dt.date, months: int) -> list[dt.date]:
    first, out = today.replace(day=1), []
    for _ in range(months):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        out.append(first)
    return sorted(out)


def _units() -> dict[str, Unit]:
    return {u.code: u for u in db.session.scalars(select(Unit))}


def _zones(units, actor) -> list:
    made = []
    for name, (lat, lng), half, code, hours in HOTSPOTS:
        unit = units.get(code) or units.get(code.split("-")[0])
        if unit is None:
            continue
        ring = [[round(lng + dx * half, 6), round(lat + dy * half, 6)] for dx, dy in SQUARE]
        made.append(zones.create_zone(actor=actor, unit=unit, data=zones.ZoneInput(
            name=name, geojson={"type": "Polygon", "coordinates": [ring]},
            windows=zones.parse_windows(hours), responsible_department=f"{unit.name}定点包干组")))
    return made


class _Actions:
    """Completed actions, stored as ``plan_action``, ``approve`` and ``record_results`` store
    them (the same rows, rule breaches and audit records, in the same order) but a month at a
    time: one flush for the month's actions instead of a handful per action."""

    def __init__(self, actor):
        self.actor, self.pending = actor, []

    def add(self, rng, lead, kind, name, start, end, people, zone=None) -> None:
        checked = rng.randint(20, 60) * max(1, rules.local_days(start, end)) * \
            (3 if kind == "concentrated_action" else 1)
        counts = {"vehicles_checked": checked,
                  "vehicles_detained": rng.randint(0, checked // 15)}
        fines = Decimal(f"{rng.randint(0, checked // 10) * 1000}.00")
        counts["violent_incidents"] = 1 if rng.random() < 0.08 else 0
        counts["media_reports"] = rng.randint(0, 3) if kind == "concentrated_action" else 0
        now = utcnow()
        with db.session.no_autoflush:  # the month's actions are flushed together by store()
            district = services.district_of(lead) or lead
            participants = [ActionParticipant(unit_id=u.id, unit=u, department=u.department,
                                              headcount=n) for u, n in people if u is not None]
            areas = [ActionArea(zone_id=zone.id, name=zone.name)] if zone is not None else []
        action = JointAction(
            unit_id=lead.id, unit=lead, kind=ActionKind(kind), name=name, description="",
            planned_start=start, planned_end=end, created_by_id=self.actor.id,
            participants=participants, phases=[], areas=areas,
            status=ActionStatus.completed, approved_by_id=self.actor.id, approved_at=now,
            actual_start=start, actual_end=end, fines=fines, results_note="",
            results_recorded_at=now, **counts)
        db.session.add(action)
        self.pending.append((action, district, {**counts, "fines": str(fines), "cases": 0}))

    def store(self) -> None:
        """Flush the month's actions, then their breaches, audit records and linked cases."""
        db.session.flush()
        actor, joint_rules = self.actor, settings.get_many("joint.")
        with db.session.no_autoflush:
            for action, district, results in self.pending:
                breaches = services.check_breaches(action, joint_rules)
                db.session.add_all([RuleBreach(
                    key=f"a{action.id}:{b.rule}", unit_id=action.unit_id, action_id=action.id,
                    rule=b.rule, detail=b.detail, period=services.month_of(action.planned_start))
                    for b in breaches])
                for what, detail in (
                        ("plan", {"kind": action.kind.value,
                                  "breaches": [b.rule for b in breaches]}),
                        ("approve", None), ("results", results)):
                    audit.record(f"joint_action.{what}", actor=actor, object_type="joint_action",
                                 object_id=action.id, unit_id=action.unit_id, detail=detail)
                _link_cases(action, district)
        self.pending = []
        db.session.flush()


def _link_cases(action, district) -> None:
    """The district's cases during the action (not linked to another) count as its results."""
    # "+ 0" keeps SQLite on the occurred_at index: without statistics it would take the
    # joint_action_id index (IS NULL: nearly every case) or the unit index instead.
    db.session.execute(update(Case).where(
        (Case.joint_action_id + 0).is_(None), Case.occurred_at >= action.actual_start,
        Case.occurred_at < action.actual_end,
        (Case.unit_id + 0).in_(select(Unit.id).where(Unit.path.startswith(district.path))))
        .values(joint_action_id=action.id)
        .execution_options(synchronize_session=False))  # no case is loaded: nothing to sync


def _district_month(rng, actions, units, code, first, zone_by_unit, today):
    district = units[code]
    transport, police, cm = (units.get(f"{code}-{s}") for s in ("JT01", "GA01", "CG01"))
    lead = transport or district
    zone = zone_by_unit.get(code)
    count = 0
    # one concentrated action, 2 days, ~20–40 people (now and then under-staffed, or skipped)
    if not (code == "500108" and first == _month_starts(today, 1)[0]):
        day = first + dt.timedelta(days=rng.randint(4, 20))
        staff = rng.choice([12, 16, 18, 20, 24, 30]) if rng.random() < 0.3 else rng.randint(20, 36)
        actions.add(rng, district, "concentrated_action",
                    f"{district.name}{first:%-m}月集中治理行动", _at(day, 8),
                    _at(day + dt.timedelta(days=1), 20),
                    [(transport, staff - staff // 3), (police, staff // 4),
                     (cm, staff // 3 - staff // 4)],
                    zone)
        count += 1
    for _ in range(4):  # daily joint patrols: police 3–5, sometimes 2 or 6
        day = first + dt.timedelta(days=rng.randint(0, 27))
        police_n = rng.choice([3, 4, 5, 4, 3, 2, 6]) if rng.random() < 0.5 else rng.randint(3, 5)
        actions.add(rng, lead, "daily_patrol", f"{district.name}日常联合巡查", _at(day, 9),
                    _at(day, 17), [(transport, rng.randint(4, 8)), (police, police_n)], zone)
        count += 1
    day = first + dt.timedelta(days=rng.randint(0, 27))
    actions.add(rng, lead, "night_action", f"{district.name}夜间联合执法", _at(day, 21),
                _at(day + dt.timedelta(days=1), 2), [(transport, 6), (police, 4)], zone)
    return count + 1


def _meetings(rng, actor, units, today) -> int:
    count = 0
    quarters = sorted({rules.quarter_of(m)[0] for m in _month_starts(today, 12)}
                      | {rules.quarter_of(today)[0]})
    for code in CENTRAL:
        district, team = units[code], units.get(f"{code}-JT01") or units[code]
        for q in quarters:
            if q == rules.quarter_of(today)[0] and code in ("500106", "500108"):
                continue  # these two have not met yet this quarter
            held = min(q + dt.timedelta(days=rng.randint(5, 40)), today)
            due = held + dt.timedelta(days=rng.choice([20, 30, 45]))
            title = (f"{district.name}{held.year}年第{(held.month - 1) // 3 + 1}季度"
                     "打击非法营运联席会议")
            present = [u.id for u in (district, team, units.get(f"{code}-GA01"),
                                      units.get(f"{code}-CG01")) if u]
            tasks = [meetings.TaskInput("严管时段增派联合巡查力量", team.id, due),
                     meetings.TaskInput("完成定点包干责任清单", district.id,
                                        due + dt.timedelta(days=15))]
            data = meetings.MeetingInput(
                held_on=held, title=title, topics="通报非法营运形势；研究重点区域整治",
                decisions="加强严管时段联合巡查；建立定点包干责任制", attendee_unit_ids=present,
                tasks=tasks)
            meeting = meetings.record_meeting(actor=actor, unit=district, data=data)
            count += 1
            for task in meeting.tasks:
                _progress(rng, actor, task, today)
    return count


def _progress(rng, actor, task, today) -> None:
    """Move older tasks along the loop: most closed, some sent back once, some left overdue."""
    if task.due_on > today and rng.random() < 0.5:
        return
    if task.due_on < today and rng.random() < 0.15:
        return  # left overdue
    steps = ["in_progress", "reported_done"]
    if rng.random() < 0.2:
        steps += ["sent_back", "in_progress", "reported_done"]
    if task.due_on < today - dt.timedelta(days=20):
        steps += ["verified", "closed"]
    for to in steps:
        meetings.move_task(task, actor=actor, to=to, note="材料不全，补充后重报"
                           if to == "sent_back" else "", today=min(task.due_on, today))


def _tips(rng, today) -> int:
    """Tips from the public at the hotspots over the year, so that the report's tip figures are
    not empty: submitted through the tip service, then dated back and concluded."""
    from enforcement.tips import services as tip_services
    from enforcement.tips.models import TipStatus, TipVerdict

    now, count = utcnow(), 0
    shared_secret = tip_services.shared_receipt_secret()  # one slow hash, not one per tip
    for first in _month_starts(today, 12):
        for _ in range(rng.randint(3, 7)):
            name, (lat, lng), half, _code, _hours = rng.choice(HOTSPOTS)
            when = _at(first + dt.timedelta(days=rng.randint(0, 27)), rng.randint(7, 22))
            if when > now - dt.timedelta(days=1) or when < now - dt.timedelta(days=360):
                continue
            tip, _receipt = tip_services.submit_tip(tip_services.TipInput(
                what="黑车拉客", description=f"{name}附近有车辆拉客揽客，一口价载客",
                occurred_at=when, address=name, lat=lat + rng.uniform(-half, half),
                lng=lng + rng.uniform(-half, half)), channel="web", shared_secret=shared_secret)
            tip.created_at = when + dt.timedelta(hours=1)
            tip.accept_due_on = (tip.created_at + dt.timedelta(days=1)).date()
            if rng.random() < 0.6:
                verdict = rng.choice([TipVerdict.verified, TipVerdict.verified,
                                      TipVerdict.partly_verified, TipVerdict.unfounded])
                tip.accepted_at = tip.created_at + dt.timedelta(hours=3)
                tip.concluded_at = tip.created_at + dt.timedelta(days=rng.randint(2, 10))
                tip.status, tip.verdict = TipStatus(verdict.value), verdict
                tip.verdict_reason = "经现场核查" + ("属实" if verdict is not
                                                      TipVerdict.unfounded else "不属实")
            count += 1
    db.session.flush()
    return count


def load_demo(seed: int) -> str:
    """A year of joint enforcement and last month's archived report; commits its work."""
    with audit.batch():
        return _load(seed)


def _load(seed: int) -> str:
    from reports import monthly
    from reports.sections import record_duty_breaches

    if db.session.scalar(select(JointAction.id).limit(1)) is not None:
        return "already present"
    rng = random.Random(f"joint-{seed}")
    units = _units()
    actor = db.session.scalar(select(User).where(User.username == "city"))
    today = local_today()
    made_zones = _zones(units, actor)
    zone_by_unit = {z.unit.code.split("-")[0]: z for z in made_zones}
    actions = 0
    city = units.get("500000")
    completed = _Actions(actor)
    for first in _month_starts(today, 12):
        for code in CENTRAL:
            if code in units:
                actions += _district_month(rng, completed, units, code, first, zone_by_unit,
                                           today)
        if city is not None:  # the city's own monthly concentrated action at the hubs
            day = first + dt.timedelta(days=rng.randint(8, 20))
            staff = rng.choice([90, 120, 150, 180])
            completed.add(rng, city, "concentrated_action", f"全市{first:%-m}月枢纽站场集中整治",
                          _at(day, 7), _at(day + dt.timedelta(days=2), 22),
                          [(units.get("500000-JT01"), staff // 2),
                           (units.get("500000-GA01"), staff // 3),
                           (units.get("500000-CG01"), staff - staff // 2 - staff // 3)],
                          made_zones[0] if made_zones else None)
            actions += 1
        completed.store()
        db.session.commit()
        _units()  # the units expired by the commit, reloaded in one query rather than one each
    if city is not None and "500105" in units and "500112-JT01" in units:
        start = _month_starts(today, 6)[0]
        campaign = services.plan_action(actor=actor, unit=city, data=services.ActionInput(
            kind="special_campaign", name="“清源”打击非法营运专项行动", planned_start=_at(start, 8),
            planned_end=_at(start + dt.timedelta(days=119), 18), participants=[
                services.ParticipantInput(units["500000-JT01"].id, 60),
                services.ParticipantInput(units["500000-GA01"].id, 40)],
            phases=[services.PhaseInput(k, start + dt.timedelta(days=a),
                                        start + dt.timedelta(days=b)) for k, a, b in (
                ("survey", 0, 14), ("publicity", 15, 29), ("enforcement", 30, 104),
                ("review", 105, 119))]))
        services.approve(campaign, actor=actor)
        cross_day = _month_starts(today, 2)[0] + dt.timedelta(days=9)
        cross = services.plan_action(actor=actor, unit=units["500112-JT01"],
                                     data=services.ActionInput(
            kind="cross_region_action", name="渝北支队赴江北观音桥交叉检查",
            planned_start=_at(cross_day, 9), planned_end=_at(cross_day, 18),
            host_unit_id=units["500105"].id,
            participants=[services.ParticipantInput(units["500112-JT01"].id, 10)]))
        services.approve(cross, actor=actor)
        actions += 2
    for day in (today + dt.timedelta(days=3), today + dt.timedelta(days=10)):
        if "500112" in units:  # upcoming plans, one not approved yet
            services.plan_action(actor=actor, unit=units["500112"], data=services.ActionInput(
                kind="concentrated_action", name="渝北区下月集中治理行动（计划）",
                planned_start=_at(day, 8), planned_end=_at(day + dt.timedelta(days=1), 20),
                participants=[services.ParticipantInput(units["500112-JT01"].id, 24)]))
            actions += 1
    n_meetings = _meetings(rng, actor, units, today)
    n_tips = _tips(rng, today)
    for first in _month_starts(today, 12):
        record_duty_breaches(monthly.Period.of(first))
    db.session.commit()
    return (f"{len(made_zones)} zones, {actions} actions, {n_meetings} meetings, {n_tips} tips "
            f"(last month's report is archived by the reports step, after every module's data)")

"""The rules of joint enforcement as pure functions; their numbers are settings (§4.1, §4.3).

Nothing here touches the database: a plan is checked from plain values, a point and a time are
tested against a zone's polygon and weekly windows, a task's next status is looked up.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from shapely.geometry import Point

from core import settings

LOCAL = ZoneInfo("Asia/Shanghai")

settings.define("joint.patrol_police_min", 3, "police officers at least on a daily joint patrol")
settings.define("joint.patrol_police_max", 5, "police officers at most on a daily joint patrol")
settings.define("joint.concentrated_min_days", 2, "days a concentrated action lasts at least",
                minimum=1)
settings.define("joint.concentrated_max_days", 3, "days a concentrated action lasts at most",
                minimum=1)
settings.define("joint.concentrated_city_min_people", 100,
                "people at least on a city-level concentrated action")
settings.define("joint.concentrated_district_min_people", 20,
                "people at least on a district-level concentrated action")
settings.define("joint.concentrated_per_month", 1,
                "concentrated actions each district holds per month at least")
settings.define("joint.meetings_per_quarter", 1, "joint meetings each district holds per quarter")

RULE_LABELS = {
    "patrol_police_min": _l("Too few police officers on a daily joint patrol"),
    "patrol_police_max": _l("Too many police officers on a daily joint patrol"),
    "concentrated_days": _l("A concentrated action outside the allowed number of days"),
    "concentrated_people": _l("Too few people on a concentrated action"),
    "concentrated_monthly": _l("No concentrated action in the month"),
    "meeting_quarterly": _l("No joint meeting in the quarter"),
}


@dataclass(frozen=True)
class Breach:
    rule: str
    detail: dict


def local_days(start: dt.datetime, end: dt.datetime) -> int:
    """Calendar days (Asia/Shanghai) an action spans, counting the first and the last."""
    last = (end - dt.timedelta(microseconds=1)).astimezone(LOCAL).date()
    return (last - start.astimezone(LOCAL).date()).days + 1


def check_plan(kind: str, *, city_level: bool, start: dt.datetime, end: dt.datetime,
               headcounts: Mapping[str, int], rules: Mapping[str, int]) -> list[Breach]:
    """The rules a plan breaks. ``headcounts`` maps department → people; ``rules`` are the
    ``joint.*`` settings without their prefix."""
    breaches = []
    if kind == "daily_patrol":
        police = headcounts.get("police", 0)
        if police < rules["patrol_police_min"]:
            breaches.append(Breach("patrol_police_min", {"police": police,
                                                         "min": rules["patrol_police_min"]}))
        elif police > rules["patrol_police_max"]:
            breaches.append(Breach("patrol_police_max", {"police": police,
                                                         "max": rules["patrol_police_max"]}))
    if kind == "concentrated_action":
        days = local_days(start, end)
        if not rules["concentrated_min_days"] <= days <= rules["concentrated_max_days"]:
            breaches.append(Breach("concentrated_days", {
                "days": days, "min": rules["concentrated_min_days"],
                "max": rules["concentrated_max_days"]}))
        people = sum(headcounts.values())
        needed = rules["concentrated_city_min_people" if city_level
                       else "concentrated_district_min_people"]
        if people < needed:
            breaches.append(Breach("concentrated_people", {"people": people, "min": needed}))
    return breaches


def describe(breach_rule: str, detail: Mapping) -> str:
    """One sentence for a breach, for the plan page and the report."""
    numbers = ", ".join(f"{k}={v}" for k, v in sorted(detail.items()))
    return f"{RULE_LABELS.get(breach_rule, breach_rule)} ({numbers})"


def overlapping_phases(phases: Iterable[tuple[dt.date, dt.date]]) -> bool:
    """True when two phases share a day."""
    ordered = sorted(phases)
    return any(b_start <= a_end for (_a, a_end), (b_start, _b) in zip(ordered, ordered[1:]))


# --- zones ---------------------------------------------------------------------------------

def in_window(local: dt.datetime, windows: Iterable[tuple[int, dt.time, dt.time]]) -> bool:
    """True when the local time falls in one of the weekly windows (weekday 0 = Monday);
    a window whose end is not after its start runs past midnight into the next day."""
    t, day = local.time(), local.weekday()
    for weekday, start, end in windows:
        if start < end:
            if day == weekday and start <= t < end:
                return True
        else:
            if (day == weekday and t >= start) or (day == (weekday + 1) % 7 and t < end):
                return True
    return False


def in_zone(shape, windows, lat: float | None, lng: float | None, at: dt.datetime) -> bool:
    """A point at a time is inside the zone's polygon during its hours (the zone's mark)."""
    if lat is None or lng is None:
        return False
    return shape.covers(Point(lng, lat)) and in_window(at.astimezone(LOCAL), windows)


# --- follow-up tasks -----------------------------------------------------------------------

OWNER_STEPS = {("assigned", "in_progress"), ("sent_back", "in_progress"),
               ("in_progress", "reported_done")}
SUPERVISOR_STEPS = {("reported_done", "verified"), ("reported_done", "sent_back"),
                    ("verified", "closed")}


def task_step_allowed(source: str, target: str, *, is_owner: bool, is_supervisor: bool) -> bool:
    """Whether the loop assigned → in_progress → reported_done → verified → closed (or sent
    back) allows this step to this actor."""
    return ((source, target) in OWNER_STEPS and is_owner) or \
        ((source, target) in SUPERVISOR_STEPS and is_supervisor)


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the quarter containing ``day``."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    end_month = first_month + 3
    end = (dt.date(day.year + 1, 1, 1) if end_month > 12 else dt.date(day.year, end_month, 1)) \
        - dt.timedelta(days=1)
    return start, end

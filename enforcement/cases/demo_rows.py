"""Demo cases: the row generator (pure computation from a :class:`_Plan`, no I/O), which may run
in a forked child process. See :mod:`enforcement.cases.demo`."""
from __future__ import annotations

import datetime as dt
import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional

from enforcement import deadlines
from enforcement.cases.demo_data import (
    AREAS,
    CITY_SHARE,
    DESTINATIONS,
    DESTINIES,
    DISTRICTS,
    ELSEWHERE,
    FACTS,
    HOTSPOTS,
    JUSTIFICATION,
    LEADER_STEPS,
    ORIGINS,
    SPAN_DAYS,
    STAGES,
    STATUSES,
    STUCK_AT,
    TRANSFER_TO,
    VIOLATIONS,
    WITHDRAW_REASONS,
    _table,
)
from enforcement.cases.demo_registry import _Registry
from enforcement.cases.demo_writer import (
    CLOCKS,
    ROW_LISTS,
    _Out,
)
from enforcement.cases.numbering import format_number


@dataclass
class _Plan:
    """Everything the generator needs, read from the database beforehand (no I/O after)."""

    n: int
    batch_size: int
    rng: random.Random
    now_s: int
    today: dt.date
    base_utc: dt.datetime
    days: list[dt.date]
    raw: bool
    units: list[tuple[int, str, Optional[str]]]
    staff: dict[int, tuple[list[int], list[int]]]
    violations: dict[str, tuple]
    calendar: deadlines.WorkCalendar
    deadline_cfg: dict
    plates: set[str]
    id_numbers: set[str]
    next_vehicle_id: int
    next_person_id: int
    next_case_id: int
    counters: dict[tuple[int, int], int]


def _timeline(rng, n: int, now_s: int) -> list[int]:
    """Sorted creation times (seconds after the first day's local midnight) packed with the
    delay between what happened and the case being opened: ``created << 20 | delay``."""
    rnd = rng.random
    limit = now_s - 60
    # Hour of day: trains and flights arrive late, illegal operators work the evenings.
    hours = _table([(h, w) for h, w in enumerate(
        [3, 2, 1, 1, 1, 1, 2, 4, 6, 5, 5, 5, 5, 5, 5, 6, 7, 8, 9, 9, 8, 7, 6, 4])], 1024)
    hour_count = len(hours)
    keys = []
    for _ in range(n):
        day = int(SPAN_DAYS * (rnd() ** 0.5))  # density grows towards today
        occurred = day * 86400 + hours[int(rnd() * hour_count)] * 3600 + int(rnd() * 3600)
        delay = 600 + int(rnd() * rnd() * 6 * 3600)
        created = occurred + delay
        pull_back = int(rnd() * 3600)  # drawn always, so the sequence does not depend on now
        if created > limit:
            created = limit - pull_back
        keys.append(created << 20 | delay)
    keys.sort()
    return keys


def _forced(rng, keys: list[int], now_s: int) -> dict[int, tuple]:
    """Destinies given to a few older cases so that every status appears even in small loads."""
    if len(keys) < 12:
        return {}
    old = bisect(keys, (now_s - 250 * 86400) << 20)
    picks = rng.sample(range(old if old >= 10 else len(keys)), 10)
    wanted = [("stuck", 0), ("stuck", 1), ("stuck", 2), ("stuck", 3), ("stuck", 4),
              ("stuck", 5), ("stuck", 6), ("closed", None), ("transferred", None),
              ("withdrawn", None)]
    return dict(zip(picks, wanted))


def _generate(plan: _Plan) -> Iterator[tuple[str, dict]]:
    """Yield ("rows", {table: rows}) per batch, then ("done", summary). Pure computation."""
    rng, n = plan.rng, plan.n
    rnd = rng.random
    days, today, now_s, violations = plan.days, plan.today, plan.now_s, plan.violations
    today_i = SPAN_DAYS
    years = [d.year for d in days]
    out = _Out(plan.raw, plan.base_utc, days)
    stamp, day_out, money, data_of = out.stamp, out.day, out.money, out.data
    empty = out.json({})
    cal, cfg = plan.calendar, plan.deadline_cfg
    periods = frozenset(cfg["working_day_periods"])

    def due_dates(length: int) -> tuple[list[dt.date], list]:
        """Due dates of a ``length``-day period per start day index, and as the driver takes
        them (days repeat across cases, so each is computed once)."""
        dates = [deadlines.deadline(day, length, cal, working_day_periods=periods)
                 for day in days]
        return dates, [d.isoformat() for d in dates] if plan.raw else dates

    decision_due, decision_due_out = due_dates(cfg["decision_days"])
    statement_due, statement_due_out = due_dates(cfg["statement_days"])
    fine_due, fine_due_out = due_dates(cfg["fine_payment_days"])

    violation_table = _table([(c, VIOLATIONS[c][0]) for c in VIOLATIONS if c in violations])
    origin_table = _table(ORIGINS)
    destiny_table = _table(DESTINIES)
    stuck_table = _table(STUCK_AT)
    tier_table = _table([("first", 65), ("general", 25), ("serious", 10)])
    hotspot_table = _table([(h, h[4]) for h in HOTSPOTS])
    district_tables = {d: _table([(h, h[4]) for h in HOTSPOTS if h[0] == d]) for d in DISTRICTS}
    total_weight = sum(h[4] for h in HOTSPOTS)
    unit_table = _table([
        (unit, CITY_SHARE if unit[2] is None else
         sum(h[4] for h in HOTSPOTS if h[0] == unit[2]) / total_weight) for unit in plan.units])
    tables = (violation_table, origin_table, destiny_table, stuck_table, tier_table,
              hotspot_table, unit_table)
    v_len, o_len, d_len, s_len, t_len, h_len, u_len = (len(t) for t in tables)

    keys = _timeline(rng, n, now_s)
    forced = _forced(rng, keys, now_s)
    registry = _Registry(rng, plan.next_vehicle_id, plan.next_person_id, n, stamp,
                         plan.plates, plan.id_numbers)
    vehicle, person, person_pool = registry.vehicle, registry.person, registry.person_pool
    next_case_id = plan.next_case_id
    counters = plan.counters
    by_status = dict.fromkeys(STATUSES, 0)
    overdue = 0
    receipt_serial = rng.randint(10**7, 5 * 10**7)
    staff = plan.staff

    def at_on(day_i: int, floor: int) -> int:
        """A time in office hours on day ``day_i``, after ``floor``, not after now."""
        t = day_i * 86400 + 32400 + int(rnd() * 30600)
        if t <= floor:
            t = floor + 300 + int(rnd() * 3000)
        return t if t < now_s else now_s

    for start in range(0, n, plan.batch_size):
        rows = {name: [] for name in ROW_LISTS}
        cases, officers, vehicles, parties = (rows["cases"], rows["officers"],
                                              rows["case_vehicles"], rows["parties"])
        create_steps, steps = rows["create_steps"], rows["steps"]
        decision_clocks, statement_clocks, fine_clocks = (rows[c] for c in CLOCKS)
        for index in range(start, min(n, start + plan.batch_size)):
            packed = keys[index]
            created, delay = packed >> 20, packed & 0xFFFFF
            cday = created // 86400
            unit_id, unit_code, district = unit_table[int(rnd() * u_len)]
            code = violation_table[int(rnd() * v_len)]
            _w, pool, (fare_lo, fare_hi), transfer_share = VIOLATIONS[code]
            vt_id, tiers, vt_min, vt_max = violations[code]
            # where: around a hotspot (within about 600 m), or elsewhere in the district
            if district is None:
                spot = hotspot_table[int(rnd() * h_len)]
            elif rnd() < ELSEWHERE:
                spot = None
            else:
                spot = district_tables[district]
                spot = spot[int(rnd() * len(spot))]
            if spot is None:
                lat_lo, lat_hi, lng_lo, lng_hi = AREAS[district]
                lat = round(lat_lo + rnd() * (lat_hi - lat_lo), 6)
                lng = round(lng_lo + rnd() * (lng_hi - lng_lo), 6)
                short, _slug, roads = DISTRICTS[district]
                place = f"{short}区{roads[int(rnd() * len(roads))]}{1 + int(rnd() * 300)}号附近"
            else:
                lat = round(spot[2] + (rnd() - rnd()) * 0.006, 6)
                lng = round(spot[3] + (rnd() - rnd()) * 0.006, 6)
                place = spot[5][int(rnd() * len(spot[5]))]
            # who: two officers of the unit (sometimes three)
            officer_ids, leader_ids = staff[unit_id]
            m = len(officer_ids)
            first, second = int(rnd() * m), int(rnd() * (m - 1))
            team = [officer_ids[first]]
            if m > 1:
                team.append(officer_ids[second + (second >= first)])
                if m > 2 and rnd() < 0.15:
                    third = officer_ids[int(rnd() * m)]
                    if third not in team:
                        team.append(third)
            elif leader_ids and leader_ids[0] not in team:
                team.append(leader_ids[0])
            creator = team[0]
            leader = leader_ids[0] if leader_ids else creator
            case_id = next_case_id
            next_case_id += 1
            for user_id in team:
                officers.append((case_id, user_id))
            vehicle_id, plate, owner = vehicle(pool, created)
            vehicles.append((case_id, vehicle_id, code == "GA-JP"))
            driver_index = owner if rnd() < 0.8 else int(rnd() * person_pool)
            driver_id, driver_name = person(driver_index, created)
            parties.append((case_id, driver_id, "driver"))
            company = None
            if code == "FY-ZL":
                company = registry.company(int(rnd() * 40), created)
                parties.append((case_id, company[0], "company"))
            elif driver_index != owner and rnd() < 0.5:
                owner_id = person(owner, created)[0]
                if owner_id != driver_id:
                    parties.append((case_id, owner_id, "owner"))
            if code == "FY-KY" and rnd() < 0.06:
                organiser_id = person(int(rnd() * 50), created)[0]
                if organiser_id != driver_id:
                    parties.append((case_id, organiser_id, "organiser"))
            # when: the path through the procedure, cut short by its destiny and by today
            if index in forced:
                destiny, stuck = forced[index]
            else:
                destiny = destiny_table[int(rnd() * d_len)]
                stuck = stuck_table[int(rnd() * s_len)]
                if destiny != "withdrawn" and destiny != "withdrawn_draft" and \
                        rnd() < transfer_share:
                    destiny = "transferred"  # police matters go to the police
            r = rnd()
            reg = cday + (0 if r < 0.6 else 1 if r < 0.85 else 2 if r < 0.95 else 3)
            inv = reg + int(rnd() * 3)
            rev = inv + 7 + int(rnd() * 34) + (30 + int(rnd() * 30) if rnd() < 0.03 else 0)
            ntf = rev + 1 + int(rnd() * 6)
            waived = rnd() < 0.25
            if waived:
                dec = ntf + 1 + int(rnd() * 3)
            else:  # after the statement period
                dec = ntf + 5 + int(rnd() * 16)
                while days[dec] <= statement_due[ntf]:
                    dec += 1
            court = destiny == "court"
            if court:
                exe = dec + 90 + int(rnd() * 60)
            else:
                exe = dec + (1 + int(rnd() * 14) if rnd() < 0.88 else 16 + int(rnd() * 30))
            path = (cday, reg, inv, rev, ntf, dec, exe, exe + 1 + int(rnd() * 15))
            exit_status = exit_day = None
            if destiny == "closed" or court:
                limit = 7
            elif destiny == "stuck":
                limit = stuck
            elif destiny == "withdrawn_draft":
                limit, exit_status, exit_day = 0, "withdrawn", cday + int(rnd() * 3)
            else:
                exit_day = reg + 1 + int(rnd() * (20 if destiny == "transferred" else 30))
                limit = 2 if exit_day >= inv else 1
                exit_status = destiny
            k = 0
            while k < limit and path[k + 1] <= today_i:
                k += 1
            status = STAGES[k]
            finished = None
            if exit_status and k == limit and exit_day <= today_i:
                status, finished = exit_status, exit_day
            by_status[status] += 1
            # number and what the file says
            year = years[cday]
            seq = counters.get((unit_id, year), 0) + 1
            counters[(unit_id, year)] = seq
            number = format_number(unit_code, year, seq)
            fare = fare_lo + int(rnd() * (fare_hi - fare_lo))
            facts = FACTS[code].format(driver_name, plate, place, fare, 1 + int(rnd() * 4),
                                       DESTINATIONS[int(rnd() * len(DESTINATIONS))],
                                       company[1] if company else "")
            origin = origin_table[int(rnd() * o_len)]
            origin_ref = None
            if origin == "hotline":
                origin_ref = f"{'12328' if rnd() < 0.6 else '12345'}-{days[cday]:%Y%m%d}-" \
                             f"{int(rnd() * 10000):04d}"
            elif origin == "transfer":
                origin_ref = f"移送函〔{year}〕{int(rnd() * 300) + 1}号"
            tier = proposed = fine = confiscated = justification = None
            flagged = False
            paid_on = receipt_no = court_on = None
            if k >= 3:
                tier = tier_table[int(rnd() * t_len)]
                lo, hi = tiers.get(tier, (vt_min, vt_max))
                step = 500 if hi - lo >= 5000 else 100 if hi - lo >= 1000 else 50
                proposed = lo + step * int(rnd() * ((hi - lo) // step + 1))
                if rnd() < 0.005 and hi < vt_max:
                    proposed, flagged, justification = vt_max, True, JUSTIFICATION
                if code in ("FY-KY", "FY-WY", "FY-CZ") and rnd() < 0.3:
                    confiscated = money(fare * (1 + int(rnd() * 20)))
                if k >= 5:
                    fine = proposed
            if k >= 6:
                if court:
                    court_on = day_out[exe]
                else:
                    paid_on = day_out[exe]
                    receipt_serial += 1
                    receipt_no = f"5001{years[exe]}{receipt_serial:08d}"
            transferred_to = withdraw_reason = None
            if status == "transferred":
                transferred_to = (DISTRICTS[district][0] + "区" if district else "市") + \
                    TRANSFER_TO[0 if code[0] == "G" else int(rnd() * 3)]
            elif status == "withdrawn":
                withdraw_reason = WITHDRAW_REASONS[int(rnd() * len(WITHDRAW_REASONS))]
            # the create step and the step into the current status
            created_out = stamp(created)
            create_steps.append((case_id, creator, created_out, out.number_data(number)))
            updated_out = created_out
            if status != "draft":
                updated_out = stamp(at_on(path[k] if finished is None else finished, created))
                if finished is not None:
                    source, note = STAGES[k], withdraw_reason or f"移送{transferred_to}"
                    data = data_of("transferred_to", transferred_to) if transferred_to else empty
                else:
                    source, note, data = STAGES[k - 1], "", empty
                    if k >= 6:
                        data = data_of("paid_on" if paid_on else "court_enforcement_on", exe)
                    elif k == 5:
                        data = data_of("decided", (fine, waived))
                    elif k == 3:
                        data = data_of("proposed_fine", proposed)
                steps.append((case_id, source, status,
                              leader if status in LEADER_STEPS else creator, updated_out, note,
                              data))
            # the clocks, as clocks.compute() stores them
            registered_on = notified_on = decided_on = None
            if k >= 1:
                registered_on = day_out[reg]
                decided = k >= 5
                done = dec if decided else finished
                decision_clocks.append((case_id, registered_on, decision_due_out[reg],
                                        None if done is None else day_out[done]))
                if done is None and decision_due[reg] < today:
                    overdue += 1
                if k >= 4:
                    notified_on = day_out[ntf]
                    statement_clocks.append((case_id, notified_on, statement_due_out[ntf],
                                             day_out[dec] if decided else None))
                    if not decided and statement_due[ntf] < today:
                        overdue += 1
                if decided:
                    decided_on = day_out[dec]
                    done_out = paid_on or court_on
                    fine_clocks.append((case_id, decided_on, fine_due_out[dec], done_out))
                    if done_out is None and fine_due[dec] < today:
                        overdue += 1
            cases.append((
                case_id, number, unit_id, year, seq, status, origin, origin_ref,
                stamp(created - delay), place, lat, lng, vt_id, facts,
                "驾驶证、行驶证" if rnd() < 0.1 else None, creator, created_out, updated_out,
                registered_on, notified_on, decided_on, day_out[exe] if k >= 6 else None,
                day_out[path[7]] if k >= 7 else None, tier,
                None if proposed is None else money(proposed),
                None if fine is None else money(fine), confiscated, flagged, justification,
                waived and k >= 5, paid_on, receipt_no, court_on, transferred_to,
                withdraw_reason))
        rows["vehicles"], rows["persons"] = registry.take_rows()
        yield "rows", rows
    yield "done", {"by_status": by_status, "overdue_clocks": overdue, "counters": counters,
                   "vehicles": registry.created_vehicles, "persons": registry.created_persons}

"""Demo cases: deterministic, gap-free, valid everywhere, in scope, with real statutory clocks."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from core import audit, identity, plates, security, settings
from core import demo as core_demo
from core.models import Unit, User
from core.roles import Role
from enforcement.cases import clocks
from enforcement.cases import demo as cases_demo
from enforcement.cases.models import (
    Case,
    CaseClock,
    CaseCounter,
    CaseOfficer,
    CaseParty,
    CaseStatus,
    CaseStep,
    CaseVehicle,
)
from enforcement.cases.queries import cases_in_scope
from enforcement.people.models import Person, Vehicle
from extensions import db as _db
from tests.conftest import create_database, drop_database, make_app

NOW = dt.datetime(2026, 3, 18, 6, 30, tzinfo=dt.timezone.utc)  # 14:30 in Chongqing
TODAY = dt.date(2026, 3, 18)


def _fresh_load(base_url, n: int, seed: int, **kwargs):
    """Load the demo structure and ``n`` cases into a new database; return (app, url, stats)."""
    url = create_database(base_url)
    app = make_app(url)
    with app.app_context():
        upgrade()
        core_demo.load_structure()
        stats = cases_demo.load_cases(n, seed, now=NOW, **kwargs)
        _db.session.commit()
    return app, url, stats


def _dispose(app, url):
    with app.app_context():
        _db.session.remove()
        for engine in _db.engines.values():
            engine.dispose()
    drop_database(url)


def _fingerprint():
    rows = _db.session.execute(
        select(Case.number, Case.status, Case.occurred_at, Vehicle.plate, Person.id_number)
        .join(CaseVehicle, CaseVehicle.case_id == Case.id)
        .join(Vehicle, Vehicle.id == CaseVehicle.vehicle_id)
        .join(CaseParty, (CaseParty.case_id == Case.id) & (CaseParty.role == "driver"))
        .join(Person, Person.id == CaseParty.person_id)
        .order_by(Case.number)).all()
    return [tuple(r) for r in rows]


@pytest.fixture(scope="module")
def loaded(base_database_url):
    """One database with the demo structure and 300 cases (seed 7), shared read-only."""
    app, url, stats = _fresh_load(base_database_url, 300, 7)
    with app.app_context():
        yield app, stats
        _db.session.rollback()
    _dispose(app, url)


def test_same_seed_same_cases(loaded, base_database_url):
    app, _stats = loaded
    first = _fingerprint()
    assert len(first) == 300
    other, url, _ = _fresh_load(base_database_url, 300, 7)
    try:
        with other.app_context():
            assert _fingerprint() == first
    finally:
        _dispose(other, url)
    different, url, _ = _fresh_load(base_database_url, 300, 8)
    try:
        with different.app_context():
            assert _fingerprint() != first
    finally:
        _dispose(different, url)


def test_generating_in_a_child_process_gives_the_same_cases(loaded, base_database_url):
    first = _fingerprint()
    other, url, _ = _fresh_load(base_database_url, 300, 7, parallel=True)
    try:
        with other.app_context():
            assert _fingerprint() == first
    finally:
        _dispose(other, url)


def test_numbers_are_gap_free_and_match_the_counters(loaded):
    _app, stats = loaded
    assert stats["cases"] == 300
    by_unit_year = defaultdict(list)
    codes = dict(_db.session.execute(select(Unit.id, Unit.code)).all())
    for unit_id, year, seq, number in _db.session.execute(
            select(Case.unit_id, Case.year, Case.seq, Case.number)):
        assert number == f"{codes[unit_id]}-{year}-{seq:06d}"
        by_unit_year[(unit_id, year)].append(seq)
    counters = {(c.unit_id, c.year): c.last_seq for c in _db.session.scalars(select(CaseCounter))}
    assert set(counters) == set(by_unit_year)
    for key, seqs in by_unit_year.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
        assert counters[key] == len(seqs)
    assert {codes[u] for u, _y in by_unit_year} <= {f"{d}-JT01" for d in core_demo.CENTRAL} | \
        {"500000-JT01"}
    years = {y for _u, y in by_unit_year}
    assert years <= {TODAY.year - 3, TODAY.year - 2, TODAY.year - 1, TODAY.year}


def test_every_status_appears_most_cases_are_closed(loaded):
    counts = Counter(_db.session.scalars(select(Case.status)))
    assert set(counts) == set(CaseStatus)
    assert counts[CaseStatus.closed] > 0.6 * 300
    assert sum(counts[s] for s in (CaseStatus.closed, CaseStatus.transferred,
                                   CaseStatus.withdrawn)) < 300  # some are still open
    withdrawn = _db.session.scalars(select(Case).where(Case.status == CaseStatus.withdrawn))
    assert all(c.withdraw_reason for c in withdrawn)
    for case in _db.session.scalars(select(Case).where(Case.status == CaseStatus.closed)):
        assert case.fine_amount and case.fine_amount > 0 and case.closed_on >= case.decided_on
        assert case.paid_on or case.court_enforcement_on
        assert case.registered_on <= case.notified_on <= case.decided_on <= case.executed_on


def test_more_recent_years_have_more_cases_over_hotspots(loaded):
    occurred = list(_db.session.scalars(select(Case.occurred_at)))
    assert all(o <= NOW for o in occurred)
    assert min(occurred) >= NOW - dt.timedelta(days=3 * 365 + 2)
    recent = sum(o >= NOW - dt.timedelta(days=365) for o in occurred)
    oldest = sum(o < NOW - dt.timedelta(days=730) for o in occurred)
    assert recent > 2 * oldest
    for lat, lng in _db.session.execute(select(Case.lat, Case.lng)):
        assert 29.3 < lat < 29.9 and 106.2 < lng < 106.9


def test_some_clocks_are_overdue(loaded):
    _app, stats = loaded
    overdue = _db.session.execute(
        select(CaseClock.name, Case.status, Case.registered_on).join(Case)
        .where(CaseClock.done_on.is_(None), CaseClock.due_on < TODAY)).all()
    names = {name for name, _s, _r in overdue}
    assert {"decision", "fine_payment"} <= names
    assert stats["overdue_clocks"] == len(overdue)
    assert any(name == "decision" and registered_on < TODAY - dt.timedelta(days=90)
               for name, _status, registered_on in overdue)


def test_stored_clocks_are_what_the_clock_rules_compute(loaded):
    cal = clocks.work_calendar()
    cfg = settings.get_many("deadline.")
    cases = _db.session.scalars(select(Case).where(
        Case.status.not_in([CaseStatus.transferred, CaseStatus.withdrawn]))).all()
    assert cases
    for case in cases:
        stored = {c.name: (c.start_on, c.due_on, c.done_on) for c in case.clocks}
        assert stored == clocks.compute(case, cal, cfg, TODAY), case.number


def test_plates_ids_and_phones_are_valid(loaded):
    vehicles = _db.session.scalars(select(Vehicle)).all()
    assert vehicles
    for vehicle in vehicles:
        assert plates.validate_plate(vehicle.plate).plate == vehicle.plate
    provinces = Counter(v.plate[0] for v in vehicles)
    assert provinces["渝"] > 0.6 * len(vehicles) and len(provinces) > 1
    persons = _db.session.scalars(select(Person)).all()
    for person in persons:
        if person.is_company:
            assert person.id_number is None
        else:
            assert identity.validate_id_number(person.id_number, TODAY).number == \
                person.id_number
        assert identity.validate_phone(person.phone) == person.phone
    repeat = _db.session.execute(select(CaseVehicle.vehicle_id, func.count())
                                 .group_by(CaseVehicle.vehicle_id)
                                 .having(func.count() > 1)).all()
    assert repeat  # repeat offenders


def test_officers_certified_steps_recorded(loaded):
    for case in _db.session.scalars(select(Case)):
        assert len(case.officers) >= 2
        for officer in case.officers:
            assert officer.user.unit_id == case.unit_id
            assert officer.user.has_valid_certificate(TODAY)
            assert officer.user.role in (Role.officer, Role.unit_leader)
        steps = case.steps
        assert steps[0].action == "create" and steps[0].data == {"number": case.number}
        if case.status is CaseStatus.draft:
            assert len(steps) == 1
        else:
            assert steps[-1].to_status is case.status and steps[-1].at >= steps[0].at
    created = _db.session.scalars(select(User).where(User.username.like("%.jt%"))).all()
    assert created and all(u.cert_no and u.password_hash.startswith("$argon2") for u in created)
    assert not security.verify_password(created[0], "")
    assert len({u.password_hash for u in created}) == 1  # hashed once


def test_district_user_sees_its_cases_only(loaded):
    yubei = _db.session.scalar(select(User).where(User.username == "yubei"))
    team = _db.session.scalar(select(Unit).where(Unit.code == "500112-JT01"))
    visible = _db.session.scalars(cases_in_scope(yubei)).all()
    expected = _db.session.scalar(select(func.count()).select_from(Case)
                                  .where(Case.unit_id == team.id))
    assert visible and len(visible) == expected
    assert {c.unit_id for c in visible} == {team.id}


def test_database_constraints_hold(loaded):
    if _db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite integrity check")
    assert _db.session.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]
    assert _db.session.execute(text("PRAGMA foreign_key_check")).all() == []
    assert _db.session.execute(text("PRAGMA ignore_check_constraints")).scalar() == 0


def test_second_load_continues_the_numbers(db, monkeypatch):
    monkeypatch.setattr(cases_demo, "REBUILD_INDEXES_FROM", 1)  # also the bulk index path
    core_demo.load_structure()
    indexes = sorted(db.session.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'index'")).scalars()) \
        if db.engine.dialect.name == "sqlite" else None
    first = cases_demo.load_cases(40, seed=3, now=NOW)
    second = cases_demo.load_cases(60, seed=4, now=NOW)
    assert first["cases"] == 40 and second["cases"] == 60 and not second["users_created"]
    by_unit_year = defaultdict(list)
    for unit_id, year, seq in db.session.execute(select(Case.unit_id, Case.year, Case.seq)):
        by_unit_year[(unit_id, year)].append(seq)
    for (unit_id, year), seqs in by_unit_year.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
        assert db.session.get(CaseCounter, (unit_id, year)).last_seq == len(seqs)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 100
    assert db.session.scalar(select(func.count(func.distinct(Vehicle.plate)))) == \
        db.session.scalar(select(func.count()).select_from(Vehicle))
    assert db.session.scalar(select(func.count()).select_from(CaseOfficer)) >= 200
    assert db.session.scalar(select(func.count()).select_from(CaseStep)) >= 100
    rows = db.session.scalars(select(audit.AuditLog).where(
        audit.AuditLog.action == "demo.cases")).all()
    assert len(rows) == 2
    assert audit.verify().ok
    if indexes is not None:
        assert sorted(db.session.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'index'")).scalars()) == indexes
        assert db.session.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]


def test_needs_the_demo_units(db):
    with pytest.raises(LookupError):
        cases_demo.load_cases(5, seed=1, now=NOW)

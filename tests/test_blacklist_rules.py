"""Nomination rules: pure evaluation, the nightly run against real cases, never twice."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from blacklist import nomination, rules
from blacklist.models import BlacklistEntry, EntryStatus, ListKind
from core import settings
from core.base import local_today
from core.jobs import job_definitions
from core.roles import Role
from tests.blacklist_support import ID_NO, decided_case
from tests.factories import UserFactory

TODAY = dt.date(2026, 6, 30)
CODES = {"illegal_operation": {"FY-KY"}, "fake_plate": {"GA-JP"},
         "violent_resistance": {"GA-KF"}}


def row(case_id, days_ago=10, kind="vehicle", subject=1, code="FY-KY", **kw):
    return rules.CaseRow(case_id, 7, TODAY - dt.timedelta(days=days_ago), kind, subject, code,
                         **kw)


def test_repeat_rule_needs_two_decisions_within_the_window():
    rule = {"code": "repeat_decisions", "subjects": ["vehicle"], "min_cases": 2,
            "window_months": 12}
    assert rules.evaluate(rule, [row(1)], TODAY, CODES) == []
    assert rules.evaluate(rule, [row(1), row(2, days_ago=400)], TODAY, CODES) == []
    found = rules.evaluate(rule, [row(1), row(2, days_ago=300)], TODAY, CODES)
    assert [(n.subject_id, n.case_ids) for n in found] == [(1, (1, 2))]
    assert found[0].facts_key == rules.facts_key([2, 1])


def test_each_rule_kind():
    assert rules.evaluate({"code": "fake_plate"}, [row(1, is_fake_plate=True)], TODAY, CODES)
    assert rules.evaluate({"code": "violent_resistance"}, [row(1, kind="person", code="GA-KF")],
                          TODAY, CODES)
    assert rules.evaluate({"code": "organiser"}, [row(1, kind="person", party_role="organiser")],
                          TODAY, CODES)
    refused = {"code": "refused_penalty", "overdue_days": 30}
    assert rules.evaluate(refused, [row(1, days_ago=60)], TODAY, CODES)
    assert not rules.evaluate(refused, [row(1, days_ago=60, paid_on=TODAY)], TODAY, CODES)
    assert not rules.evaluate({"code": "fake_plate", "enabled": False},
                              [row(1, is_fake_plate=True)], TODAY, CODES)
    assert not rules.evaluate({"code": "unknown"}, [row(1)], TODAY, CODES)


def test_blacklist_wins_over_attention_for_the_same_subject():
    configured = [{"code": "repeat_decisions", "min_cases": 2},
                  {"code": "single_decision", "min_cases": 1, "list": "attention"}]
    found = rules.evaluate_all(configured, [row(1), row(2)], TODAY, CODES)
    assert {n.list_kind for n in found} == {"blacklist"}
    found = rules.evaluate_all(configured, [row(1)], TODAY, CODES)
    assert {n.list_kind for n in found} == {"attention"}


def test_add_months_keeps_the_day_or_the_month_end():
    assert rules.add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert rules.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert rules.add_months(dt.date(2026, 3, 15), -3) == dt.date(2025, 12, 15)


def test_nightly_run_nominates_a_repeat_offender_once(db, tree):
    unit = tree["north_team"]
    decided_case(unit, plate="渝B54321", days_ago=100)
    decided_case(unit, plate="渝B54321", person="王五", id_number=ID_NO, days_ago=20)
    city = UserFactory(role=Role.city_office, unit=tree["city"])
    settings.set_value("blacklist.rules", [{**r, "enabled": True} for r in rules.DEFAULT_RULES],
                       actor=city)  # the attention rule is off by default
    result = nomination.run_rules()
    entries = db.session.scalars(select(BlacklistEntry).where(
        BlacklistEntry.plate == "渝B54321")).all()
    assert [(e.rule_code, e.list_kind, len(e.cases)) for e in entries] == \
        [("repeat_decisions", ListKind.blacklist, 2)]
    assert entries[0].status is EntryStatus.nominated and entries[0].nominated_by_id is None
    assert entries[0].unit_id == unit.id
    person = db.session.scalars(select(BlacklistEntry).where(
        BlacklistEntry.id_number == ID_NO)).all()
    assert [e.list_kind for e in person] == [ListKind.attention]  # one decision only
    assert result["nominated"] == 2
    again = nomination.run_rules()
    assert again["nominated"] == 0
    assert db.session.scalar(select(func.count(BlacklistEntry.id))) == 2


def test_rules_are_configuration(db, tree):
    unit = tree["north_team"]
    decided_case(unit, plate="渝C11111", days_ago=10)
    city = UserFactory(role=Role.city_office, unit=tree["city"])
    settings.set_value("blacklist.rules", [{"code": "repeat_decisions", "min_cases": 1,
                                            "subjects": ["vehicle"]}], actor=city)
    nomination.run_rules()
    entry = db.session.scalar(select(BlacklistEntry).where(BlacklistEntry.plate == "渝C11111"))
    assert entry.rule_code == "repeat_decisions" and entry.list_kind is ListKind.blacklist


def test_fake_plate_case_is_serious(db, tree):
    decided_case(tree["north_team"], plate="渝D22222", code="GA-JP", fake=True, days_ago=5)
    nomination.run_rules(today=local_today())
    entry = db.session.scalar(select(BlacklistEntry).where(
        BlacklistEntry.plate == "渝D22222", BlacklistEntry.rule_code == "fake_plate"))
    assert entry is not None and entry.is_serious


def test_jobs_are_registered(app):
    ids = {job.id for job in job_definitions()}
    assert {"blacklist_nightly", "blacklist_expiry"} <= ids


def test_sql_prefilter_finds_each_rule_kind(db, tree):
    unit = tree["north_team"]
    decided_case(unit, plate=None, person="李暴", code="GA-KF", days_ago=5)
    decided_case(unit, plate=None, person="赵组", role="organiser", days_ago=5)
    decided_case(unit, plate="渝E33333", code="FY-KY", days_ago=90, paid=False)
    nomination.run_rules()
    found = {(e.rule_code, e.person_name or e.plate) for e in
             db.session.scalars(select(BlacklistEntry))}
    assert {("violent_resistance", "李暴"), ("organiser", "赵组"),
            ("refused_penalty", "渝E33333")} <= found
    assert not any(code == "single_decision" for code, _ in found)  # off by default


def test_reoffending_after_expiry_is_nominated_again(db, tree):
    from blacklist import ending, services
    from tests.blacklist_support import users

    unit = tree["north_team"]
    decided_case(unit, plate="渝F44444", days_ago=200)
    decided_case(unit, plate="渝F44444", days_ago=100)
    nomination.run_rules()
    first = db.session.scalar(select(BlacklistEntry).where(BlacklistEntry.plate == "渝F44444"))
    leader, office = users(tree)
    services.approve_by_leader(first, actor=leader)
    services.approve_by_office(first, actor=office)
    services.notify(first, actor=office, notified_on=local_today() - dt.timedelta(days=20))
    services.list_entry(first, actor=office)
    assert nomination.run_rules()["nominated"] == 0  # still listed: nothing new
    first.ends_on = first.starts_on + dt.timedelta(days=1)
    ending.expire_due(first.ends_on)
    decided_case(unit, plate="渝F44444", days_ago=1)  # offends again
    nomination.run_rules()
    entries = db.session.scalars(select(BlacklistEntry).where(
        BlacklistEntry.plate == "渝F44444").order_by(BlacklistEntry.id)).all()
    assert [e.status for e in entries] == [EntryStatus.expired, EntryStatus.nominated]
    assert len(entries[1].cases) == 3 and entries[0].events  # history kept

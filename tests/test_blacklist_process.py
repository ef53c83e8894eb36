"""The fair process (§6.3): nomination, two approvals, notice, objections, listing, expiry,
early removal, revocation; every step in the history; bad steps refused with nothing changed."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from blacklist import ending, services
from blacklist.models import BlacklistEntry, EntryEvent, EntryStatus, ObjectionStatus
from core.base import local_today
from core.errors import ConflictError, DomainError
from core.roles import Role
from tests.blacklist_support import decided_case, listed_entry, nominate_vehicle, users
from tests.factories import UserFactory


def _events(entry):
    return [e.event for e in entry.events]


def test_full_flow_records_who_approved_each_step(db, tree):
    entry = nominate_vehicle(tree, plate="渝a·12345")
    assert entry.plate == "渝A12345" and entry.status is EntryStatus.nominated
    leader, office = users(tree)
    services.approve_by_leader(entry, actor=leader)
    services.approve_by_office(entry, actor=office)
    services.notify(entry, actor=office, notified_on=local_today() - dt.timedelta(days=14))
    assert entry.status is EntryStatus.notified and entry.objection_due_on < local_today()
    services.list_entry(entry, actor=office)
    assert entry.status is EntryStatus.listed
    assert entry.leader_approved_by_id == leader.id and entry.office_approved_by_id == office.id
    assert entry.ends_on.year == entry.starts_on.year + 1
    assert _events(entry) == ["nominated", "leader_approved", "office_approved", "notified",
                              "listed"]
    assert [e.is_feed for e in entry.events] == [False, False, False, False, True]


def test_serious_entries_are_listed_three_years(db, tree):
    entry = listed_entry(tree, serious=True)
    assert entry.ends_on.year == entry.starts_on.year + 3


def test_nomination_needs_a_reason_and_a_valid_subject(db, tree):
    leader = UserFactory(role=Role.unit_leader, unit=tree["north_team"])
    case = decided_case(tree["north_team"])
    before = db.session.scalar(select(BlacklistEntry.id).limit(1))
    with pytest.raises(DomainError) as err:
        services.nominate(services.NominationInput(
            subject=services.SubjectInput(kind="vehicle", plate="渝A12345"), reason="  ",
            case_ids=[case.id]), actor=leader, unit=tree["north_team"])
    assert err.value.field == "reason"
    with pytest.raises(DomainError) as err:
        services.nominate(services.NominationInput(
            subject=services.SubjectInput(kind="vehicle", plate="XX"), reason="r",
            case_ids=[case.id]), actor=leader, unit=tree["north_team"])
    assert err.value.field == "plate"
    with pytest.raises(DomainError) as err:
        services.nominate(services.NominationInput(
            subject=services.SubjectInput(kind="vehicle", plate="渝A12345"), reason="r"),
            actor=leader, unit=tree["north_team"])
    assert err.value.field == "case_ids"
    assert db.session.scalar(select(BlacklistEntry.id).limit(1)) == before


def test_same_facts_are_never_nominated_twice(db, tree):
    case = decided_case(tree["north_team"])
    nominate_vehicle(tree, cases=[case])
    with pytest.raises(ConflictError):
        nominate_vehicle(tree, cases=[case])
    assert len(db.session.scalars(select(BlacklistEntry)).all()) == 1


def test_listing_without_approval_is_refused(db, tree):
    entry = nominate_vehicle(tree)
    leader, office = users(tree)
    with pytest.raises(ConflictError):
        services.list_entry(entry, actor=office)
    with pytest.raises(ConflictError):
        services.approve_by_office(entry, actor=office)  # leader first
    services.approve_by_leader(entry, actor=leader)
    with pytest.raises(ConflictError):
        services.notify(entry, actor=office)  # office approval missing
    with pytest.raises(DomainError):
        services.approve_by_leader(entry, actor=office)  # wrong role
    assert entry.status is EntryStatus.nominated and entry.office_approved_at is None


def test_listing_waits_for_the_objection_period(db, tree):
    entry = nominate_vehicle(tree)
    leader, office = users(tree)
    services.approve_by_leader(entry, actor=leader)
    services.approve_by_office(entry, actor=office)
    services.notify(entry, actor=office)
    # five working days: at least a week of calendar days minus weekends
    assert entry.objection_due_on >= local_today() + dt.timedelta(days=5)
    with pytest.raises(ConflictError):
        services.list_entry(entry, actor=office)
    assert entry.status is EntryStatus.notified


def test_objection_rejected_with_reasons_then_listed(db, tree):
    entry = nominate_vehicle(tree)
    leader, office = users(tree)
    services.approve_by_leader(entry, actor=leader)
    services.approve_by_office(entry, actor=office)
    services.notify(entry, actor=office, notified_on=local_today() - dt.timedelta(days=1))
    objection = services.file_objection(entry, actor=office, grounds="车辆已转让",
                                        received_on=local_today())
    with pytest.raises(DomainError):
        services.review_objection(objection, actor=office, upheld=False, reason="")
    entry.objection_due_on = local_today() - dt.timedelta(days=1)  # period over
    with pytest.raises(ConflictError):
        services.list_entry(entry, actor=office)  # pending objection
    services.review_objection(objection, actor=office, upheld=False, reason="转让发生在处罚后")
    assert objection.status is ObjectionStatus.rejected
    services.list_entry(entry, actor=office)
    assert entry.status is EntryStatus.listed


def test_objection_upheld_removes_the_entry(db, tree):
    entry = nominate_vehicle(tree)
    leader, office = users(tree)
    services.approve_by_leader(entry, actor=leader)
    services.approve_by_office(entry, actor=office)
    services.notify(entry, actor=office)
    objection = services.file_objection(entry, actor=office, grounds="认定错误")
    services.review_objection(objection, actor=office, upheld=True, reason="证据不足")
    assert entry.status is EntryStatus.removed and "objection_upheld" in entry.events[-1].note


def test_late_objection_is_refused(db, tree):
    entry = nominate_vehicle(tree)
    leader, office = users(tree)
    services.approve_by_leader(entry, actor=leader)
    services.approve_by_office(entry, actor=office)
    services.notify(entry, actor=office, notified_on=local_today() - dt.timedelta(days=30))
    with pytest.raises(DomainError) as err:
        services.file_objection(entry, actor=office, grounds="x", received_on=local_today())
    assert err.value.field == "received_on" and not entry.objections


def test_expiry_job_ends_listings_on_time_and_is_idempotent(db, tree):
    entry = listed_entry(tree)
    assert ending.expire_due(entry.ends_on - dt.timedelta(days=1)) == 0
    assert ending.expire_due(entry.ends_on) == 1
    assert entry.status is EntryStatus.expired and entry.events[-1].is_feed
    assert ending.expire_due(entry.ends_on) == 0


def test_early_removal_needs_time_without_new_offence(db, tree):
    entry = listed_entry(tree)
    _leader, office = users(tree)
    with pytest.raises(ConflictError):
        ending.remove_early(entry, actor=office, reason="信用修复申请")
    later = entry.starts_on + dt.timedelta(days=400)
    ending.remove_early(entry, actor=office, reason="信用修复申请", today=later)
    assert entry.status is EntryStatus.removed and "credit_repair" in entry.events[-1].note


def test_revoke_ends_any_open_entry(db, tree):
    entry = listed_entry(tree)
    _leader, office = users(tree)
    with pytest.raises(DomainError):
        ending.revoke(entry, actor=office, reason="")
    ending.revoke(entry, actor=office, reason="处罚决定被复议撤销")
    assert entry.status is EntryStatus.removed
    with pytest.raises(ConflictError):
        ending.revoke(entry, actor=office, reason="again")


def test_end_before_start_is_refused_by_the_database(db, tree):
    from sqlalchemy.exc import IntegrityError

    entry = listed_entry(tree)
    entry.ends_on = entry.starts_on - dt.timedelta(days=1)
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.flush()


def test_history_is_kept_in_order(db, tree):
    entry = listed_entry(tree)
    ids = db.session.scalars(select(EntryEvent.id).where(EntryEvent.entry_id == entry.id)
                             .order_by(EntryEvent.id)).all()
    assert ids == sorted(ids) and len(ids) == 5

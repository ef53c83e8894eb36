"""Scheduler: jobs as data, registered on a scheduler that never starts; the single lock."""
from __future__ import annotations

import datetime as dt

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from core import jobs, security
from core.base import utcnow
from core.models import LoginAttempt, UserSession
from extensions import db as _db
from tests.factories import UserFactory


def test_every_job_is_registered_with_its_trigger(app):
    scheduler = jobs.build_scheduler(app, BackgroundScheduler)
    registered = {job.id: job for job in scheduler.get_jobs()}
    assert set(registered) == {j.id for j in jobs.job_definitions()}
    assert not scheduler.running
    for definition in jobs.job_definitions():
        assert registered[definition.id].args[1] == definition


def test_purge_is_idempotent_and_keeps_live_rows(app, db, tree):
    user = UserFactory(unit=tree["north"])
    security.start_session(user)
    old = security.start_session(user)
    _db.session.flush()
    ended = _db.session.scalar(select(UserSession).where(
        UserSession.key_hash == security.sha256_hex(old)))
    ended.ended_at = utcnow() - dt.timedelta(days=8)
    _db.session.add(LoginAttempt(username_key="k", attempted_at=utcnow() - dt.timedelta(days=2)))
    _db.session.flush()
    first = jobs.purge_expired_records()
    second = jobs.purge_expired_records()
    assert first["sessions"] == 1 and first["login_attempts"] == 1
    assert second == {"sessions": 0, "login_attempts": 0, "idempotency_records": 0}
    assert _db.session.scalar(select(func.count()).select_from(UserSession)) == 1


def test_run_job_commits_through_the_job_wrapper(fresh_app):
    definition = next(j for j in jobs.job_definitions() if j.id == "verify_audit_chain")
    result = jobs.run_job(fresh_app, definition)
    assert result.ok


def test_only_one_scheduler_holds_the_lock(fresh_app):
    first = jobs.SchedulerLock(fresh_app, lease_seconds=60)
    second = jobs.SchedulerLock(fresh_app, lease_seconds=60)
    second.holder = "other-host:1"
    assert first.acquire()
    try:
        assert not second.acquire()
        first.renew()
        assert not second.acquire()
    finally:
        first.release()
    assert second.acquire()
    second.release()


def test_an_expired_lease_can_be_taken_over(fresh_app):
    if fresh_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return  # PostgreSQL's advisory lock ends with its holder's connection instead
    crashed = jobs.SchedulerLock(fresh_app, lease_seconds=-1)
    crashed.holder = "crashed:1"
    assert crashed.acquire()
    successor = jobs.SchedulerLock(fresh_app, lease_seconds=60)
    assert successor.acquire()
    successor.release()


def test_scheduler_command_refuses_to_start_twice(fresh_app):
    lock = jobs.SchedulerLock(fresh_app, lease_seconds=60)
    lock.holder = "elsewhere:1"
    assert lock.acquire()
    try:
        result = fresh_app.test_cli_runner().invoke(args=["scheduler"])
        assert result.exit_code == 1
        assert "already running" in result.output
    finally:
        lock.release()

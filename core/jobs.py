"""Scheduled jobs as data, and the single-scheduler lock.

Each job is a thin wrapper that opens an app context and calls a service the CLI can call too.
Only one scheduler runs: PostgreSQL holds a session-level advisory lock on a dedicated connection;
SQLite uses a lease row with an expiry that the running scheduler renews.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, select, text

from core import audit
from core.base import local_today, utcnow
from core.models import IdempotencyRecord, LoginAttempt, SchedulerLease, UserSession
from extensions import db

log = logging.getLogger(__name__)
LEASE_NAME = "scheduler"
PG_SCHEDULER_LOCK_KEY = 7_261_002


@dataclass(frozen=True)
class JobDef:
    id: str
    func: Callable[[], object]
    trigger: str
    trigger_args: dict = field(default_factory=dict)
    description: str = ""


def purge_expired_records(now: dt.datetime | None = None) -> dict:
    """Delete ended sessions older than a week, old failed log-ins and idempotency records."""
    now = now or utcnow()
    week_ago, day_ago = now - dt.timedelta(days=7), now - dt.timedelta(days=1)
    counts = {
        "sessions": db.session.execute(delete(UserSession).where(
            UserSession.ended_at.is_not(None), UserSession.ended_at < week_ago)).rowcount,
        "login_attempts": db.session.execute(delete(LoginAttempt).where(
            LoginAttempt.attempted_at < day_ago)).rowcount,
        "idempotency_records": db.session.execute(delete(IdempotencyRecord).where(
            IdempotencyRecord.created_at < day_ago)).rowcount,
    }
    return counts


def verify_audit_chain() -> audit.VerifyResult:
    """Walk the audit chain and log loudly if it is broken."""
    result = audit.verify()
    if result.ok:
        log.info("audit chain intact: %d rows", result.checked)
    else:
        log.error("audit chain BROKEN at row %s: %s", result.broken_seq, result.reason)
    return result


def refresh_case_clocks() -> dict:
    """Daily: make sure the holiday calendar covers this year and next, then recompute the
    clocks of every open case (suspensions grow, the calendar may have been edited)."""
    from enforcement.cases.calendar import seed_holidays
    from enforcement.cases.clocks import recompute_open_cases

    year = local_today().year
    added, unknown = seed_holidays([year, year + 1])
    if unknown:
        log.warning("holiday calendar unknown for %s: enter it on the calendar page", unknown)
    return {"calendar_days_added": added, "cases": recompute_open_cases()}


_REGISTERED: dict[str, JobDef] = {}


def register(job: JobDef) -> None:
    """Add a module's job (called from its ``init_app``; registering twice keeps one)."""
    _REGISTERED[job.id] = job


def job_definitions() -> list[JobDef]:
    """The scheduler's jobs: the core ones, then those the modules registered."""
    return [
        JobDef("refresh_case_clocks", refresh_case_clocks, "cron", {"hour": 1, "minute": 0},
               "recompute statutory clocks; due-soon and overdue lists follow from them"),
        JobDef("purge_expired_records", purge_expired_records, "cron", {"hour": 3, "minute": 10},
               "delete ended sessions, old failed log-ins and idempotency records"),
        JobDef("verify_audit_chain", verify_audit_chain, "cron", {"hour": 2, "minute": 30},
               "walk the audit hash chain and log the result"),
    ] + list(_REGISTERED.values())


def run_job(app, job: JobDef):
    """Run one job inside an app context and commit its work (the job's boundary)."""
    with app.app_context():
        try:
            result = job.func()
            db.session.commit()
            log.info("job %s done: %s", job.id, result)
            return result
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job.id)
            raise


# The single-scheduler lock ----------------------------------------------------------------

class SchedulerLock:
    """Held for the scheduler's lifetime; ``acquire`` returns False if another one runs."""

    def __init__(self, app, lease_seconds: int):
        self.app = app
        self.lease_seconds = lease_seconds
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self._pg_conn = None

    def acquire(self) -> bool:
        with self.app.app_context():
            engine = db.engine
            if engine.dialect.name == "postgresql":
                self._pg_conn = engine.connect()
                got = self._pg_conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                            {"k": PG_SCHEDULER_LOCK_KEY}).scalar()
                self._pg_conn.commit()
                if not got:
                    self._pg_conn.close()
                    self._pg_conn = None
                return bool(got)
            return self._take_lease()

    def _take_lease(self) -> bool:
        now = utcnow()
        lease = db.session.get(SchedulerLease, LEASE_NAME)
        if lease is not None and lease.holder != self.holder and lease.expires_at > now:
            db.session.rollback()
            return False
        if lease is None:
            lease = SchedulerLease(name=LEASE_NAME, holder=self.holder, expires_at=now)
            db.session.add(lease)
        lease.holder = self.holder
        lease.expires_at = now + dt.timedelta(seconds=self.lease_seconds)
        db.session.commit()
        return True

    def renew(self) -> None:
        if self._pg_conn is not None:
            return
        with self.app.app_context():
            if not self._take_lease():
                log.error("scheduler lease lost to another process; stopping")
                raise SystemExit(1)

    def release(self) -> None:
        if self._pg_conn is not None:
            # The connection goes back to the pool, so unlock explicitly (a crash ends the
            # server session instead, which releases the lock too).
            self._pg_conn.execute(text("SELECT pg_advisory_unlock(:k)"),
                                  {"k": PG_SCHEDULER_LOCK_KEY})
            self._pg_conn.commit()
            self._pg_conn.close()
            self._pg_conn = None
            return
        with self.app.app_context():
            db.session.execute(delete(SchedulerLease).where(
                SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == self.holder))
            db.session.commit()

    def current_holder(self) -> str | None:
        with self.app.app_context():
            return db.session.scalar(select(SchedulerLease.holder).where(
                SchedulerLease.name == LEASE_NAME))


def build_scheduler(app, scheduler_cls=None):
    """A scheduler with every job of :func:`job_definitions` registered (not started)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = (scheduler_cls or BlockingScheduler)(timezone=app.config["BABEL_DEFAULT_TIMEZONE"])
    for job in job_definitions():
        scheduler.add_job(run_job, job.trigger, args=[app, job], id=job.id, name=job.description,
                          replace_existing=True, coalesce=True, max_instances=1,
                          misfire_grace_time=3600, **job.trigger_args)
    return scheduler


def init_app(app) -> None:
    app.extensions["job_definitions"] = job_definitions

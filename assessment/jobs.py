"""Scheduler jobs and the ``assess`` CLI: both call ``scoring.assess``.

The jobs run in the single scheduler process (``flask scheduler`` holds the scheduler lock), so
they run once, not once per web worker; and ``assess`` is idempotent anyway."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from assessment import scoring
from assessment.models import ObjectionStatus, ResultStatus, ScoreObjection, ScoreResult
from assessment.periods import of_kind, parse_period
from assessment.schemes_store import assignments, ensure_seeded, version_in_force
from core.base import local_today
from core.errors import DomainError
from extensions import db

log = logging.getLogger(__name__)


def _kinds() -> set[tuple[str, Optional[str]]]:
    """(period kind, year start) of every scheme in use."""
    out = set()
    for scheme in set(assignments().values()):
        data = version_in_force(scheme, local_today()).data
        out.add((data.get("period", "month"), data.get("year_starts")))
    return out


def nightly(today: Optional[dt.date] = None) -> dict:
    """Provisional scores of the open periods, and publication (公示) of the periods that have
    just closed."""
    today = today or local_today()
    ensure_seeded()
    done = {}
    for kind, year_starts in sorted(_kinds(), key=lambda k: (k[0], k[1] or "")):
        current = of_kind(kind, today, year_starts)
        closed = of_kind(kind, current.span(year_starts)[0] - dt.timedelta(days=1), year_starts)
        for period in (current, closed):
            if period.text not in done:
                done[period.text] = scoring.assess(period.text, today=today).scored
    return done


def finalize_due(today: Optional[dt.date] = None) -> list[str]:
    """Freeze the published periods whose objection period is over and that have no objection
    waiting for a decision."""
    today = today or local_today()
    periods = set(db.session.scalars(select(ScoreResult.period).where(
        ScoreResult.status == ResultStatus.published, ScoreResult.objection_due_on < today)))
    frozen = []
    for period in sorted(periods):
        pending = db.session.scalar(select(ScoreObjection.id).join(ScoreResult).where(
            ScoreResult.period == period, ScoreObjection.status == ObjectionStatus.pending)
            .limit(1))
        if pending is None:
            try:
                scoring.assess(period, final=True, today=today)
            except DomainError as exc:  # one period's problem must not stop the others
                log.warning("assessment %s not frozen: %s", period, exc)
                continue
            frozen.append(period)
    return frozen


def register_jobs() -> None:
    from core.jobs import JobDef, register

    register(JobDef("assessment_nightly", nightly, "cron", {"hour": 2, "minute": 0},
                    "provisional assessment scores of the open periods; publish closed ones"))
    register(JobDef("assessment_finalize", finalize_due, "cron", {"hour": 2, "minute": 40},
                    "freeze assessment results whose objection period is over"))


@click.group("assess")
def assess_cli():
    """Target-management assessment."""


@assess_cli.command("run")
@click.option("--period", required=True, help="YYYY-MM, YYYY-Qn, YYYY-H1/H2 or YYYY")
@click.option("--final", is_flag=True, help="freeze the results of a closed period")
@click.option("--correction", default=None,
              help="recompute a final period as a new recorded version with this reason")
@with_appcontext
def run_command(period, final, correction):
    """Compute the assessment of PERIOD now (idempotent)."""
    try:
        summary = scoring.assess(period, final=final, correction=correction)
    except DomainError as exc:
        db.session.rollback()
        raise click.BadParameter(str(exc), param_hint="--period") from None
    db.session.commit()
    click.echo(f"{summary.period}: {summary.scored} scored ({', '.join(summary.schemes)}), "
               f"{summary.changed} changed, {summary.frozen} frozen, "
               f"{summary.skipped_final} final left unchanged")


@assess_cli.command("backfill")
@click.option("--since", "since", required=True, help="first month, YYYY-MM")
@click.option("--until", "until", default=None, help="last month, YYYY-MM (default: last month)")
@click.option("--final", is_flag=True, help="freeze each closed period")
@with_appcontext
def backfill_command(since, until, final):
    """Score every month (and the quarters, halves and years they close) of a past range, with
    the scheme version in force then."""
    try:
        first = parse_period(since)
        last = parse_period(until) if until else of_kind(
            "month", local_today().replace(day=1) - dt.timedelta(days=1))
        if first.kind != "month" or last.kind != "month":
            raise DomainError("--since and --until are months (YYYY-MM)", field="period")
    except DomainError as exc:
        raise click.BadParameter(str(exc)) from None
    day = first.span()[0]
    while day <= last.span()[0]:
        month = of_kind("month", day)
        texts = [month.text]
        if day.month % 6 == 0:
            texts.append(f"{day.year}-H{day.month // 6}")
        if day.month == 12:  # the calendar year and the officer year (to 30 Nov) are over
            texts.append(str(day.year))
        for text in dict.fromkeys(texts):
            try:
                summary = scoring.assess(text, final=final)
                db.session.commit()
                click.echo(f"{text}: {summary.scored} scored, {summary.changed} changed")
            except DomainError as exc:
                db.session.rollback()
                click.echo(f"{text}: {exc}", err=True)
        day = month.span()[1] + dt.timedelta(days=1)

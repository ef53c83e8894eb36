"""Command line: ``flask --app app users|audit|demo-data|scheduler``."""
from __future__ import annotations

import signal
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from core import audit, jobs, services
from core.base import local_today
from core.errors import DomainError
from core.models import Unit, User
from core.roles import Role
from extensions import db

users_cli = AppGroup("users", help="Manage staff accounts and API tokens.")
audit_cli = AppGroup("audit", help="Check the audit log.")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--unit", "unit_code", required=True, help="unit code, e.g. 500112-JT01")
@click.option("--full-name", default=None)
@click.option("--cert-no", default=None, help="enforcement certificate number")
@click.option("--cert-expires", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def create_user_command(username, role, unit_code, full_name, cert_no, cert_expires,
                        password_stdin):
    """Create a user; the password comes from a prompt or standard input."""
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code.upper()))
    if unit is None:
        _fail(f"no unit with code {unit_code}")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(
            actor=None, username=username, full_name=full_name or username, role=role,
            unit=unit, password=password, cert_no=cert_no,
            cert_expires_on=cert_expires.date() if cert_expires else None)
    except DomainError as exc:
        db.session.rollback()
        _fail(f"{exc.field or 'input'}: {exc.message}")
    db.session.commit()
    click.echo(f"created user {user.username} ({user.role.value}) in {unit.code} {unit.name}")


@users_cli.command("token")
@click.argument("username")
@click.option("--name", default="cli", help="a label for the token")
def token_command(username, name):
    """Print a new API token for USERNAME (shown once, stored hashed)."""
    user = db.session.scalar(select(User).where(User.username == username.lower()))
    if user is None:
        _fail(f"no user named {username}")
    try:
        raw = services.issue_token(user, actor=None, name=name)
    except DomainError as exc:
        db.session.rollback()
        _fail(str(exc.message))
    db.session.commit()
    click.echo(raw)


@users_cli.command("disable")
@click.argument("username")
def disable_command(username):
    """Disable USERNAME, ending its sessions and API tokens at once."""
    user = db.session.scalar(select(User).where(User.username == username.lower()))
    if user is None:
        _fail(f"no user named {username}")
    services.set_user_active(user, actor=None, active=False)
    db.session.commit()
    click.echo(f"disabled {user.username}")


@audit_cli.command("verify")
def verify_command():
    """Walk the hash chain; exit 1 and name the first broken row if it was tampered with."""
    result = audit.verify()
    if result.ok:
        click.echo(f"audit chain intact: {result.checked} rows")
        return
    click.echo(f"audit chain BROKEN at row seq={result.broken_seq}: {result.reason} "
               f"({result.checked} rows verified before it)", err=True)
    sys.exit(1)


@click.command("demo-data")
@click.option("--if-empty", is_flag=True, help="do nothing when users already exist")
@click.option("--cases", "case_count", type=click.IntRange(min=0), default=200,
              show_default=True, help="demo cases to generate (up to 1,000,000)")
@click.option("--seed", "seed", type=int, default=1, show_default=True,
              help="random seed: the same seed on the same day gives the same cases")
@with_appcontext
def demo_data_command(if_empty, case_count, seed):
    """Create Chongqing's units, one user per role and demo cases; print the log-ins."""
    from core import demo

    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        click.echo("demo data already present; log-ins are in instance/demo-logins.txt")
        return
    begun = started = time.perf_counter()
    logins = demo.load_structure()
    db.session.commit()
    seed_command.callback()
    click.echo(f"demo structure: units, users and reference data in "
               f"{time.perf_counter() - started:.1f} s")
    if case_count:
        from enforcement.cases.demo import load_cases

        stats = load_cases(case_count, seed)
        started = time.perf_counter()
        db.session.commit()
        click.echo(f"demo cases: {stats['cases']} ({stats['vehicles']} vehicles, "
                   f"{stats['persons']} persons, {len(stats['users_created'])} officers added) "
                   f"in {stats['seconds']} s")
        click.echo(f"demo commit: the cases committed in {time.perf_counter() - started:.1f} s")
    for name, step in demo.extra_steps():
        started = time.perf_counter()
        summary = step(seed)
        click.echo(f"demo {name}: {summary} in {time.perf_counter() - started:.1f} s")
    path = demo.save_logins(logins)
    click.echo(demo.format_logins(logins))
    click.echo(f"(saved to {path})")
    click.echo(f"demo data complete in {time.perf_counter() - begun:.1f} s")


@click.command("seed")
@with_appcontext
def seed_command():
    """Add the reference data a new installation needs (idempotent): violation catalogue,
    the public-holiday calendar from the maintained library and the assessment schemes."""
    from assessment.schemes_store import seed_schemes
    from enforcement.cases.calendar import seed_holidays
    from enforcement.violations.seed import seed_violation_types

    added_types = seed_violation_types()
    this_year = local_today().year
    added_days, unknown = seed_holidays(range(2004, this_year + 2))
    added_schemes = seed_schemes()
    db.session.commit()
    click.echo(f"violation types added: {added_types}; calendar days added: {added_days}; "
               f"assessment schemes added: {added_schemes}")
    if unknown:
        click.echo(f"the holiday library does not know {', '.join(map(str, unknown))}: the city "
                   "office enters those years' holidays", err=True)


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run the job scheduler in this process (only one may run)."""
    app = current_app._get_current_object()
    lock = jobs.SchedulerLock(app, app.config["SCHEDULER_LEASE_SECONDS"])
    if not lock.acquire():
        click.echo("Another scheduler is already running (lock held); exiting.", err=True)
        sys.exit(1)
    scheduler = jobs.build_scheduler(app)
    scheduler.add_job(lock.renew, "interval", seconds=max(5, lock.lease_seconds // 3),
                      id="renew_scheduler_lease", replace_existing=True)

    def stop(signum, _frame):
        click.echo(f"scheduler: signal {signum}, stopping")
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"scheduler running with {len(jobs.job_definitions())} jobs; Ctrl-C to stop")
    try:
        scheduler.start()
    finally:
        lock.release()
        click.echo("scheduler stopped")


def init_app(app) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(seed_command)

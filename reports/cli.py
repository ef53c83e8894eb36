"""``flask --app app reports monthly YYYY-MM``: build and archive the month's report."""
from __future__ import annotations

import atexit
import gc

import click
from flask.cli import AppGroup

from core.errors import DomainError
from extensions import db

reports_cli = AppGroup("reports", help="Build and archive reports.")


@reports_cli.command("monthly")
@click.argument("month")
def monthly_command(month: str):
    """Build the joint-action report of MONTH (YYYY-MM) as a new archived version."""
    from reports import monthly

    # What the app set up at start-up (modules, mappers: ~190,000 objects) lives as long as the
    # process; frozen, the garbage collector stops walking it on each full collection while the
    # report is built, and, frozen again at exit, in the final collection (together ~1 s of a
    # busy month's 10 s).
    gc.freeze()
    atexit.register(gc.freeze)
    try:
        row = monthly.build_report(month)
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"Error: {exc.message}", err=True)
        raise SystemExit(2) from None
    finally:
        gc.unfreeze()
    db.session.commit()
    click.echo(f"monthly report {row.month} version {row.version} archived "
               f"(/reports/monthly/{row.month}.html .pdf .xlsx)")


def register(app) -> None:
    if "reports" not in app.cli.commands:
        app.cli.add_command(reports_cli)

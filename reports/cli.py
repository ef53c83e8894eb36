"""``flask --app app reports monthly YYYY-MM``: build and archive the month's report."""
from __future__ import annotations

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

    try:
        row = monthly.build_report(month)
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"Error: {exc.message}", err=True)
        raise SystemExit(2) from None
    db.session.commit()
    click.echo(f"monthly report {row.month} version {row.version} archived "
               f"(/reports/monthly/{row.month}.html .pdf .xlsx)")


def register(app) -> None:
    if "reports" not in app.cli.commands:
        app.cli.add_command(reports_cli)

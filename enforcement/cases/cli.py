"""Command line for cases: ``flask --app app import cases FILE.xlsx|FILE.csv``."""
from __future__ import annotations

import atexit
import gc
from pathlib import Path

import click
from flask.cli import AppGroup

from extensions import db

import_cli = AppGroup("import", help="Bulk imports from spreadsheets.")

SHOWN_ERRORS = 20


@import_cli.command("cases")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--unit-column", default="unit", show_default=True,
              help="header of the column with the unit code, when not 单位编码/unit")
def import_cases_command(file: Path, unit_column: str):
    """Import cases from FILE (.xlsx or .csv); rows already imported are skipped.

    Exit status: 0 all rows fine, 1 some rows refused (the others are imported; see the
    error report FILE.errors.csv), 2 the file cannot be read.
    """
    from enforcement.cases import importer

    atexit.register(gc.freeze)  # no collection over the app's objects as the process ends
    try:
        report = importer.import_cases(file, actor=None, unit_code_column=unit_column)
    except importer.ImportFileError as exc:
        db.session.rollback()
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(f"{file.name}: {report.rows} rows; created {report.created}, "
               f"skipped as already imported {report.skipped}, "
               f"with errors {report.error_rows}")
    if report.error_report is not None:
        for error in report.errors[:SHOWN_ERRORS]:
            click.echo(f"  row {error.row} {error.column or error.field}: {error.message}",
                       err=True)
        if report.error_rows and len(report.errors) > SHOWN_ERRORS:
            click.echo(f"  … {len(report.errors) - SHOWN_ERRORS} more", err=True)
        click.echo(f"error report: {report.error_report}")
    raise SystemExit(0 if report.ok else 1)


def register(app) -> None:
    """Add the ``import`` command group to the app's command line."""
    if "import" not in app.cli.commands:
        app.cli.add_command(import_cli)

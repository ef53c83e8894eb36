"""Reports pages: the archive of monthly joint-action reports and its files at
``/reports/monthly/YYYY-MM.{html,pdf,xlsx}`` (interfaces.md); ``?version=N`` for an older one."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core import storage
from core.base import local_today
from core.errors import DomainError
from core.permissions import current_actor, guard
from core.roles import MANAGERS
from extensions import db
from reports import monthly
from reports.models import MonthlyReport

bp = Blueprint("reports", __name__, url_prefix="/reports")
MIMES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.route("/")
@guard()
def index():
    """Landing page of the reports module: the archived monthly reports."""
    rows = db.session.scalars(select(MonthlyReport).order_by(
        MonthlyReport.month.desc(), MonthlyReport.version.desc()).limit(200)).all()
    return render_template("reports/index.html", reports=rows,
                           last_month=monthly.previous_month().month,
                           can_build=current_actor().role in MANAGERS)


@bp.route("/monthly", methods=["POST"])
@guard(MANAGERS, write=True)
def build_monthly():
    """Build (or rebuild, as a new version) the report of the month in the form."""
    try:
        row = monthly.build_report(request.form.get("month", ""), actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return redirect(url_for("reports.index"))
    db.session.commit()
    flash(_("Report %(month)s version %(version)s archived.", month=row.month,
            version=row.version), "success")
    return redirect(url_for("reports.index"))


def _serve(month: str, fmt: str):
    period = monthly.parse_month(month, today=local_today())  # future → 422
    version = request.args.get("version", "")
    if version:
        if not version.isdigit():
            abort(404)
        row = db.session.scalar(select(MonthlyReport).where(
            MonthlyReport.month == period.month, MonthlyReport.version == int(version)))
    else:
        row = monthly.latest(period.month)
        if row is None:  # any past month on demand: build and archive its first version
            row = monthly.build_report(period.month, actor=current_actor())
            db.session.commit()
    if row is None:
        abort(404)
    path = storage.path_of(monthly.AREA, getattr(row, f"{fmt}_name"))
    response = send_file(path, mimetype=MIMES[fmt], as_attachment=fmt != "html",
                         download_name=f"joint-report-{row.month}-v{row.version}.{fmt}")
    response.headers["X-Report-Version"] = str(row.version)
    return response


@bp.route("/monthly/<month>.html")
@guard()
def monthly_html(month: str):
    """The archived report as a page (latest version unless ?version=)."""
    return _serve(month, "html")


@bp.route("/monthly/<month>.pdf")
@guard()
def monthly_pdf(month: str):
    """The archived report as PDF."""
    return _serve(month, "pdf")


@bp.route("/monthly/<month>.xlsx")
@guard()
def monthly_xlsx(month: str):
    """The archived report as XLSX."""
    return _serve(month, "xlsx")


def _demo_report(seed: int) -> str:
    """Demo data: archive last month's joint-action report once every module has its data."""
    from core.models import User
    from reports.monthly import build_report, latest, previous_month

    month = previous_month().month
    if latest(month) is not None:
        return f"report {month} already archived"
    actor = db.session.scalar(select(User).where(User.username == "city"))
    report = build_report(month, actor=actor)
    db.session.commit()
    return f"report {report.month} v{report.version} at /reports/monthly/{report.month}.html"


def init_app(app) -> None:
    from core import jobs
    from reports import (
        cli,
        models,  # noqa: F401  (the archive table)
    )

    app.register_blueprint(bp)
    cli.register(app)
    from core import demo

    demo.register_step("report", _demo_report)
    jobs.register(jobs.JobDef(
        "monthly_joint_report", monthly.build_previous_month, "cron",
        {"day": 1, "hour": 2, "minute": 0},
        "record last month's missed duties and archive its joint-action report"))

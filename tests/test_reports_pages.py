"""Report paths of interfaces.md: HTML, PDF and XLSX of a month, versions, rebuilds (also two
at once on a really committing database), the CLI, future months."""
from __future__ import annotations

import io
import threading

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from core import storage
from core.roles import Role
from extensions import db as _db
from reports import monthly
from reports.models import MonthlyReport
from tests.conftest import csrf_token

MONTH = "2026-03"


def test_paths_serve_the_archived_report(client, db, tree, login_as):
    login_as(Role.officer, "north_team")
    html = client.get(f"/reports/monthly/{MONTH}.html")
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert html.headers["X-Report-Version"] == "1"
    assert "<svg" in html.get_data(as_text=True)
    pdf = client.get(f"/reports/monthly/{MONTH}.pdf")
    assert pdf.mimetype == "application/pdf"
    assert MONTH in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    xlsx = client.get(f"/reports/monthly/{MONTH}.xlsx")
    wb = load_workbook(io.BytesIO(xlsx.data))
    assert wb.worksheets[0]["A1"].value.startswith(MONTH)
    # the three came from the one archived version
    assert db.session.scalars(select(MonthlyReport.version)).all() == [1]


def test_future_month_is_a_clear_error(client, db, tree, login_as):
    login_as(Role.officer, "north_team")
    response = client.get("/reports/monthly/2999-01.pdf")
    assert response.status_code == 422
    assert client.get("/reports/monthly/2026-3x.html").status_code == 422
    assert client.get(f"/reports/monthly/{MONTH}.html?version=7").status_code == 404


def test_rebuild_from_the_page_keeps_old_versions(client, db, tree, login_as):
    login_as(Role.city_office, "city")
    token = csrf_token(client, "/reports/")
    for _ in range(2):
        assert client.post("/reports/monthly", data={"csrf_token": token,
                                                     "month": MONTH}).status_code == 302
    assert client.get(f"/reports/monthly/{MONTH}.html").headers["X-Report-Version"] == "2"
    old = client.get(f"/reports/monthly/{MONTH}.pdf?version=1")
    assert old.status_code == 200 and old.headers["X-Report-Version"] == "1"
    future = client.post("/reports/monthly", data={"csrf_token": token, "month": "2999-01"})
    assert future.status_code == 302
    assert db.session.scalar(select(MonthlyReport.id).where(
        MonthlyReport.month == "2999-01")) is None
    index = client.get("/reports/").get_data(as_text=True)
    assert index.count('data-testid="report-row"') == 2


def test_cli_builds_a_version(app, runner, db):
    result = runner.invoke(args=["reports", "monthly", MONTH])
    assert result.exit_code == 0, result.output
    assert "version 1" in result.output
    bad = runner.invoke(args=["reports", "monthly", "2999-01"])
    assert bad.exit_code == 2


def test_concurrent_rebuilds_make_distinct_whole_versions(fresh_app):
    errors = []
    barrier = threading.Barrier(2)

    def build():
        with fresh_app.app_context():
            try:
                barrier.wait()
                monthly.build_report(MONTH)
                _db.session.commit()
            except Exception as exc:  # noqa: BLE001 — reported below
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with fresh_app.app_context():
        rows = _db.session.scalars(select(MonthlyReport).order_by(MonthlyReport.version)).all()
        assert [r.version for r in rows] == [1, 2]
        for row in rows:
            for kind in ("html", "pdf", "xlsx"):
                assert storage.sha256_of("reports", getattr(row, f"{kind}_name")) == \
                    getattr(row, f"{kind}_sha256")
            PdfReader(io.BytesIO(storage.path_of("reports", row.pdf_name).read_bytes()))
        _db.session.remove()

"""Languages and formatting; the XLSX helper; security headers; demo data."""
from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
from babel.messages.pofile import read_po
from sqlalchemy import func, select

from core import demo, exports, i18n
from core.models import Unit, UnitKind, User
from core.roles import Role
from extensions import db as _db
from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parent.parent


def test_english_is_selectable_and_sticks(client):
    token = csrf_token(client)
    response = client.post("/lang/en", data={"csrf_token": token, "next": "/login"})
    assert response.status_code == 302
    page = client.get("/login").get_data(as_text=True)
    assert "Log in" in page and "登录" not in page
    client.post("/lang/zh_Hans_CN", data={"csrf_token": csrf_token(client), "next": "/login"})
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_unknown_language_is_404(client):
    assert client.post("/lang/xx", data={"csrf_token": csrf_token(client)}).status_code == 404


def test_language_switch_refuses_offsite_next(client):
    response = client.post("/lang/en", data={"csrf_token": csrf_token(client),
                                             "next": "//evil.example"})
    assert response.location == "/"


def test_money_dates_and_numbers_follow_the_locale(app):
    with app.test_request_context():
        from flask import session

        assert i18n.money(Decimal("1234.5")) == "¥1,234.50"
        assert "2026年" in i18n.date_local(dt.date(2026, 3, 5))
        session["lang"] = "en"
        from flask_babel import refresh

        refresh()
        assert i18n.money(Decimal("1234.5")) == "CN¥1,234.50"
        assert i18n.date_local(dt.date(2026, 3, 5)) == "Mar 5, 2026"
        assert i18n.number(1234567) == "1,234,567"


def test_every_interface_string_has_a_chinese_translation(tmp_path):
    """Extract the messages afresh: each must be translated in the zh_Hans_CN catalogue."""
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    str(ROOT / "babel.cfg"), "-k", "_l", "-o", str(pot), str(ROOT)],
                   check=True, capture_output=True, cwd=ROOT)
    with pot.open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    with (ROOT / "translations/zh_Hans_CN/LC_MESSAGES/messages.po").open("rb") as fh:
        catalogue = {m.id: m.string for m in read_po(fh) if m.id}
    missing = sorted(m for m in wanted if not catalogue.get(m))
    assert not missing, f"untranslated (run tools/zh_catalogue.py): {missing}"


def test_xlsx_neutralises_formulas_and_reads_back():
    rows = [["=1+1", "+86 138", "-5", "@SUM(A1)", "\uff1dHYPERLINK()", "plain", 42,
             Decimal("500.00"), dt.date(2026, 1, 2)]]
    data = exports.build_xlsx("名单", ["a", "b", "c", "d", "e", "f", "g", "h", "i"], rows)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    values = [c.value for c in sheet[2]]
    assert values[:5] == ["'=1+1", "'+86 138", "'-5", "'@SUM(A1)", "'\uff1dHYPERLINK()"]
    assert values[5:8] == ["plain", 42, 500]
    assert all(c.data_type != "f" for c in sheet[2])
    assert sheet["A1"].font.bold


def test_security_headers_on_pages(client):
    response = client.get("/login")
    h = response.headers
    assert "default-src 'self'" in h["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin"


def test_pages_for_logged_in_users_are_not_stored(client, login_as):
    login_as(Role.officer, "north_team")
    assert client.get("/units").headers["Cache-Control"] == "no-store"


def test_session_cookie_flags(client, app):
    client.get("/login")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_production_config_defaults_are_safe(monkeypatch, tmp_path):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    import importlib

    import config as config_module

    fresh = importlib.reload(config_module)
    try:
        cfg = fresh.Config.__new__(fresh.Config)
        assert fresh.Config.DEBUG is False and fresh.Config.SESSION_COOKIE_SECURE is True
        key = fresh.instance_secret("TEST_SECRET_X", lambda: "abc", instance_dir=tmp_path)
        assert key == "abc" and (tmp_path / "test_secret_x").stat().st_mode & 0o077 == 0
        assert fresh.instance_secret("TEST_SECRET_X", lambda: "other", instance_dir=tmp_path) \
            == "abc"
        del cfg
    finally:
        importlib.reload(config_module)


def test_no_asset_is_loaded_from_the_internet():
    offenders = []
    for path in list((ROOT / "templates").rglob("*.html")) + list(
            (ROOT / "static").rglob("*.css")):
        text = path.read_text(encoding="utf-8", errors="ignore")
        for marker in ('src="http', "src='http", 'href="http', "url(http", "url('http",
                       'url("http', "@import"):
            if marker in text:
                offenders.append(f"{path.relative_to(ROOT)}: {marker}")
    assert not offenders


def test_demo_data_builds_chongqing(app, db, runner):
    logins = demo.load_structure()
    districts = _db.session.scalar(select(func.count()).select_from(Unit).where(
        Unit.kind.in_([UnitKind.district, UnitKind.county])))
    assert districts == 38
    city = _db.session.scalar(select(Unit).where(Unit.code == "500000"))
    assert city.name == "重庆市" and city.parent_id is None
    yuzhong = _db.session.scalar(select(Unit).where(Unit.code == "500103"))
    assert yuzhong.name == "渝中区" and yuzhong.parent_id == city.id
    roles = {u.role for u in _db.session.scalars(select(User))}
    assert roles == set(Role)
    assert "admin" in {login[0] for login in logins}
    from core.geo import unit_for_point

    assert unit_for_point(29.557, 106.577).code == "500103"  # 解放碑
    assert unit_for_point(29.610, 106.551).code == "500112"  # 重庆北站
    again = runner.invoke(args=["demo-data", "--if-empty"])
    assert again.exit_code == 0 and "already present" in again.output


def test_api_answers_carry_the_api_set(client):
    """JSON answers of the API carry OWASP's REST set, not the page policies."""
    response = client.get("/api/v1/cases")  # no token: a JSON 401
    h = response.headers
    assert response.status_code == 401 and response.mimetype == "application/json"
    assert h["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert h["X-Content-Type-Options"] == "nosniff" and h["X-Frame-Options"] == "DENY"
    assert "Referrer-Policy" not in h and "Permissions-Policy" not in h

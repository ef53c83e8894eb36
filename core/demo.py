"""Demo data: the real structure of Chongqing and one user per role.

District and county names and codes are the GB/T 2260 division codes of Chongqing Municipality
(500000). Street codes are the statistics bureau's 9-digit township codes. Boundaries are
deliberately coarse rectangles around the central districts (enough to place a point in the right
district for demonstrations), not surveyed borders.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from core import audit, services
from core.models import Department, Unit, UnitKind
from core.roles import Role
from extensions import db

CITY = ("500000", "重庆市")
DISTRICTS = [
    ("500101", "万州区"), ("500102", "涪陵区"), ("500103", "渝中区"), ("500104", "大渡口区"),
    ("500105", "江北区"), ("500106", "沙坪坝区"), ("500107", "九龙坡区"), ("500108", "南岸区"),
    ("500109", "北碚区"), ("500110", "綦江区"), ("500111", "大足区"), ("500112", "渝北区"),
    ("500113", "巴南区"), ("500114", "黔江区"), ("500115", "长寿区"), ("500116", "江津区"),
    ("500117", "合川区"), ("500118", "永川区"), ("500119", "南川区"), ("500120", "璧山区"),
    ("500151", "铜梁区"), ("500152", "潼南区"), ("500153", "荣昌区"), ("500154", "开州区"),
    ("500155", "梁平区"), ("500156", "武隆区"),
]
COUNTIES = [
    ("500229", "城口县"), ("500230", "丰都县"), ("500231", "垫江县"), ("500233", "忠县"),
    ("500235", "云阳县"), ("500236", "奉节县"), ("500237", "巫山县"), ("500238", "巫溪县"),
    ("500240", "石柱土家族自治县"), ("500241", "秀山土家族苗族自治县"),
    ("500242", "酉阳土家族苗族自治县"), ("500243", "彭水苗族土家族自治县"),
]
STREETS = {
    "500103": [("500103001", "七星岗街道"), ("500103002", "解放碑街道"),
               ("500103003", "两路口街道"), ("500103004", "上清寺街道"),
               ("500103008", "朝天门街道"), ("500103009", "大坪街道")],
    "500105": [("500105006", "观音桥街道"), ("500105009", "五里店街道")],
    "500112": [("500112001", "双龙湖街道"), ("500112006", "龙塔街道"),
               ("500112011", "回兴街道")],
}
# Coarse demonstration boundaries (lng, lat) of the central districts.
BOXES = {
    "500000": [(105.28, 28.15), (110.20, 28.15), (110.20, 32.21), (105.28, 32.21)],
    "500103": [(106.50, 29.545), (106.59, 29.545), (106.59, 29.566), (106.50, 29.566)],
    "500105": [(106.50, 29.566), (106.75, 29.566), (106.75, 29.60), (106.50, 29.60)],
    "500112": [(106.45, 29.60), (106.85, 29.60), (106.85, 29.85), (106.45, 29.85)],
    "500106": [(106.25, 29.54), (106.50, 29.54), (106.50, 29.70), (106.25, 29.70)],
    "500107": [(106.25, 29.40), (106.54, 29.40), (106.54, 29.54), (106.25, 29.54)],
    "500108": [(106.54, 29.40), (106.75, 29.40), (106.75, 29.566), (106.59, 29.566),
               (106.59, 29.545), (106.54, 29.545)],
}
CENTRAL = ["500103", "500105", "500106", "500107", "500108", "500112"]
DEPARTMENT_UNITS = [
    ("JT01", Department.transport, "交通运输综合行政执法支队"),
    ("GA01", Department.police, "公安分局"),
    ("CG01", Department.city_management, "城市管理局"),
]
CITY_DEPARTMENTS = [
    ("500000-JT01", Department.transport, "重庆市交通运输综合行政执法总队"),
    ("500000-GA01", Department.police, "重庆市公安局交通巡逻警察总队"),
    ("500000-CG01", Department.city_management, "重庆市城市管理综合行政执法总队"),
    ("500000-SJ01", Department.market_regulation, "重庆市市场监督管理局"),
]
# username, role, unit code, full name, has certificate
DEMO_USERS = [
    ("admin", Role.admin, "500000", "系统管理员", False),
    ("city", Role.city_office, "500000", "市督导办 王敏", False),
    ("auditor", Role.auditor, "500000", "市监察 李强", False),
    ("yubei", Role.district_office, "500112", "渝北区督导办 陈静", False),
    ("leader", Role.unit_leader, "500112-JT01", "渝北执法支队 张伟", True),
    ("officer1", Role.officer, "500112-JT01", "渝北执法支队 刘洋", True),
    ("officer2", Role.officer, "500112-JT01", "渝北执法支队 杨帆", True),
    ("reviewer", Role.tip_reviewer, "500112", "渝北区举报受理 赵丽", False),
    ("finance", Role.finance, "500112", "渝北区财政 周磊", False),
    ("yuzhong", Role.district_office, "500103", "渝中区督导办 吴婷", False),
    ("officer3", Role.officer, "500103-JT01", "渝中执法支队 郑浩", True),
]


_STEPS: dict = {}


def register_step(name: str, func) -> None:
    """A module's demo data, run by ``demo-data`` after the cases as ``func(seed) -> str``
    (the step commits its own work and returns a one-line summary)."""
    _STEPS[name] = func


def extra_steps() -> list:
    return list(_STEPS.items())


def _polygon(code: str):
    ring = BOXES.get(code)
    if not ring:
        return None
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring + ring[:1]]]}


def load_structure() -> list[tuple[str, str, str, str]]:
    """Create the units (idempotent by code) and the demo users; return their log-ins."""
    with audit.batch():
        return _load_structure()


def _load_structure() -> list[tuple[str, str, str, str]]:
    by_code = {u.code: u for u in db.session.scalars(select(Unit))}

    def unit(code, name, kind, parent, department=Department.government):
        if code in by_code:
            return by_code[code]
        created = services.create_unit(actor=None, code=code, name=name, kind=kind,
                                       parent=parent, department=department,
                                       boundary_geojson=_polygon(code))
        by_code[code] = created
        return created

    city = unit(*CITY, UnitKind.city, None)
    for code, department, name in CITY_DEPARTMENTS:
        unit(code, name, UnitKind.department, city, department)
    for code, name in DISTRICTS + COUNTIES:
        area = unit(code, name, UnitKind.district if name.endswith("区") else UnitKind.county,
                    city)
        for street_code, street_name in STREETS.get(code, []):
            unit(street_code, street_name, UnitKind.street, area)
        if code in CENTRAL:
            for suffix, department, label in DEPARTMENT_UNITS:
                unit(f"{code}-{suffix}", name + label, UnitKind.department, area, department)

    logins = []
    expires = dt.date.today() + dt.timedelta(days=3 * 365)
    for index, (username, role, code, full_name, has_cert) in enumerate(DEMO_USERS, start=1):
        password = "Demo-" + secrets.token_urlsafe(9)
        services.create_user(
            actor=None, username=username, full_name=full_name, role=role,
            unit=by_code[code], password=password,
            cert_no=f"渝交执{500000 + index:06d}" if has_cert else None,
            cert_expires_on=expires if has_cert else None)
        logins.append((username, password, role.value, code))
    return logins


def format_logins(logins) -> str:
    lines = ["Demo log-ins (city office, finance and admin set up a TOTP app at first log-in):",
             f"  {'user':<10} {'password':<20} {'role':<16} unit"]
    lines += [f"  {u:<10} {p:<20} {r:<16} {c}" for u, p, r, c in logins]
    return "\n".join(lines)


def save_logins(logins) -> Path:
    path = Path(current_app.instance_path) / "demo-logins.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(format_logins(logins) + "\n")
    return path

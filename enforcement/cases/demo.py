"""Demo cases: believable, deterministic case files for the Chongqing demo units, in bulk.

``load_cases(n, seed)`` writes ``n`` cases spread over the last three years (more recent, more
cases) over the transport units of the central districts, at points around the real hotspots
(railway stations, the airport, shopping streets), with vehicles and parties from a registry pool
(so repeat offenders exist), officers of the unit, a create step and the step into the current
status, and the statutory clocks exactly as :func:`enforcement.cases.clocks.compute` would store
them. Most cases are closed; some are open, and some open ones are overdue.

It is built for a million cases in well under two minutes on SQLite (about 70 s to load and
15 s to commit on a 2-core machine): no ORM objects per case; rows generated with one
``random.Random(seed)`` (same seed and day, same data), for large loads in a forked child
process while this one writes; Core ``insert()`` executemany in batches (see :class:`_Writer`
and :class:`_SqliteBulk`). Case numbers continue the existing counters, stay gap-free per unit
and year, and ``case_counters`` is left consistent. The caller commits.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import multiprocessing
import operator
import random
import secrets
import sqlite3
import sys
import time
import traceback
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, literal_column, select, text, update

from core import audit, security, settings
from core.base import utcnow
from core.models import Unit, User
from core.roles import Role
from enforcement import deadlines
from enforcement.cases import clocks
from enforcement.cases.calendar import seed_holidays
from enforcement.cases.models import (
    Case,
    CaseClock,
    CaseCounter,
    CaseOfficer,
    CaseParty,
    CaseStep,
    CaseVehicle,
)
from enforcement.cases.numbering import format_number
from enforcement.people.models import Person, Vehicle
from enforcement.violations.models import ViolationType
from enforcement.violations.seed import seed_violation_types
from extensions import db

LOCAL = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc
SPAN_DAYS = 3 * 365
BATCH = 10_000
PARALLEL_FROM = 20_000  # cases; below, generating in this process is as quick
REBUILD_INDEXES_FROM = 100_000  # cases, and at least as many as there are (SQLite)

# The transport units of the central districts (core.demo) and the city's own brigade.
DISTRICTS = {
    "500103": ("渝中", "yuzhong", ["中山三路", "长江一路", "大坪正街", "两路口"]),
    "500105": ("江北", "jiangbei", ["北滨一路", "建新东路", "五里店", "大石坝"]),
    "500106": ("沙坪坝", "shapingba", ["汉渝路", "天星桥正街", "大学城中路", "小龙坎正街"]),
    "500107": ("九龙坡", "jiulongpo", ["谢家湾正街", "石桥铺", "渝州路", "华岩寺路"]),
    "500108": ("南岸", "nanan", ["南滨路", "弹子石", "茶园大道", "四公里"]),
    "500112": ("渝北", "yubei", ["金开大道", "新南路", "龙华大道", "双龙大道"]),
}
CITY_UNIT = "500000-JT01"
CITY_SHARE = 0.04  # cases the city brigade handles itself, at any hotspot
# (district, name, lat, lng, weight, addresses)
HOTSPOTS = [
    ("500112", "重庆北站", 29.6106, 106.5513, 14,
     ["重庆北站南广场", "重庆北站北广场", "重庆北站南广场出租车候客区", "重庆北站北广场停车场出口"]),
    ("500112", "江北机场T3", 29.7241, 106.6420, 10,
     ["江北国际机场T3航站楼到达层", "江北国际机场T3停车楼", "江北国际机场T2航站楼到达层"]),
    ("500112", "龙头寺", 29.6080, 106.5500, 5,
     ["龙头寺长途汽车站", "龙头寺公园北门", "轨道交通龙头寺站出口"]),
    ("500103", "解放碑", 29.5573, 106.5771, 8, ["解放碑步行街", "邹容路", "民族路", "八一路路口"]),
    ("500103", "洪崖洞", 29.5628, 106.5789, 7, ["洪崖洞沧白路入口", "嘉滨路洪崖洞段", "千厮门大桥桥头"]),
    ("500103", "菜园坝", 29.5480, 106.5440, 5, ["菜园坝火车站广场", "菜园坝长途汽车站", "菜袁路"]),
    ("500105", "观音桥", 29.5756, 106.5317, 8,
     ["观音桥步行街", "建新北路", "北城天街门口", "轨道交通观音桥站出口"]),
    ("500106", "磁器口", 29.5803, 106.4508, 6, ["磁器口古镇正门", "磁器口停车场", "沙滨路磁器口段"]),
    ("500106", "沙坪坝三峡广场", 29.5563, 106.4573, 6, ["三峡广场", "沙坪坝火车站", "小龙坎正街"]),
    ("500107", "重庆西站", 29.4981, 106.4394, 10, ["重庆西站东广场", "重庆西站出站口", "重庆西站公交枢纽"]),
    ("500107", "杨家坪", 29.5060, 106.5108, 5, ["杨家坪步行街", "杨家坪转盘", "西郊路"]),
    ("500108", "南坪", 29.5240, 106.5650, 7, ["南坪步行街", "南坪万达广场", "南坪西路", "四公里枢纽站"]),
]
# (lat min, lat max, lng min, lng max): inside core.demo's coarse district boxes.
AREAS = {
    "500103": (29.546, 29.565, 106.51, 106.585), "500105": (29.567, 29.598, 106.51, 106.74),
    "500106": (29.541, 29.69, 106.26, 106.49), "500107": (29.41, 29.539, 106.26, 106.53),
    "500108": (29.41, 29.544, 106.55, 106.74), "500112": (29.601, 29.84, 106.46, 106.84),
}
ELSEWHERE = 0.15  # share of a district's cases away from its hotspots

# violation code → (weight, vehicle pool, fare range in yuan, transfer share)
VIOLATIONS = {
    "FY-KY": (34, "car", (30, 150), 0.005), "FY-WY": (20, "car", (20, 120), 0.005),
    "FY-CZ": (12, "car", (20, 80), 0.005), "FY-MT": (12, "moto", (5, 30), 0.005),
    "FY-DB": (7, "mobility", (5, 20), 0.005), "FY-ZL": (4, "rental", (200, 800), 0.02),
    "GA-JP": (3, "car", (30, 100), 0.7), "GA-KF": (2, "car", (30, 100), 0.7),
}
# Facts templates: {0} name, {1} plate, {2} place, {3} fare, {4} passengers,
# {5} destination, {6} company.
FACTS = {
    "FY-KY": "当事人{0}驾驶{1}在{2}以每人{3}元的价格招揽乘客{4}人前往{5}，"
             "无法提供道路运输经营许可证。",
    "FY-WY": "当事人{0}驾驶{1}通过手机软件接单载客{4}人前往{5}，收取车费{3}元，"
             "车辆及驾驶员均未取得网约车许可。",
    "FY-CZ": "当事人{0}驾驶{1}在{2}巡游揽客，以一口价{3}元载客前往{5}，"
             "未取得出租汽车经营许可。",
    "FY-MT": "当事人{0}驾驶{1}摩托车在{2}招揽乘客，以{3}元价格载客1人。",
    "FY-DB": "当事人{0}驾驶残疾人代步车在{2}载客营运，收取车费{3}元。",
    "FY-ZL": "{6}使用租赁车辆{1}由{0}驾驶在{2}从事旅客运输，收取包车费{3}元，"
             "超出许可范围经营。",
    "GA-JP": "执法人员在{2}检查发现{1}号牌与车辆信息不符，当事人{0}涉嫌使用套牌车辆"
             "载客{4}人。",
    "GA-KF": "执法人员在{2}依法检查时，当事人{0}拒不配合，驾驶{1}强行冲卡，"
             "涉嫌阻碍执法。",
}
DESTINATIONS = ["江北机场", "重庆北站", "重庆西站", "永川", "涪陵", "合川", "万州", "璧山", "大学城",
                "长寿", "江津", "綦江"]
ORIGINS = [("patrol", 55), ("joint_action", 15), ("video", 10), ("tip", 8), ("hotline", 8),
           ("transfer", 4)]
TRANSFER_TO = ["公安分局", "公安分局交巡警支队", "区市场监督管理局"]
WITHDRAW_REASONS = ["经调查违法事实不能成立", "当事人身份认定错误", "证据不足，无法认定违法事实",
                    "重复立案，予以撤销", "车辆属依法取得许可的营运车辆"]
JUSTIFICATION = "当事人一年内多次非法营运且拒不配合调查，情节特别严重，经集体讨论从重处罚。"

SURNAMES = ("王李张刘陈杨黄赵周吴徐孙马胡朱郭何罗高林郑梁谢唐许冯宋韩邓彭曹曾田萧潘袁蔡蒋余"
            "于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段"
            "雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向汤")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红文斌辉鹏飞波宇浩凯俊"
         "鑫帅婷雪琳晨阳欣怡佳瑞丹梅林峰宏亮成龙海燕春莉军川渝江")
CQ_AREAS = ["500101", "500102", "500103", "500104", "500105", "500106", "500107", "500108",
            "500109", "500110", "500112", "500113", "500115", "500116", "500117", "500118",
            "500228", "500230", "500231", "500233", "500235", "500236", "500240", "500243"]
OTHER_AREAS = ["510104", "510107", "510502", "510703", "511302", "520102", "520302", "420106",
               "430102", "610113", "530102", "510681"]
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
MOBILE_PREFIXES = ["133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157",
                   "158", "159", "166", "173", "177", "180", "181", "183", "185", "186", "187",
                   "189", "191", "199"]
SERIAL_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
# (province+authority, weight): mostly Chongqing, some neighbours
PLATE_PREFIXES = [("渝A", 40), ("渝B", 22), ("渝D", 12), ("渝C", 4), ("渝F", 2), ("渝G", 2),
                  ("渝H", 1), ("川A", 5), ("川B", 1), ("川E", 1), ("川J", 1), ("川X", 1),
                  ("贵A", 2), ("贵C", 1), ("鄂A", 1), ("湘A", 1), ("陕A", 1), ("云A", 1)]
CAR_MODELS = ["大众朗逸", "丰田卡罗拉", "日产轩逸", "长安逸动", "五菱宏光", "别克英朗", "本田雅阁",
              "长安CS75", "吉利帝豪", "哈弗H6", "大众速腾", "现代伊兰特"]
EV_MODELS = ["比亚迪秦", "比亚迪汉", "埃安S", "长安深蓝SL03", "比亚迪元"]
MOTO_MODELS = ["宗申ZS125", "隆鑫LX150", "力帆LF125", "嘉陵JH125", "豪爵HJ125"]
MOBILITY_MODELS = ["宗申三轮代步车", "力帆代步车", "金彭代步车"]
RENTAL_MODELS = ["别克GL8", "丰田考斯特", "金龙客车XMQ6", "宇通ZK6", "大众威然"]
COLOURS = ["白", "黑", "银", "灰", "红", "蓝"]
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
COMPANY_WORDS = ["山城", "渝畅", "巴渝", "两江", "嘉陵", "朝天", "长嘉", "金州", "西部", "鸿运"]
COMPANY_KINDS = ["汽车租赁有限公司", "旅游客运有限公司", "旅行社有限公司"]

# Stages of the general procedure, in order.
STAGES = ("draft", "registered", "investigating", "legal_review", "notified", "decided",
          "executed", "closed")
LEADER_STEPS = frozenset({"notified", "decided", "closed", "transferred", "withdrawn"})
STATUSES = STAGES + ("transferred", "withdrawn")
# How each case ends up (before time cuts it short): kind, weight.
DESTINIES = [("closed", 85.0), ("court", 2.0), ("stuck", 5.5), ("transferred", 1.5),
             ("withdrawn", 4.0), ("withdrawn_draft", 2.0)]
STUCK_AT = [(0, 4), (1, 20), (2, 30), (3, 10), (4, 6), (5, 25), (6, 5)]  # stage index, weight
OFFICER_ROLES = (Role.officer, Role.unit_leader)


def id_check_digit(body17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character of the first 17 digits."""
    return "10X98765432"[sum(map(operator.mul, map(int, body17), ID_WEIGHTS)) % 11]


def _transport_units() -> list[tuple[Unit, Optional[str]]]:
    """(unit, district code or None for the city brigade) of the demo transport units."""
    codes = {f"{d}-JT01": d for d in DISTRICTS} | {CITY_UNIT: None}
    units = db.session.scalars(select(Unit).where(Unit.code.in_(codes), Unit.is_active.is_(True))
                               .order_by(Unit.code)).all()
    if not units:
        raise LookupError("no demo transport units (e.g. 500112-JT01): load the demo structure "
                          "first (core.demo.load_structure)")
    return [(u, codes[u.code]) for u in units]


def _person_name(rng) -> str:
    rnd = rng.random
    name = SURNAMES[int(rnd() * len(SURNAMES))] + GIVEN[int(rnd() * len(GIVEN))]
    return name + GIVEN[int(rnd() * len(GIVEN))] if rnd() < 0.7 else name


def _unit_label(district: Optional[str]) -> tuple[str, str]:
    if district is None:
        return "市执法总队", "city"
    short, slug, _roads = DISTRICTS[district]
    return f"{short}执法支队", slug


def _ensure_officers(units, rng, today: dt.date) -> tuple[dict, list[str]]:
    """Per unit id: (certified officers, leader ids); creates the missing ones (2–4 officers,
    one leader) with certificates and an unusable password (one shared random argon2 hash)."""
    staff, created, password_hash = {}, [], None
    taken = set(db.session.scalars(select(User.username)))
    for unit, district in units:
        users = db.session.scalars(select(User).where(
            User.unit_id == unit.id, User.role.in_(OFFICER_ROLES), User.is_active.is_(True))
            .order_by(User.id)).all()
        certified = [u for u in users if u.has_valid_certificate(today)]
        officers = [u for u in certified if u.role is Role.officer]
        leaders = [u for u in certified if u.role is Role.unit_leader]
        label, slug = _unit_label(district)
        wanted = [] if len(officers) >= 2 else \
            [Role.officer] * max(0, rng.randint(2, 4) - len(officers))
        if not leaders:
            wanted.append(Role.unit_leader)
        for role in wanted:
            if password_hash is None:
                password_hash = security.hash_password(secrets.token_urlsafe(32))
            k = 1
            base = f"{slug}.{'jtlead' if role is Role.unit_leader else 'jt'}"
            while f"{base}{k:02d}" in taken:
                k += 1
            username = f"{base}{k:02d}"
            taken.add(username)
            user = User(username=username, full_name=f"{label} {_person_name(rng)}", role=role,
                        unit_id=unit.id, cert_no=f"渝交执{rng.randint(100000, 999999)}",
                        cert_expires_on=today + dt.timedelta(days=rng.randint(365, 4 * 365)),
                        phone=f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 10**8 - 1):08d}",
                        password_hash=password_hash)
            db.session.add(user)
            db.session.flush()
            audit.record("user.create", actor=None, object_type="user", object_id=user.id,
                         unit_id=unit.id, detail={"username": username, "role": role.value,
                                                  "source": "demo"})
            created.append(username)
            (leaders if role is Role.unit_leader else officers).append(user)
        staff[unit.id] = ([u.id for u in officers] or [u.id for u in leaders],
                          [u.id for u in leaders])
    return staff, created


BIRTHS = (dt.date(1958, 1, 1), 16400)  # first birth date and days: born 1958 to 2002
VEHICLE_KINDS = {"car": "car", "moto": "motorcycle", "mobility": "mobility_vehicle",
                 "rental": "rental_car"}
VEHICLE_MODELS = {"car": CAR_MODELS, "moto": MOTO_MODELS, "mobility": MOBILITY_MODELS,
                  "rental": RENTAL_MODELS}
ENERGY_SERIAL = "ABCDEFGHJK0123456789"


class _Registry:
    """Vehicles and persons created on first use from index-addressed pools (repeat offenders)."""

    def __init__(self, rng, next_vehicle_id: int, next_person_id: int, n: int, stamp,
                 plates: set[str], id_numbers: set[str]):
        self.rng = rng
        self.stamp = stamp  # seconds → a timestamp as the database driver takes it
        # New records never collide with the registry's existing plates and ID numbers.
        self.plates, self.id_numbers = plates, id_numbers
        self.next_vehicle_id, self.next_person_id = next_vehicle_id, next_person_id
        pool = max(12, n // 3)
        self.pools = {"car": int(pool * 0.78) or 1, "moto": int(pool * 0.12) or 1,
                      "mobility": int(pool * 0.05) or 1, "rental": int(pool * 0.05) or 1}
        self.vehicles: dict[tuple[str, int], tuple[int, str, int]] = {}  # → id, plate, owner
        self.persons: dict[int, tuple[int, str]] = {}  # → id, name
        self.person_pool = max(10, n // 3)
        self.companies: dict[int, tuple[int, str]] = {}
        self.vehicle_rows: list[tuple] = []
        self.person_rows: list[tuple] = []
        self._plate_prefixes = _table(PLATE_PREFIXES, 1024)
        self._areas = _table([(a, 85 / len(CQ_AREAS)) for a in CQ_AREAS] +
                             [(a, 15 / len(OTHER_AREAS)) for a in OTHER_AREAS], 1024)
        first, count = BIRTHS
        self._births = [f"{first + dt.timedelta(days=i):%Y%m%d}" for i in range(count)]
        self._districts = list(DISTRICTS.values())
        self.created_vehicles = self.created_persons = 0

    def take_rows(self):
        vehicles, persons = self.vehicle_rows, self.person_rows
        self.vehicle_rows, self.person_rows = [], []
        return vehicles, persons

    # -- persons ----------------------------------------------------------------------------
    def _id_number(self) -> str:
        rnd = self.rng.random
        areas, births = self._areas, self._births
        while True:
            body = f"{areas[int(rnd() * len(areas))]}{births[int(rnd() * len(births))]}" \
                   f"{int(rnd() * 1000):03d}"
            number = body + id_check_digit(body)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def _address(self) -> str:
        rnd = self.rng.random
        short, _slug, roads = self._districts[int(rnd() * len(self._districts))]
        return f"重庆市{short}区{roads[int(rnd() * len(roads))]}{1 + int(rnd() * 399)}号"

    def person(self, index: int, at: int) -> tuple[int, str]:
        """(id, name) of the person at ``index`` of the pool, created when first named."""
        found = self.persons.get(index)
        if found is not None:
            return found
        rnd = self.rng.random
        number = self._id_number()
        name = _person_name(self.rng)
        pid = self.next_person_id
        self.next_person_id += 1
        phone = f"{MOBILE_PREFIXES[int(rnd() * len(MOBILE_PREFIXES))]}{int(rnd() * 10**8):08d}"
        self.person_rows.append((pid, name, number, phone, self._address(), False,
                                 self.stamp(at)))
        self.created_persons += 1
        found = self.persons[index] = (pid, name)
        return found

    def company(self, index: int, at: int) -> tuple[int, str]:
        found = self.companies.get(index)
        if found is None:
            rng = self.rng
            name = f"重庆{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_WORDS)}" \
                   f"{rng.choice(COMPANY_KINDS)}"
            pid = self.next_person_id
            self.next_person_id += 1
            phone = f"023-{rng.randint(6000, 8999)}{rng.randint(0, 9999):04d}"
            self.person_rows.append((pid, name, None, phone, self._address(), True,
                                     self.stamp(at)))
            self.created_persons += 1
            found = self.companies[index] = (pid, name)
        return found

    # -- vehicles ---------------------------------------------------------------------------
    def _plate(self, pool: str) -> tuple[str, str]:
        rnd = self.rng.random
        prefixes = self._plate_prefixes
        while True:
            prefix = prefixes[int(rnd() * len(prefixes))]
            if pool == "car" and rnd() < 0.15:  # small new-energy plate: 渝AD12345
                plate = f"{prefix}{'DF'[int(rnd() * 2)]}{ENERGY_SERIAL[int(rnd() * 20)]}" \
                        f"{int(rnd() * 10000):04d}"
                colour = "green"
            else:
                serial = f"{int(rnd() * 100000):05d}"
                if pool == "car":  # up to two letters in the serial
                    for _ in range(int(rnd() * 3)):
                        pos = int(rnd() * 5)
                        serial = serial[:pos] + SERIAL_LETTERS[int(rnd() * 24)] + \
                            serial[pos + 1:]
                plate = prefix + serial
                colour = "yellow" if pool in ("moto", "mobility") or \
                    (pool == "rental" and rnd() < 0.4) else "blue"
            if plate not in self.plates:
                self.plates.add(plate)
                return plate, colour

    def vehicle(self, pool: str, at: int) -> tuple[int, str, int]:
        """(vehicle id, plate, owner's person index) of a pool vehicle, skewed to repeat ones."""
        rnd = self.rng.random
        index = int(self.pools[pool] * rnd() * rnd())  # low indices come back again and again
        key = (pool, index)
        found = self.vehicles.get(key)
        if found is not None:
            return found
        plate, colour = self._plate(pool)
        owner = int(rnd() * self.person_pool)
        vid = self.next_vehicle_id
        self.next_vehicle_id += 1
        kind, models = VEHICLE_KINDS[pool], VEHICLE_MODELS[pool]
        if colour == "green":
            models = EV_MODELS
        elif pool == "rental" and colour == "yellow":
            kind = "tourist_coach"
        vin = None
        if pool != "mobility" and rnd() < 0.4:
            vin = "L" + "".join(self.rng.choices(VIN_CHARS, k=16))
        self.vehicle_rows.append((vid, plate, colour, kind, models[int(rnd() * len(models))],
                                  COLOURS[int(rnd() * len(COLOURS))], vin, self.stamp(at)))
        self.created_vehicles += 1
        found = self.vehicles[key] = (vid, plate, owner)
        return found


class _Writer:
    """Executemany of one table's Core ``insert()``, rows given as tuples in table order.

    On SQLite the compiled statement goes straight to the driver, several rows per statement,
    with values already in the form SQLAlchemy's types store (ISO text for times and dates,
    floats for money, JSON text); per-value type processing would otherwise cost more than the
    inserts. Elsewhere (PostgreSQL) rows go through SQLAlchemy as dictionaries. ``constants``
    are columns with the same value in every row, written into the statement.
    """

    def __init__(self, conn, table, columns: tuple[str, ...], constants: Optional[dict] = None):
        self.conn, self.columns = conn, columns
        self.stmt = insert(table)
        if constants:
            self.stmt = self.stmt.values({k: literal_column(f"'{v}'") for k, v in
                                          constants.items()})
        self.single = None
        if conn.dialect.name == "sqlite":
            compiled = self.stmt.compile(dialect=conn.dialect, column_keys=list(columns))
            if tuple(compiled.positiontup) != columns:  # the rows are tuples in this order
                raise ValueError(f"columns {columns} are not in the table's order")
            self.single = str(compiled)
            head, values = self.single.split(" VALUES ", 1)
            limit = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
            self.per = max(1, min(200, limit // len(columns)))
            self.multi = f"{head} VALUES {', '.join([values] * self.per)}"

    def __call__(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.single is None:
            self.conn.execute(self.stmt, [dict(zip(self.columns, r)) for r in rows])
            return
        per = self.per
        full = len(rows) - len(rows) % per
        if full:
            chain = itertools.chain.from_iterable
            self.conn.exec_driver_sql(self.multi, [tuple(chain(rows[i:i + per]))
                                                   for i in range(0, full, per)])
        if full < len(rows):
            self.conn.exec_driver_sql(self.single, rows[full:])


def _writers(conn) -> dict[str, _Writer]:
    step = ("case_id", "actor_id", "at", "data")
    clock = ("case_id", "start_on", "due_on", "done_on")
    writers = {
        "vehicles": _Writer(conn, Vehicle.__table__, (
            "id", "plate", "plate_colour", "kind", "make_model", "colour", "vin", "created_at")),
        "persons": _Writer(conn, Person.__table__, (
            "id", "name", "id_number", "phone", "address", "is_company", "created_at")),
        "cases": _Writer(conn, Case.__table__, CASE_COLUMNS),
        "officers": _Writer(conn, CaseOfficer.__table__, ("case_id", "user_id")),
        "case_vehicles": _Writer(conn, CaseVehicle.__table__,
                                 ("case_id", "vehicle_id", "is_fake_plate")),
        "parties": _Writer(conn, CaseParty.__table__, ("case_id", "person_id", "role")),
        "create_steps": _Writer(conn, CaseStep.__table__, step, {
            "action": "create", "from_status": "draft", "to_status": "draft", "note": ""}),
        "steps": _Writer(conn, CaseStep.__table__, (
            "case_id", "from_status", "to_status", "actor_id", "at", "note", "data"),
            {"action": "transition"}),
    }
    for name in CLOCKS:
        writers[name] = _Writer(conn, CaseClock.__table__, clock, {"name": name})
    return writers


CLOCKS = ("decision", "statement", "fine_payment")
CASE_COLUMNS = (
    "id", "number", "unit_id", "year", "seq", "status", "origin", "origin_ref", "occurred_at",
    "address", "lat", "lng", "violation_type_id", "facts", "documents_detained",
    "created_by_id", "created_at", "updated_at", "registered_on", "notified_on", "decided_on",
    "executed_on", "closed_on", "tier", "proposed_fine", "fine_amount", "confiscated_amount",
    "is_penalty_flagged", "penalty_justification", "statement_waived", "paid_on", "receipt_no",
    "court_enforcement_on", "transferred_to", "withdraw_reason")
ROW_LISTS = ("cases", "officers", "case_vehicles", "parties", "create_steps", "steps") + CLOCKS


def _next_id(conn, column) -> int:
    return (conn.scalar(select(func.max(column))) or 0) + 1


def _counters(conn) -> dict[tuple[int, int], int]:
    """The last sequence issued per (unit, year): the counters, or the cases if ahead of them."""
    last = {(u, y): s for u, y, s in conn.execute(
        select(CaseCounter.unit_id, CaseCounter.year, CaseCounter.last_seq))}
    for u, y, s in conn.execute(select(Case.unit_id, Case.year, func.max(Case.seq))
                                .group_by(Case.unit_id, Case.year)):
        last[(u, y)] = max(last.get((u, y), 0), s or 0)
    return last


def _save_counters(conn, before: dict, after: dict) -> None:
    for (unit_id, year), seq in sorted(after.items()):
        if before.get((unit_id, year)) == seq:
            continue
        done = conn.execute(update(CaseCounter).where(CaseCounter.unit_id == unit_id,
                                                       CaseCounter.year == year)
                            .values(last_seq=seq)).rowcount
        if not done:
            conn.execute(insert(CaseCounter).values(unit_id=unit_id, year=year, last_seq=seq))


def _fix_sequences(conn) -> None:
    """PostgreSQL: move the id sequences past the ids given explicitly."""
    if conn.dialect.name != "postgresql":
        return
    for table in ("cases", "vehicles", "persons"):
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                          f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


BULK_TABLES = ("cases", "case_officers", "case_vehicles", "case_parties", "case_steps",
               "case_clocks", "vehicles", "persons")


class _SqliteBulk:
    """SQLite settings for a load on this connection, restored afterwards.

    * a larger page cache: the load inserts into indexes at random places (plates, persons),
      which the default 2 MB cache turns into I/O;
    * CHECK constraints not evaluated: SQLite rebuilds the ``status IN (…)`` list of every
      enum column for every row inserted, which costs more than the insert itself. The rows are
      valid by construction (enum values from the models, amounts and points in range) and the
      tests check them;
    * for a load larger than what is there (``rebuild_indexes``), the plain (non-unique)
      indexes of the tables written are dropped and created again at the end from their
      stored definitions: one sort beats millions of inserts at random places. It all happens inside the transaction, so a failure rolls them back with
      the rows; unique constraints stay in force throughout.
    """

    def __init__(self, conn, *, rebuild_indexes: bool):
        self.conn = conn if conn.dialect.name == "sqlite" else None
        self.rebuild = rebuild_indexes
        self.saved: dict[str, int] = {}
        self.indexes: list[tuple[str, str]] = []

    def __enter__(self):
        if self.conn is None:
            return self
        for pragma, value in (("cache_size", -256 * 1024), ("ignore_check_constraints", 1)):
            self.saved[pragma] = self.conn.exec_driver_sql(f"PRAGMA {pragma}").scalar()
            self.conn.exec_driver_sql(f"PRAGMA {pragma} = {value}")
        if self.rebuild:
            self.indexes = self.conn.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN :tables ORDER BY name").bindparams(
                    bindparam("tables", expanding=True)), {"tables": list(BULK_TABLES)}).all()
            for name, _sql in self.indexes:
                self.conn.exec_driver_sql(f'DROP INDEX "{name}"')
        return self

    def __exit__(self, *exc):
        if self.conn is None:
            return
        for _name, sql in self.indexes:  # also after a failure, in case it is committed
            self.conn.exec_driver_sql(sql)
        for pragma, value in self.saved.items():
            self.conn.exec_driver_sql(f"PRAGMA {pragma} = {int(value)}")


def _table(weighted, size: int = 4096) -> list:
    """A lookup table for weighted choices: ``table[int(random() * len(table))]``."""
    total = sum(w for _item, w in weighted)
    table = []
    for item, weight in weighted:
        table += [item] * max(1, round(size * weight / total))
    return table


class _Out:
    """Values in the form the database driver takes: on SQLite the text and floats SQLAlchemy's
    types would store (see :class:`_Writer`); elsewhere Python objects for SQLAlchemy.

    Times are whole seconds after ``base_utc`` (a local midnight) until they leave here.
    """

    def __init__(self, raw: bool, base_utc: dt.datetime, days: list[dt.date]):
        self.raw, self.days = raw, days
        if raw:
            utc_day = base_utc.date()
            offset = int((base_utc - dt.datetime.combine(utc_day, dt.time(), tzinfo=UTC))
                         .total_seconds())
            utc_days = [(utc_day + dt.timedelta(days=i)).isoformat()
                        for i in range(len(days) + 2)]
            clock = [f" {h:02d}:{m:02d}:{s:02d}.000000"
                     for h in range(24) for m in range(60) for s in range(60)]

            def stamp(seconds: int) -> str:
                day, second = divmod(seconds + offset, 86400)
                return utc_days[day] + clock[second]

            self.day = [d.isoformat() for d in days]
            self.money = float
            self.json = json.dumps
        else:
            def stamp(seconds: int) -> dt.datetime:
                return base_utc + dt.timedelta(seconds=seconds)

            self.day = days
            self.money = Decimal
            self.json = dict
        self.stamp = stamp
        self._memo: dict[tuple, object] = {}

    def number_data(self, number: str):
        """The create step's data ``{"number": …}``."""
        return f'{{"number": "{number}"}}' if self.raw else {"number": number}

    def data(self, kind: str, value):
        """A transition step's data; there are few distinct ones, so each is made once."""
        found = self._memo.get((kind, value))
        if found is None:
            if kind == "decided":
                fine, waived = value
                data = {"fine_amount": f"{fine}.00", "statement_waived": waived}
            elif kind in ("paid_on", "court_enforcement_on"):
                data = {kind: self.days[value].isoformat()}
            elif kind == "proposed_fine":
                data = {kind: f"{value}.00"}
            else:
                data = {kind: value}
            found = self._memo[(kind, value)] = self.json(data)
        return found


@dataclass
class _Plan:
    """Everything the generator needs, read from the database beforehand (no I/O after)."""

    n: int
    batch_size: int
    rng: random.Random
    now_s: int
    today: dt.date
    base_utc: dt.datetime
    days: list[dt.date]
    raw: bool
    units: list[tuple[int, str, Optional[str]]]
    staff: dict[int, tuple[list[int], list[int]]]
    violations: dict[str, tuple]
    calendar: deadlines.WorkCalendar
    deadline_cfg: dict
    plates: set[str]
    id_numbers: set[str]
    next_vehicle_id: int
    next_person_id: int
    next_case_id: int
    counters: dict[tuple[int, int], int]


def _timeline(rng, n: int, now_s: int) -> list[int]:
    """Sorted creation times (seconds after the first day's local midnight) packed with the
    delay between what happened and the case being opened: ``created << 20 | delay``."""
    rnd = rng.random
    limit = now_s - 60
    # Hour of day: trains and flights arrive late, illegal operators work the evenings.
    hours = _table([(h, w) for h, w in enumerate(
        [3, 2, 1, 1, 1, 1, 2, 4, 6, 5, 5, 5, 5, 5, 5, 6, 7, 8, 9, 9, 8, 7, 6, 4])], 1024)
    hour_count = len(hours)
    keys = []
    for _ in range(n):
        day = int(SPAN_DAYS * (rnd() ** 0.5))  # density grows towards today
        occurred = day * 86400 + hours[int(rnd() * hour_count)] * 3600 + int(rnd() * 3600)
        delay = 600 + int(rnd() * rnd() * 6 * 3600)
        created = occurred + delay
        pull_back = int(rnd() * 3600)  # drawn always, so the sequence does not depend on now
        if created > limit:
            created = limit - pull_back
        keys.append(created << 20 | delay)
    keys.sort()
    return keys


def _forced(rng, keys: list[int], now_s: int) -> dict[int, tuple]:
    """Destinies given to a few older cases so that every status appears even in small loads."""
    if len(keys) < 12:
        return {}
    old = bisect(keys, (now_s - 250 * 86400) << 20)
    picks = rng.sample(range(old if old >= 10 else len(keys)), 10)
    wanted = [("stuck", 0), ("stuck", 1), ("stuck", 2), ("stuck", 3), ("stuck", 4),
              ("stuck", 5), ("stuck", 6), ("closed", None), ("transferred", None),
              ("withdrawn", None)]
    return dict(zip(picks, wanted))


def _generate(plan: _Plan) -> Iterator[tuple[str, dict]]:
    """Yield ("rows", {table: rows}) per batch, then ("done", summary). Pure computation."""
    rng, n = plan.rng, plan.n
    rnd = rng.random
    days, today, now_s, violations = plan.days, plan.today, plan.now_s, plan.violations
    today_i = SPAN_DAYS
    years = [d.year for d in days]
    out = _Out(plan.raw, plan.base_utc, days)
    stamp, day_out, money, data_of = out.stamp, out.day, out.money, out.data
    empty = out.json({})
    cal, cfg = plan.calendar, plan.deadline_cfg
    periods = frozenset(cfg["working_day_periods"])

    def due_dates(length: int) -> tuple[list[dt.date], list]:
        """Due dates of a ``length``-day period per start day index, and as the driver takes
        them (days repeat across cases, so each is computed once)."""
        dates = [deadlines.deadline(day, length, cal, working_day_periods=periods)
                 for day in days]
        return dates, [d.isoformat() for d in dates] if plan.raw else dates

    decision_due, decision_due_out = due_dates(cfg["decision_days"])
    statement_due, statement_due_out = due_dates(cfg["statement_days"])
    fine_due, fine_due_out = due_dates(cfg["fine_payment_days"])

    violation_table = _table([(c, VIOLATIONS[c][0]) for c in VIOLATIONS if c in violations])
    origin_table = _table(ORIGINS)
    destiny_table = _table(DESTINIES)
    stuck_table = _table(STUCK_AT)
    tier_table = _table([("first", 65), ("general", 25), ("serious", 10)])
    hotspot_table = _table([(h, h[4]) for h in HOTSPOTS])
    district_tables = {d: _table([(h, h[4]) for h in HOTSPOTS if h[0] == d]) for d in DISTRICTS}
    total_weight = sum(h[4] for h in HOTSPOTS)
    unit_table = _table([
        (unit, CITY_SHARE if unit[2] is None else
         sum(h[4] for h in HOTSPOTS if h[0] == unit[2]) / total_weight) for unit in plan.units])
    tables = (violation_table, origin_table, destiny_table, stuck_table, tier_table,
              hotspot_table, unit_table)
    v_len, o_len, d_len, s_len, t_len, h_len, u_len = (len(t) for t in tables)

    keys = _timeline(rng, n, now_s)
    forced = _forced(rng, keys, now_s)
    registry = _Registry(rng, plan.next_vehicle_id, plan.next_person_id, n, stamp,
                         plan.plates, plan.id_numbers)
    vehicle, person, person_pool = registry.vehicle, registry.person, registry.person_pool
    next_case_id = plan.next_case_id
    counters = plan.counters
    by_status = dict.fromkeys(STATUSES, 0)
    overdue = 0
    receipt_serial = rng.randint(10**7, 5 * 10**7)
    staff = plan.staff

    def at_on(day_i: int, floor: int) -> int:
        """A time in office hours on day ``day_i``, after ``floor``, not after now."""
        t = day_i * 86400 + 32400 + int(rnd() * 30600)
        if t <= floor:
            t = floor + 300 + int(rnd() * 3000)
        return t if t < now_s else now_s

    for start in range(0, n, plan.batch_size):
        rows = {name: [] for name in ROW_LISTS}
        cases, officers, vehicles, parties = (rows["cases"], rows["officers"],
                                              rows["case_vehicles"], rows["parties"])
        create_steps, steps = rows["create_steps"], rows["steps"]
        decision_clocks, statement_clocks, fine_clocks = (rows[c] for c in CLOCKS)
        for index in range(start, min(n, start + plan.batch_size)):
            packed = keys[index]
            created, delay = packed >> 20, packed & 0xFFFFF
            cday = created // 86400
            unit_id, unit_code, district = unit_table[int(rnd() * u_len)]
            code = violation_table[int(rnd() * v_len)]
            _w, pool, (fare_lo, fare_hi), transfer_share = VIOLATIONS[code]
            vt_id, tiers, vt_min, vt_max = violations[code]
            # where: around a hotspot (within about 600 m), or elsewhere in the district
            if district is None:
                spot = hotspot_table[int(rnd() * h_len)]
            elif rnd() < ELSEWHERE:
                spot = None
            else:
                spot = district_tables[district]
                spot = spot[int(rnd() * len(spot))]
            if spot is None:
                lat_lo, lat_hi, lng_lo, lng_hi = AREAS[district]
                lat = round(lat_lo + rnd() * (lat_hi - lat_lo), 6)
                lng = round(lng_lo + rnd() * (lng_hi - lng_lo), 6)
                short, _slug, roads = DISTRICTS[district]
                place = f"{short}区{roads[int(rnd() * len(roads))]}{1 + int(rnd() * 300)}号附近"
            else:
                lat = round(spot[2] + (rnd() - rnd()) * 0.006, 6)
                lng = round(spot[3] + (rnd() - rnd()) * 0.006, 6)
                place = spot[5][int(rnd() * len(spot[5]))]
            # who: two officers of the unit (sometimes three)
            officer_ids, leader_ids = staff[unit_id]
            m = len(officer_ids)
            first, second = int(rnd() * m), int(rnd() * (m - 1))
            team = [officer_ids[first]]
            if m > 1:
                team.append(officer_ids[second + (second >= first)])
                if m > 2 and rnd() < 0.15:
                    third = officer_ids[int(rnd() * m)]
                    if third not in team:
                        team.append(third)
            elif leader_ids and leader_ids[0] not in team:
                team.append(leader_ids[0])
            creator = team[0]
            leader = leader_ids[0] if leader_ids else creator
            case_id = next_case_id
            next_case_id += 1
            for user_id in team:
                officers.append((case_id, user_id))
            vehicle_id, plate, owner = vehicle(pool, created)
            vehicles.append((case_id, vehicle_id, code == "GA-JP"))
            driver_index = owner if rnd() < 0.8 else int(rnd() * person_pool)
            driver_id, driver_name = person(driver_index, created)
            parties.append((case_id, driver_id, "driver"))
            company = None
            if code == "FY-ZL":
                company = registry.company(int(rnd() * 40), created)
                parties.append((case_id, company[0], "company"))
            elif driver_index != owner and rnd() < 0.5:
                owner_id = person(owner, created)[0]
                if owner_id != driver_id:
                    parties.append((case_id, owner_id, "owner"))
            if code == "FY-KY" and rnd() < 0.06:
                organiser_id = person(int(rnd() * 50), created)[0]
                if organiser_id != driver_id:
                    parties.append((case_id, organiser_id, "organiser"))
            # when: the path through the procedure, cut short by its destiny and by today
            if index in forced:
                destiny, stuck = forced[index]
            else:
                destiny = destiny_table[int(rnd() * d_len)]
                stuck = stuck_table[int(rnd() * s_len)]
                if destiny != "withdrawn" and destiny != "withdrawn_draft" and \
                        rnd() < transfer_share:
                    destiny = "transferred"  # police matters go to the police
            r = rnd()
            reg = cday + (0 if r < 0.6 else 1 if r < 0.85 else 2 if r < 0.95 else 3)
            inv = reg + int(rnd() * 3)
            rev = inv + 7 + int(rnd() * 34) + (30 + int(rnd() * 30) if rnd() < 0.03 else 0)
            ntf = rev + 1 + int(rnd() * 6)
            waived = rnd() < 0.25
            if waived:
                dec = ntf + 1 + int(rnd() * 3)
            else:  # after the statement period
                dec = ntf + 5 + int(rnd() * 16)
                while days[dec] <= statement_due[ntf]:
                    dec += 1
            court = destiny == "court"
            if court:
                exe = dec + 90 + int(rnd() * 60)
            else:
                exe = dec + (1 + int(rnd() * 14) if rnd() < 0.88 else 16 + int(rnd() * 30))
            path = (cday, reg, inv, rev, ntf, dec, exe, exe + 1 + int(rnd() * 15))
            exit_status = exit_day = None
            if destiny == "closed" or court:
                limit = 7
            elif destiny == "stuck":
                limit = stuck
            elif destiny == "withdrawn_draft":
                limit, exit_status, exit_day = 0, "withdrawn", cday + int(rnd() * 3)
            else:
                exit_day = reg + 1 + int(rnd() * (20 if destiny == "transferred" else 30))
                limit = 2 if exit_day >= inv else 1
                exit_status = destiny
            k = 0
            while k < limit and path[k + 1] <= today_i:
                k += 1
            status = STAGES[k]
            finished = None
            if exit_status and k == limit and exit_day <= today_i:
                status, finished = exit_status, exit_day
            by_status[status] += 1
            # number and what the file says
            year = years[cday]
            seq = counters.get((unit_id, year), 0) + 1
            counters[(unit_id, year)] = seq
            number = format_number(unit_code, year, seq)
            fare = fare_lo + int(rnd() * (fare_hi - fare_lo))
            facts = FACTS[code].format(driver_name, plate, place, fare, 1 + int(rnd() * 4),
                                       DESTINATIONS[int(rnd() * len(DESTINATIONS))],
                                       company[1] if company else "")
            origin = origin_table[int(rnd() * o_len)]
            origin_ref = None
            if origin == "hotline":
                origin_ref = f"{'12328' if rnd() < 0.6 else '12345'}-{days[cday]:%Y%m%d}-" \
                             f"{int(rnd() * 10000):04d}"
            elif origin == "transfer":
                origin_ref = f"移送函〔{year}〕{int(rnd() * 300) + 1}号"
            tier = proposed = fine = confiscated = justification = None
            flagged = False
            paid_on = receipt_no = court_on = None
            if k >= 3:
                tier = tier_table[int(rnd() * t_len)]
                lo, hi = tiers.get(tier, (vt_min, vt_max))
                step = 500 if hi - lo >= 5000 else 100 if hi - lo >= 1000 else 50
                proposed = lo + step * int(rnd() * ((hi - lo) // step + 1))
                if rnd() < 0.005 and hi < vt_max:
                    proposed, flagged, justification = vt_max, True, JUSTIFICATION
                if code in ("FY-KY", "FY-WY", "FY-CZ") and rnd() < 0.3:
                    confiscated = money(fare * (1 + int(rnd() * 20)))
                if k >= 5:
                    fine = proposed
            if k >= 6:
                if court:
                    court_on = day_out[exe]
                else:
                    paid_on = day_out[exe]
                    receipt_serial += 1
                    receipt_no = f"5001{years[exe]}{receipt_serial:08d}"
            transferred_to = withdraw_reason = None
            if status == "transferred":
                transferred_to = (DISTRICTS[district][0] + "区" if district else "市") + \
                    TRANSFER_TO[0 if code[0] == "G" else int(rnd() * 3)]
            elif status == "withdrawn":
                withdraw_reason = WITHDRAW_REASONS[int(rnd() * len(WITHDRAW_REASONS))]
            # the create step and the step into the current status
            created_out = stamp(created)
            create_steps.append((case_id, creator, created_out, out.number_data(number)))
            updated_out = created_out
            if status != "draft":
                updated_out = stamp(at_on(path[k] if finished is None else finished, created))
                if finished is not None:
                    source, note = STAGES[k], withdraw_reason or f"移送{transferred_to}"
                    data = data_of("transferred_to", transferred_to) if transferred_to else empty
                else:
                    source, note, data = STAGES[k - 1], "", empty
                    if k >= 6:
                        data = data_of("paid_on" if paid_on else "court_enforcement_on", exe)
                    elif k == 5:
                        data = data_of("decided", (fine, waived))
                    elif k == 3:
                        data = data_of("proposed_fine", proposed)
                steps.append((case_id, source, status,
                              leader if status in LEADER_STEPS else creator, updated_out, note,
                              data))
            # the clocks, as clocks.compute() stores them
            registered_on = notified_on = decided_on = None
            if k >= 1:
                registered_on = day_out[reg]
                decided = k >= 5
                done = dec if decided else finished
                decision_clocks.append((case_id, registered_on, decision_due_out[reg],
                                        None if done is None else day_out[done]))
                if done is None and decision_due[reg] < today:
                    overdue += 1
                if k >= 4:
                    notified_on = day_out[ntf]
                    statement_clocks.append((case_id, notified_on, statement_due_out[ntf],
                                             day_out[dec] if decided else None))
                    if not decided and statement_due[ntf] < today:
                        overdue += 1
                if decided:
                    decided_on = day_out[dec]
                    done_out = paid_on or court_on
                    fine_clocks.append((case_id, decided_on, fine_due_out[dec], done_out))
                    if done_out is None and fine_due[dec] < today:
                        overdue += 1
            cases.append((
                case_id, number, unit_id, year, seq, status, origin, origin_ref,
                stamp(created - delay), place, lat, lng, vt_id, facts,
                "驾驶证、行驶证" if rnd() < 0.1 else None, creator, created_out, updated_out,
                registered_on, notified_on, decided_on, day_out[exe] if k >= 6 else None,
                day_out[path[7]] if k >= 7 else None, tier,
                None if proposed is None else money(proposed),
                None if fine is None else money(fine), confiscated, flagged, justification,
                waived and k >= 5, paid_on, receipt_no, court_on, transferred_to,
                withdraw_reason))
        rows["vehicles"], rows["persons"] = registry.take_rows()
        yield "rows", rows
    yield "done", {"by_status": by_status, "overdue_clocks": overdue, "counters": counters,
                   "vehicles": registry.created_vehicles, "persons": registry.created_persons}


def _produce(plan: _Plan, pipe) -> None:
    """The generator in a child process, sending its batches through ``pipe``."""
    try:
        for item in _generate(plan):
            pipe.send(item)
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        pipe.send(("error", traceback.format_exc()))
    finally:
        pipe.close()


def _batches(plan: _Plan, parallel: bool) -> Iterator[tuple[str, dict]]:
    """The generator's output, computed in a forked child process when ``parallel`` so that
    generating the next batch overlaps with writing this one (two cores, twice the speed)."""
    if not parallel:
        yield from _generate(plan)
        return
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_produce, args=(plan, sender), daemon=True)
    child.start()
    sender.close()
    try:
        while True:
            kind, payload = receiver.recv()
            if kind == "error":
                raise RuntimeError(f"demo case generator failed:\n{payload}")
            yield kind, payload
            if kind == "done":
                break
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
        child.join()


def load_cases(n: int, seed: int = 1, *, now: Optional[dt.datetime] = None,
               batch_size: int = BATCH, parallel: Optional[bool] = None) -> dict:
    """Write ``n`` demo cases (see the module docstring) and return statistics.

    Flushes, never commits: the caller commits (the demo-data command) or rolls back.
    ``parallel`` (default: from ``PARALLEL_FROM`` cases, on Linux) generates the rows in a
    forked child process while this one writes; the data are the same either way.
    """
    started = time.perf_counter()
    if n < 0:
        raise ValueError("the number of cases cannot be negative")
    rng = random.Random(seed)
    now = now or utcnow()
    today = now.astimezone(LOCAL).date()
    seed_violation_types()
    seed_holidays(range(today.year - 4, today.year + 2))
    units = _transport_units()
    staff, created_users = _ensure_officers(units, rng, today)
    violations = {}
    for vt in db.session.scalars(select(ViolationType).where(
            ViolationType.code.in_(VIOLATIONS), ViolationType.is_active.is_(True))):
        tiers = {t.tier.value: (int(t.min_fine), int(t.max_fine)) for t in vt.tiers}
        violations[vt.code] = (vt.id, tiers, int(vt.min_fine), int(vt.max_fine))
    if not violations:
        raise LookupError("the demo violation types are missing or inactive")
    base_day = today - dt.timedelta(days=SPAN_DAYS)
    base_utc = dt.datetime.combine(base_day, dt.time(), tzinfo=LOCAL).astimezone(UTC)
    conn = db.session.connection()
    counters_before = _counters(conn)
    plan = _Plan(
        n=n, batch_size=batch_size, rng=rng, now_s=int((now - base_utc).total_seconds()),
        today=today, base_utc=base_utc,
        days=[base_day + dt.timedelta(days=i) for i in range(SPAN_DAYS + 400)],
        raw=conn.dialect.name == "sqlite",
        units=[(u.id, u.code, district) for u, district in units], staff=staff,
        violations=violations, calendar=clocks.work_calendar(),
        deadline_cfg=settings.get_many("deadline."),
        plates=set(conn.scalars(select(Vehicle.plate))),
        id_numbers=set(conn.scalars(select(Person.id_number)
                                    .where(Person.id_number.is_not(None)))),
        next_vehicle_id=_next_id(conn, Vehicle.id), next_person_id=_next_id(conn, Person.id),
        next_case_id=_next_id(conn, Case.id), counters=dict(counters_before))
    if parallel is None:
        parallel = n >= PARALLEL_FROM and sys.platform.startswith("linux")
    write = _writers(conn)
    summary: dict = {}
    big = n >= REBUILD_INDEXES_FROM and n >= plan.next_case_id
    with _SqliteBulk(conn, rebuild_indexes=big):
        for kind, payload in _batches(plan, parallel):
            if kind == "done":
                summary = payload
                break
            for name in ("vehicles", "persons") + ROW_LISTS:
                write[name](payload[name])

    _save_counters(conn, counters_before, summary["counters"])
    _fix_sequences(conn)
    stats = {"cases": n, "vehicles": summary["vehicles"], "persons": summary["persons"],
             "users_created": created_users, "by_status": summary["by_status"],
             "overdue_clocks": summary["overdue_clocks"], "seed": seed}
    audit.record("demo.cases", actor=None, object_type="cases", detail=stats)
    stats["seconds"] = round(time.perf_counter() - started, 2)
    return stats

"""Demo cases: believable, deterministic case files for the Chongqing demo units, in bulk.

``load_cases(n, seed)`` writes ``n`` cases spread over the last three years (more recent, more
cases) over the transport units of the central districts, at points around the real hotspots
(railway stations, the airport, shopping streets), with vehicles and parties from a registry pool
(so repeat offenders exist), officers of the unit, a create step and the step into the current
status, and the statutory clocks exactly as :func:`enforcement.cases.clocks.compute` would store
them. Most cases are closed; some are open, and some open ones are overdue.

It is built for a million cases in well under two minutes on SQLite: no ORM objects per case,
rows generated with one ``random.Random(seed)`` (same seed and day, same data) and inserted with
Core ``insert()`` executemany in batches. Case numbers continue the existing counters, stay
gap-free per unit and year, and ``case_counters`` is left consistent. The caller commits.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import time
from bisect import bisect
from decimal import Decimal
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text, update

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
    "FY-KY": (34, "car", (30, 150), 0.03), "FY-WY": (20, "car", (20, 120), 0.02),
    "FY-CZ": (12, "car", (20, 80), 0.02), "FY-MT": (12, "moto", (5, 30), 0.02),
    "FY-DB": (7, "mobility", (5, 20), 0.02), "FY-ZL": (4, "rental", (200, 800), 0.05),
    "GA-JP": (3, "car", (30, 100), 0.85), "GA-KF": (2, "car", (30, 100), 0.85),
}
FACTS = {
    "FY-KY": "当事人{name}驾驶{plate}在{place}以每人{fare}元的价格招揽乘客{pax}人前往{dest}，"
             "无法提供道路运输经营许可证。",
    "FY-WY": "当事人{name}驾驶{plate}通过手机软件接单载客{pax}人前往{dest}，收取车费{fare}元，"
             "车辆及驾驶员均未取得网约车许可。",
    "FY-CZ": "当事人{name}驾驶{plate}在{place}巡游揽客，以一口价{fare}元载客前往{dest}，"
             "未取得出租汽车经营许可。",
    "FY-MT": "当事人{name}驾驶{plate}摩托车在{place}招揽乘客，以{fare}元价格载客1人。",
    "FY-DB": "当事人{name}驾驶残疾人代步车在{place}载客营运，收取车费{fare}元。",
    "FY-ZL": "{company}使用租赁车辆{plate}由{name}驾驶在{place}从事旅客运输，收取包车费{fare}元，"
             "超出许可范围经营。",
    "GA-JP": "执法人员在{place}检查发现{plate}号牌与车辆信息不符，当事人{name}涉嫌使用套牌车辆"
             "载客{pax}人。",
    "GA-KF": "执法人员在{place}依法检查时，当事人{name}拒不配合，驾驶{plate}强行冲卡，"
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
DESTINIES = [("closed", 84.5), ("court", 2.0), ("stuck", 5.5), ("transferred", 2.0),
             ("withdrawn", 4.0), ("withdrawn_draft", 2.0)]
STUCK_AT = [(0, 4), (1, 20), (2, 30), (3, 10), (4, 6), (5, 25), (6, 5)]  # stage index, weight
OFFICER_ROLES = (Role.officer, Role.unit_leader)


def _cumulative(weighted):
    items, cum, total = [], [], 0.0
    for item, weight in weighted:
        total += weight
        items.append(item)
        cum.append(total)
    return items, cum, total


class _Picker:
    """A fast weighted choice over fixed items (bisect over cumulative weights)."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, weighted):
        self.items, self.cum, self.total = _cumulative(weighted)

    def __call__(self, rnd):
        return self.items[bisect(self.cum, rnd() * self.total)]


def id_check_digit(body17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character of the first 17 digits."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS)) % 11]


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
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


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


class _Registry:
    """Vehicles and persons created on first use from index-addressed pools (repeat offenders)."""

    def __init__(self, rng, next_vehicle_id: int, next_person_id: int, n: int, stamp):
        self.rng = rng
        self.stamp = stamp  # a datetime as the database driver takes it
        conn = db.session.connection()
        # New records never collide with the registry's existing plates and ID numbers.
        self.plates = set(conn.scalars(select(Vehicle.plate)))
        self.id_numbers = set(conn.scalars(select(Person.id_number)
                                           .where(Person.id_number.is_not(None))))
        self.next_vehicle_id, self.next_person_id = next_vehicle_id, next_person_id
        pool = max(12, n // 3)
        self.pools = {"car": int(pool * 0.78) or 1, "moto": int(pool * 0.12) or 1,
                      "mobility": int(pool * 0.05) or 1, "rental": int(pool * 0.05) or 1}
        self.vehicles: dict[tuple[str, int], tuple[int, str, int]] = {}  # → id, plate, owner
        self.persons: dict[int, tuple[int, str, str]] = {}  # → id, name, address
        self.person_pool = max(10, n // 3)
        self.companies: dict[int, tuple[int, str]] = {}
        self.vehicle_rows: list[tuple] = []
        self.person_rows: list[tuple] = []
        self._plate_prefix = _Picker(PLATE_PREFIXES)
        self.created_vehicles = self.created_persons = 0

    def take_rows(self):
        vehicles, persons = self.vehicle_rows, self.person_rows
        self.vehicle_rows, self.person_rows = [], []
        return vehicles, persons

    # -- persons ----------------------------------------------------------------------------
    def _id_number(self) -> str:
        rnd = self.rng.random
        while True:
            area = self.rng.choice(CQ_AREAS) if rnd() < 0.85 else self.rng.choice(OTHER_AREAS)
            birth = dt.date(1958, 1, 1) + dt.timedelta(days=int(rnd() * 16400))  # to ~2002
            body = f"{area}{birth:%Y%m%d}{int(rnd() * 1000):03d}"
            number = body + id_check_digit(body)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def _address(self) -> str:
        rng = self.rng
        district = rng.choice(list(DISTRICTS))
        short, _slug, roads = DISTRICTS[district]
        return f"重庆市{short}区{rng.choice(roads)}{rng.randint(1, 399)}号"

    def person(self, index: int, at: dt.datetime) -> tuple[int, str, str]:
        """The person at ``index`` of the pool, created when first named."""
        found = self.persons.get(index)
        if found is not None:
            return found
        rng = self.rng
        number = self._id_number()
        address = self._address()
        name = _person_name(rng)
        pid = self.next_person_id
        self.next_person_id += 1
        phone = f"{rng.choice(MOBILE_PREFIXES)}{int(rng.random() * 10**8):08d}"
        self.person_rows.append((pid, name, number, phone, address, False, self.stamp(at)))
        self.created_persons += 1
        found = (pid, name, address)
        self.persons[index] = found
        return found

    def company(self, index: int, at: dt.datetime) -> tuple[int, str]:
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
        while True:
            prefix = self._plate_prefix(rnd)
            if pool == "car" and rnd() < 0.15:  # small new-energy plate: 渝AD12345
                plate, colour = prefix + "DF"[int(rnd() * 2)] + \
                    ("ABCDEFGHJK"[int(rnd() * 10)] if rnd() < 0.3 else str(int(rnd() * 10))) + \
                    f"{int(rnd() * 10000):04d}", "green"
            else:
                letters = int(rnd() * 3) if pool == "car" else 0
                serial = [str(int(rnd() * 10)) for _ in range(5)]
                for pos in self.rng.sample(range(5), letters):
                    serial[pos] = SERIAL_LETTERS[int(rnd() * 24)]
                plate = prefix + "".join(serial)
                colour = "yellow" if pool in ("moto", "mobility") or \
                    (pool == "rental" and rnd() < 0.4) else "blue"
            if plate not in self.plates:
                self.plates.add(plate)
                return plate, colour

    def vehicle(self, pool: str, at: dt.datetime) -> tuple[int, str, int]:
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
        kind, models = {"car": ("car", EV_MODELS if colour == "green" else CAR_MODELS),
                        "moto": ("motorcycle", MOTO_MODELS),
                        "mobility": ("mobility_vehicle", MOBILITY_MODELS),
                        "rental": ("tourist_coach" if colour == "yellow" else "rental_car",
                                   RENTAL_MODELS)}[pool]
        vin = None
        if pool != "mobility" and rnd() < 0.4:
            vin = "L" + "".join(VIN_CHARS[int(rnd() * 33)] for _ in range(16))
        self.vehicle_rows.append((vid, plate, colour, kind, self.rng.choice(models),
                                  self.rng.choice(COLOURS), vin, self.stamp(at)))
        self.created_vehicles += 1
        found = (vid, plate, owner)
        self.vehicles[key] = found
        return found


class _Writer:
    """Executemany of one table's Core ``insert()`` for rows given as tuples in table order.

    On SQLite the compiled statement goes straight to the driver with values already in the
    form SQLAlchemy's types would store (ISO dates, floats for money, JSON text): a million
    cases would otherwise spend most of their time in per-value type processing. Elsewhere
    (PostgreSQL) the rows go through SQLAlchemy as dictionaries.
    """

    def __init__(self, conn, table, columns: tuple[str, ...]):
        self.conn, self.columns, self.stmt = conn, columns, insert(table)
        self.raw = None
        if conn.dialect.name == "sqlite":
            compiled = self.stmt.compile(dialect=conn.dialect, column_keys=list(columns))
            assert tuple(compiled.positiontup) == columns, compiled.positiontup
            self.raw = str(compiled)

    def __call__(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.raw is not None:
            self.conn.exec_driver_sql(self.raw, rows)
        else:
            self.conn.execute(self.stmt, [dict(zip(self.columns, r)) for r in rows])


CASE_COLUMNS = (
    "id", "number", "unit_id", "year", "seq", "status", "origin", "origin_ref", "occurred_at",
    "address", "lat", "lng", "violation_type_id", "facts", "documents_detained",
    "created_by_id", "created_at", "updated_at", "registered_on", "notified_on", "decided_on",
    "executed_on", "closed_on", "tier", "proposed_fine", "fine_amount", "confiscated_amount",
    "is_penalty_flagged", "penalty_justification", "statement_waived", "paid_on", "receipt_no",
    "court_enforcement_on", "transferred_to", "withdraw_reason")


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


def _timeline(rng, n: int, now: dt.datetime, base_utc: dt.datetime) -> list[int]:
    """Sorted creation times (seconds after ``base_utc``, local midnight) packed with the delay
    between what happened and the case being opened: ``created << 20 | delay``."""
    rnd = rng.random
    limit = int((now - base_utc).total_seconds()) - 60
    # Hour-of-day profile: trains and flights arrive late, illegal operators work the evenings.
    hours = _Picker([(h, w) for h, w in enumerate(
        [3, 2, 1, 1, 1, 1, 2, 4, 6, 5, 5, 5, 5, 5, 5, 6, 7, 8, 9, 9, 8, 7, 6, 4])])
    keys = []
    for _ in range(n):
        day = int(SPAN_DAYS * (rnd() ** 0.5))  # density grows towards today
        occurred = day * 86400 + hours(rnd) * 3600 + int(rnd() * 3600)
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


class _SqliteBulk:
    """SQLite settings for the load on this connection, restored afterwards.

    * a larger page cache: the load inserts into indexes at random places (plates, persons),
      which the default 2 MB cache turns into I/O;
    * CHECK constraints not evaluated: SQLite rebuilds the ``status IN (…)`` lists of the enum
      columns for every row of an executemany, which costs more than the insert itself. The
      rows are valid by construction (enum values from the models, amounts and points in
      range); the tests check them.
    """

    def __init__(self, conn):
        self.conn = conn if conn.dialect.name == "sqlite" else None
        self.saved: dict[str, int] = {}

    def __enter__(self):
        if self.conn is not None:
            for pragma, value in (("cache_size", -256 * 1024), ("ignore_check_constraints", 1)):
                self.saved[pragma] = self.conn.exec_driver_sql(f"PRAGMA {pragma}").scalar()
                self.conn.exec_driver_sql(f"PRAGMA {pragma} = {value}")
        return self

    def __exit__(self, *exc):
        for pragma, value in self.saved.items():
            self.conn.exec_driver_sql(f"PRAGMA {pragma} = {int(value)}")


def load_cases(n: int, seed: int = 1, *, now: Optional[dt.datetime] = None,
               batch_size: int = BATCH) -> dict:
    """Write ``n`` demo cases (see the module docstring) and return statistics. Flushes, never
    commits: the caller commits (the demo-data command) or rolls back."""
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
    cal = clocks.work_calendar()
    cfg = settings.get_many("deadline.")
    periods = frozenset(cfg["working_day_periods"])
    decision_days, statement_days = cfg["decision_days"], cfg["statement_days"]
    fine_days = cfg["fine_payment_days"]
    violations = {}
    for vt in db.session.scalars(select(ViolationType).where(
            ViolationType.code.in_(VIOLATIONS), ViolationType.is_active.is_(True))):
        tiers = {t.tier.value: (int(t.min_fine), int(t.max_fine)) for t in vt.tiers}
        violations[vt.code] = (vt.id, tiers, int(vt.min_fine), int(vt.max_fine))
    if not violations:
        raise LookupError("the demo violation types are missing or inactive")

    conn = db.session.connection()
    raw = conn.dialect.name == "sqlite"
    # What the driver takes: on SQLite the stored text/float forms (see _Writer).
    if raw:
        def stamp(t: dt.datetime) -> str:
            return t.astimezone(UTC).isoformat(" ", "microseconds")[:26]

        money, as_json = float, json.dumps
    else:
        def stamp(t: dt.datetime) -> dt.datetime:
            return t

        money, as_json = Decimal, (lambda d: d)
    write = {name: _Writer(conn, model.__table__, cols) for name, model, cols in (
        ("vehicles", Vehicle, ("id", "plate", "plate_colour", "kind", "make_model", "colour",
                               "vin", "created_at")),
        ("persons", Person, ("id", "name", "id_number", "phone", "address", "is_company",
                             "created_at")),
        ("cases", Case, CASE_COLUMNS),
        ("officers", CaseOfficer, ("case_id", "user_id")),
        ("case_vehicles", CaseVehicle, ("case_id", "vehicle_id", "is_fake_plate")),
        ("parties", CaseParty, ("case_id", "person_id", "role")),
        ("steps", CaseStep, ("case_id", "action", "from_status", "to_status", "actor_id", "at",
                             "note", "data")),
        ("clocks", CaseClock, ("case_id", "name", "start_on", "due_on", "done_on")))}

    pick_violation = _Picker([(c, VIOLATIONS[c][0]) for c in VIOLATIONS if c in violations])
    pick_origin = _Picker(ORIGINS)
    pick_destiny = _Picker(DESTINIES)
    pick_stuck = _Picker(STUCK_AT)
    pick_tier = _Picker([("first", 65), ("general", 25), ("serious", 10)])
    pick_hotspot = _Picker([(h, h[4]) for h in HOTSPOTS])
    by_district: dict[str, list] = {}
    for h in HOTSPOTS:
        by_district.setdefault(h[0], []).append((h, h[4]))
    district_hotspots = {d: _Picker(w) for d, w in by_district.items()}
    total_weight = sum(h[4] for h in HOTSPOTS)
    pick_unit = _Picker([
        ((unit.id, unit.code, district), CITY_SHARE if district is None else
         sum(h[4] for h in HOTSPOTS if h[0] == district) / total_weight)
        for unit, district in units])

    # Day indices: 0 is the local day SPAN_DAYS ago; dates and due dates are cached per index.
    base_day = today - dt.timedelta(days=SPAN_DAYS)
    base_utc = dt.datetime.combine(base_day, dt.time(), tzinfo=LOCAL).astimezone(UTC)
    today_i = SPAN_DAYS
    days = [base_day + dt.timedelta(days=i) for i in range(SPAN_DAYS + 400)]
    day_out = [d.isoformat() for d in days] if raw else days
    years = [d.year for d in days]
    due_cache: dict[tuple[int, int], dt.date] = {}

    def due(start_i: int, length: int) -> dt.date:
        key = (start_i, length)
        found = due_cache.get(key)
        if found is None:
            found = due_cache[key] = deadlines.deadline(days[start_i], length, cal,
                                                        working_day_periods=periods)
        return found

    def out(day: Optional[dt.date]):
        return None if day is None else (day.isoformat() if raw else day)

    keys = _timeline(rng, n, now, base_utc)
    forced = _forced(rng, keys, int((now - base_utc).total_seconds()))
    registry = _Registry(rng, _next_id(conn, Vehicle.id), _next_id(conn, Person.id), n, stamp)
    next_case_id = _next_id(conn, Case.id)
    counters_before = _counters(conn)
    counters = dict(counters_before)
    by_status = dict.fromkeys(STATUSES, 0)
    overdue = 0
    delta = dt.timedelta
    receipt_serial = rng.randint(10**7, 5 * 10**7)
    rnd = rng.random
    gauss = rng.gauss
    sample = rng.sample

    def at_on(day_i: int, floor: dt.datetime) -> dt.datetime:
        """A time in office hours on day ``day_i``, not before ``floor`` nor after now."""
        t = base_utc + delta(seconds=day_i * 86400 + 32400 + int(rnd() * 30600))
        if t <= floor:
            t = floor + delta(seconds=300 + int(rnd() * 3000))
        return t if t < now else now

    with _SqliteBulk(conn):
        for start in range(0, n, batch_size):
            cases, officers, vehicles, parties, steps, clock_rows = [], [], [], [], [], []
            for index in range(start, min(n, start + batch_size)):
                packed = keys[index]
                created_s, delay = packed >> 20, packed & 0xFFFFF
                created_at = base_utc + delta(seconds=created_s)
                cday = created_s // 86400
                unit_id, unit_code, district = pick_unit(rnd)
                code = pick_violation(rnd)
                _w, pool, (fare_lo, fare_hi), transfer_share = VIOLATIONS[code]
                vt_id, tiers, vt_min, vt_max = violations[code]
                # where
                if district is None:
                    spot = pick_hotspot(rnd)
                elif rnd() < ELSEWHERE:
                    spot = None
                else:
                    spot = district_hotspots[district](rnd)
                if spot is None:
                    lat_lo, lat_hi, lng_lo, lng_hi = AREAS[district]
                    lat = round(lat_lo + rnd() * (lat_hi - lat_lo), 6)
                    lng = round(lng_lo + rnd() * (lng_hi - lng_lo), 6)
                    short, _slug, roads = DISTRICTS[district]
                    place = f"{short}区{roads[int(rnd() * len(roads))]}" \
                            f"{1 + int(rnd() * 300)}号附近"
                else:
                    lat = round(spot[2] + gauss(0, 0.0025), 6)
                    lng = round(spot[3] + gauss(0, 0.0025), 6)
                    place = spot[5][int(rnd() * len(spot[5]))]
                # who
                officer_ids, leader_ids = staff[unit_id]
                team = sample(officer_ids, min(len(officer_ids), 3 if rnd() < 0.15 else 2))
                if len(team) < 2 and leader_ids and leader_ids[0] not in team:
                    team.append(leader_ids[0])
                creator = team[0]
                leader = leader_ids[0] if leader_ids else creator
                case_id = next_case_id
                next_case_id += 1
                for user_id in team:
                    officers.append((case_id, user_id))
                vehicle_id, plate, owner = registry.vehicle(pool, created_at)
                vehicles.append((case_id, vehicle_id, code == "GA-JP"))
                driver_index = owner if rnd() < 0.8 else int(rnd() * registry.person_pool)
                driver_id, driver_name, _addr = registry.person(driver_index, created_at)
                parties.append((case_id, driver_id, "driver"))
                company = None
                if code == "FY-ZL":
                    company = registry.company(int(rnd() * 40), created_at)
                    parties.append((case_id, company[0], "company"))
                elif driver_index != owner and rnd() < 0.5:
                    owner_id = registry.person(owner, created_at)[0]
                    if owner_id != driver_id:
                        parties.append((case_id, owner_id, "owner"))
                if code == "FY-KY" and rnd() < 0.06:
                    organiser_id = registry.person(int(rnd() * 50), created_at)[0]
                    if organiser_id != driver_id:
                        parties.append((case_id, organiser_id, "organiser"))
                # when: the path through the procedure, cut short by its destiny and by today
                destiny, stuck = forced.get(index) or (pick_destiny(rnd), None)
                if index not in forced:
                    if destiny == "stuck":
                        stuck = pick_stuck(rnd)
                    if destiny in ("closed", "court", "stuck") and rnd() < transfer_share:
                        destiny = "transferred"  # police matters go to the police
                r = rnd()
                reg = cday + (0 if r < 0.6 else 1 if r < 0.85 else 2 if r < 0.95 else 3)
                inv = reg + int(rnd() * 3)
                rev = inv + 7 + int(rnd() * 34) + (30 + int(rnd() * 30) if rnd() < 0.03 else 0)
                ntf = rev + 1 + int(rnd() * 6)
                waived = rnd() < 0.25
                if waived:
                    dec = ntf + 1 + int(rnd() * 3)
                else:
                    dec = ntf + 5 + int(rnd() * 16)
                    statement_due = due(ntf, statement_days)
                    while days[dec] <= statement_due:
                        dec += 1
                court = destiny == "court"
                if court:
                    exe = dec + 90 + int(rnd() * 60)
                else:
                    exe = dec + (1 + int(rnd() * 14) if rnd() < 0.88 else 16 + int(rnd() * 30))
                path = (cday, reg, inv, rev, ntf, dec, exe, exe + 1 + int(rnd() * 15))
                exit_status = exit_day = None
                if destiny in ("closed", "court"):
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
                finished_day = None
                if exit_status and k == limit and exit_day <= today_i:
                    status, finished_day = exit_status, exit_day
                by_status[status] += 1
                # numbers and what the file says
                year = years[cday]
                seq = counters.get((unit_id, year), 0) + 1
                counters[(unit_id, year)] = seq
                number = format_number(unit_code, year, seq)
                fare = fare_lo + int(rnd() * (fare_hi - fare_lo))
                facts = FACTS[code].format(
                    name=driver_name, plate=plate, place=place, fare=fare,
                    pax=1 + int(rnd() * 4), dest=DESTINATIONS[int(rnd() * len(DESTINATIONS))],
                    company=company[1] if company else "")
                origin = pick_origin(rnd)
                origin_ref = None
                if origin == "hotline":
                    origin_ref = f"{'12328' if rnd() < 0.6 else '12345'}-{day_out[cday]}-" \
                                 f"{int(rnd() * 10000):04d}"
                elif origin == "transfer":
                    origin_ref = f"移送函〔{year}〕{int(rnd() * 300) + 1}号"
                tier = proposed = fine = confiscated = justification = None
                flagged = False
                paid_on = receipt_no = court_on = None
                if k >= 3:
                    tier = pick_tier(rnd)
                    lo, hi = tiers.get(tier, (vt_min, vt_max))
                    step = 500 if hi - lo >= 5000 else 100 if hi - lo >= 1000 else 50
                    proposed = lo + step * int(rnd() * ((hi - lo) // step + 1))
                    if rnd() < 0.005 and hi < vt_max:
                        proposed, flagged, justification = vt_max, True, JUSTIFICATION
                    if code in ("FY-KY", "FY-WY", "FY-CZ") and rnd() < 0.3:
                        confiscated = money(fare * (1 + int(rnd() * 20)))
                    if k >= 5:
                        fine = proposed
                    proposed = money(proposed)
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
                        TRANSFER_TO[0 if code.startswith("GA") else int(rnd() * 3)]
                elif status == "withdrawn":
                    withdraw_reason = WITHDRAW_REASONS[int(rnd() * len(WITHDRAW_REASONS))]
                # the create step and the step into the current status
                created_out = stamp(created_at)
                steps.append((case_id, "create", "draft", "draft", creator, created_out, "",
                              as_json({"number": number})))
                updated_out = created_out
                if status != "draft":
                    updated_out = stamp(at_on(finished_day if finished_day is not None
                                              else path[k], created_at))
                    if finished_day is not None:
                        source = STAGES[k]
                        data = {"transferred_to": transferred_to} if transferred_to else {}
                    else:
                        source = STAGES[k - 1]
                        data = {}
                        if k >= 6:
                            data = {"paid_on": paid_on} if paid_on else \
                                {"court_enforcement_on": court_on}
                        elif k == 5:
                            data = {"fine_amount": f"{fine}.00", "statement_waived": waived}
                        elif k == 3:
                            data = {"proposed_fine": f"{proposed:.2f}"}
                    steps.append((case_id, "transition", source, status,
                                  leader if status in LEADER_STEPS else creator, updated_out,
                                  withdraw_reason or (f"移送{transferred_to}" if transferred_to
                                                      else ""), as_json(data)))
                # the clocks, as clocks.compute() stores them
                registered_on = notified_on = decided_on = None
                if k >= 1:
                    registered_on = day_out[reg]
                    decided_i = dec if k >= 5 else None
                    done_i = decided_i if decided_i is not None else finished_day
                    due_on = due(reg, decision_days)
                    clock_rows.append((case_id, "decision", registered_on, out(due_on),
                                       None if done_i is None else day_out[done_i]))
                    if done_i is None and due_on < today:
                        overdue += 1
                    if k >= 4:
                        notified_on = day_out[ntf]
                        due_on = due(ntf, statement_days)
                        clock_rows.append((case_id, "statement", notified_on, out(due_on),
                                           None if decided_i is None else day_out[decided_i]))
                        if decided_i is None and due_on < today:
                            overdue += 1
                    if k >= 5:
                        decided_on = day_out[dec]
                        done = paid_on or court_on
                        due_on = due(dec, fine_days)
                        clock_rows.append((case_id, "fine_payment", decided_on, out(due_on),
                                           done))
                        if done is None and due_on < today:
                            overdue += 1
                cases.append((
                    case_id, number, unit_id, year, seq, status, origin, origin_ref,
                    stamp(created_at - delta(seconds=delay)), place, lat, lng, vt_id, facts,
                    "驾驶证、行驶证" if rnd() < 0.1 else None, creator, created_out, updated_out,
                    registered_on, notified_on, decided_on, day_out[exe] if k >= 6 else None,
                    day_out[path[7]] if k >= 7 else None, tier, proposed,
                    None if fine is None else money(fine), confiscated, flagged, justification,
                    waived and k >= 5, paid_on, receipt_no, court_on, transferred_to,
                    withdraw_reason))
            new_vehicles, new_persons = registry.take_rows()
            write["vehicles"](new_vehicles)
            write["persons"](new_persons)
            write["cases"](cases)
            write["officers"](officers)
            write["case_vehicles"](vehicles)
            write["parties"](parties)
            write["steps"](steps)
            write["clocks"](clock_rows)

    _save_counters(conn, counters_before, counters)
    _fix_sequences(conn)
    stats = {"cases": n, "vehicles": registry.created_vehicles,
             "persons": registry.created_persons, "users_created": created_users,
             "by_status": by_status, "overdue_clocks": overdue, "seed": seed}
    audit.record("demo.cases", actor=None, object_type="cases", detail=stats)
    stats["seconds"] = round(time.perf_counter() - started, 2)
    return stats

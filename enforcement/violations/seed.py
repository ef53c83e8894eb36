"""The eight seed violation types with their legal basis and discretion tiers (editable data).

Ranges follow the national rules in force (道路运输条例 2023, 出租汽车/网约车 rules, 道路交通安全法);
each city adjusts them on the catalogue page.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from core.models import Department
from enforcement.violations.models import DiscretionTier, Tier, ViolationType
from extensions import db

D = Decimal
SEED = [
    ("FY-KY", "未取得道路运输经营许可擅自从事道路客运经营",
     "Road passenger transport without an operating licence",
     "《道路运输条例》第十条", "《道路运输条例》第六十三条第（二）项",
     Department.transport, D(10000), D(100000),
     [(Tier.first, D(10000), D(30000)), (Tier.general, D(30000), D(60000)),
      (Tier.serious, D(60000), D(100000))]),
    ("FY-CZ", "未取得出租汽车经营许可擅自从事出租汽车经营",
     "Taxi operation without a taxi operating licence",
     "《巡游出租汽车经营服务管理规定》第十一条", "《巡游出租汽车经营服务管理规定》第四十五条",
     Department.transport, D(5000), D(20000),
     [(Tier.first, D(5000), D(10000)), (Tier.general, D(10000), D(15000)),
      (Tier.serious, D(15000), D(20000))]),
    ("FY-WY", "未取得网络预约出租汽车经营许可从事网约车经营",
     "Ride-hailing without a ride-hailing licence",
     "《网络预约出租汽车经营服务管理暂行办法》第五条、第十三条",
     "《网络预约出租汽车经营服务管理暂行办法》第三十四条",
     Department.transport, D(10000), D(30000),
     [(Tier.first, D(10000), D(15000)), (Tier.general, D(15000), D(20000)),
      (Tier.serious, D(20000), D(30000))]),
    ("FY-MT", "摩托车非法载客营运", "Motorcycle carrying paying passengers",
     "《道路运输条例》第十条", "《道路运输条例》第六十三条",
     Department.transport, D(1000), D(10000),
     [(Tier.first, D(1000), D(3000)), (Tier.general, D(3000), D(6000)),
      (Tier.serious, D(6000), D(10000))]),
    ("FY-DB", "残疾人机动轮椅车（代步车）非法营运",
     "Illegal operation of a mobility vehicle for the disabled",
     "《道路交通安全法》第五十条", "地方性法规有关残疾人机动轮椅车非法营运的规定",
     Department.transport, D(200), D(2000),
     [(Tier.first, D(200), D(500)), (Tier.general, D(500), D(1000)),
      (Tier.serious, D(1000), D(2000))]),
    ("FY-ZL", "汽车租赁、旅游企业超越许可范围从事客运经营",
     "Rental or tourism company operating beyond its licence",
     "《道路运输条例》第三十五条", "《道路运输条例》第六十六条",
     Department.transport, D(3000), D(10000),
     [(Tier.first, D(3000), D(5000)), (Tier.general, D(5000), D(8000)),
      (Tier.serious, D(8000), D(10000))]),
    ("GA-JP", "使用伪造、变造或者其他车辆号牌（假牌、套牌）",
     "Fake or cloned plates",
     "《道路交通安全法》第十六条", "《道路交通安全法》第九十六条",
     Department.police, D(2000), D(5000),
     [(Tier.first, D(2000), D(3000)), (Tier.general, D(3000), D(4000)),
      (Tier.serious, D(4000), D(5000))]),
    ("GA-KF", "阻碍、暴力抗拒执法", "Obstructing or violently resisting enforcement",
     "《治安管理处罚法》第五十条", "《治安管理处罚法》第五十条",
     Department.police, D(200), D(500),
     [(Tier.first, D(200), D(300)), (Tier.general, D(300), D(400)),
      (Tier.serious, D(400), D(500))]),
]


def seed_violation_types() -> int:
    """Create the seed types that do not exist yet (by code); returns how many were added."""
    existing = set(db.session.scalars(select(ViolationType.code)))
    added = 0
    for code, zh, en, basis, penalty, dept, low, high, tiers in SEED:
        if code in existing:
            continue
        vt = ViolationType(code=code, name_zh=zh, name_en=en, legal_basis=basis,
                           penalty_basis=penalty, department=dept, min_fine=low, max_fine=high)
        vt.tiers = [DiscretionTier(tier=t, min_fine=a, max_fine=b) for t, a, b in tiers]
        db.session.add(vt)
        added += 1
    db.session.flush()
    return added

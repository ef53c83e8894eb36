"""Demo cases: the fixed data the generator draws from (districts, hotspots, violations, names,
plates, vehicle models, destinies) and small helpers on it. See :mod:`enforcement.cases.demo`."""
from __future__ import annotations

import datetime as dt
import operator
from zoneinfo import ZoneInfo

from core.roles import Role

LOCAL = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc
SPAN_DAYS = 3 * 365


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


def _table(weighted, size: int = 4096) -> list:
    """A lookup table for weighted choices: ``table[int(random() * len(table))]``."""
    total = sum(w for _item, w in weighted)
    table = []
    for item, weight in weighted:
        table += [item] * max(1, round(size * weight / total))
    return table

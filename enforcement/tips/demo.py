"""Demo tips and rewards: a year of tips around Chongqing's hotspots, a five-day campaign burst
with many duplicates about the same vehicles, verdicts, rewards in every state and budgets
partly spent. Deterministic for a seed and a day.

Demo receipt codes share one secret (one slow hash instead of hundreds); the step prints one
code so the public status page can be tried.
"""
from __future__ import annotations

import datetime as dt
import random
import secrets
from decimal import Decimal
from typing import Optional

from sqlalchemy import select

from core import crypto, geo
from core.base import utcnow
from core.models import Unit, User
from core.roles import Role
from enforcement.cases.models import Case
from enforcement.tips import services
from enforcement.tips.models import (
    Tip,
    TipCase,
    TipChannel,
    TipMessage,
    TipPlate,
    TipStatus,
    TipVerdict,
)
from enforcement.tips.reward_models import (
    PaymentMethod,
    Reward,
    RewardBudget,
    RewardShare,
    RewardStatus,
    RewardTier,
)
from extensions import db

HOTSPOTS = [("重庆北站北广场", 29.6075, 106.5513), ("江北机场T3航站楼", 29.7196, 106.6417),
            ("解放碑步行街", 29.5577, 106.5774), ("观音桥商圈", 29.5753, 106.5317),
            ("洪崖洞", 29.5629, 106.5790), ("沙坪坝站", 29.5580, 106.4570),
            ("重庆西站", 29.4960, 106.4310)]
WHAT = ["黑车站外拉客", "私家车非法营运", "网约车未取得许可载客", "摩托车非法载客", "出站口揽客拼车"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林罗高"
BUDGETS = {"500000": 200_000, "500112": 60_000, "500103": 40_000}


def _plate(rng: random.Random) -> str:
    letters = "ABCDFGH"
    return f"渝{rng.choice(letters)}{rng.randrange(10000, 99999)}"


def _at(now: dt.datetime, days_ago: float, rng: random.Random) -> dt.datetime:
    return now - dt.timedelta(days=days_ago, minutes=rng.randrange(0, 600))


class _Maker:
    def __init__(self, rng: random.Random, now: dt.datetime, secret_hash: str):
        self.rng, self.now, self.secret_hash = rng, now, secret_hash
        self.reviewer = db.session.scalar(select(User).where(User.role == Role.tip_reviewer)
                                          .order_by(User.id))
        self.root = services.root_unit()
        self.made: list[Tip] = []  # their units are found together by locate()

    def tip(self, days_ago: float, plate: Optional[str], named: bool) -> Tip:
        rng = self.rng
        place, lat, lng = rng.choice(HOTSPOTS)
        lat += rng.uniform(-0.002, 0.002)
        lng += rng.uniform(-0.002, 0.002)
        created = _at(self.now, days_ago, rng)
        channel = rng.choice([TipChannel.web] * 6 + [TipChannel.hotline_12328,
                                                     TipChannel.hotline_12345])
        lookup = services._random_chars(services.LOOKUP_CHARS)
        tip = Tip(status=TipStatus.received, channel=channel,
                  what=rng.choice(WHAT), description=f"{place}附近有车辆以每人{rng.randrange(30, 80)}"
                  f"元揽客，车牌{plate or '未看清'}。", address=place, lat=lat, lng=lng,
                  occurred_at=created - dt.timedelta(minutes=rng.randrange(10, 240)),
                  receipt_lookup=lookup, receipt_hash=self.secret_hash,
                  identity_salt=secrets.token_hex(16), wants_reward=named, created_at=created,
                  messages=[],  # known empty: a reply appended later loads nothing
                  created_by_id=self.reviewer.id if channel is not TipChannel.web and
                  self.reviewer else None,
                  accept_due_on=(created + dt.timedelta(days=1)).date())
        if named:
            phone = f"13{rng.randrange(0, 10)}{rng.randrange(10_000_000, 99_999_999)}"
            name = rng.choice(SURNAMES) + rng.choice(["先生", "女士", "伟", "芳", "强"])
            tip.name_enc = crypto.encrypt_text(name, context=services.identity_context(tip, "name"))
            tip.phone_enc = crypto.encrypt_text(phone,
                                                context=services.identity_context(tip, "phone"))
            tip.phone_index = services.phone_index(phone)
        if plate:
            tip.plates = [TipPlate(plate=plate)]
        db.session.add(tip)
        self.made.append(tip)
        return tip

    def locate(self) -> None:
        """Each tip's unit: the deepest unit whose boundary holds its point (else the city)."""
        units = geo.units_for_points([(t.lat, t.lng) for t in self.made])
        for tip, unit in zip(self.made, units):
            unit = unit or self.root
            tip.unit_id = unit.id if unit else None

    def review(self, tip: Tip, verdict: Optional[str]) -> None:
        """Accept (and conclude with ``verdict``) on plausible dates."""
        rng, created = self.rng, tip.created_at
        tip.status, tip.accepted_at = TipStatus.accepted, created + dt.timedelta(hours=rng
                                                                                 .randrange(2, 30))
        tip.conclude_due_on = (tip.accepted_at + dt.timedelta(days=15)).date()
        if verdict is None:
            return
        concluded = tip.accepted_at + dt.timedelta(days=rng.randrange(2, 18))
        if concluded > self.now:
            tip.status = TipStatus.investigating
            return
        tip.verdict, tip.verdict_reason = TipVerdict(verdict), {
            "verified": "经现场蹲守查获，举报属实", "partly_verified": "部分属实，车辆已查获",
            "unfounded": "经核查未发现非法营运行为", "unverifiable": "车牌无法识别，无法核实"}[verdict]
        tip.status, tip.concluded_at = TipStatus(verdict), concluded
        tip.reply_due_on = (concluded + dt.timedelta(days=5)).date()
        replied = concluded + dt.timedelta(days=rng.randrange(1, 7))
        if replied < self.now:
            tip.messages.append(TipMessage(from_informant=False, body="您的举报已办结，感谢支持。",
                                           author_id=self.reviewer.id if self.reviewer else None,
                                           at=replied))
            tip.replied_at = replied
            if rng.random() < 0.7:
                tip.status = TipStatus.closed


def _budgets(year: int, by_code: dict, actor: User) -> None:
    for code, amount in BUDGETS.items():
        unit = by_code.get(code)
        for y in (year - 1, year):
            if unit is not None and db.session.scalar(select(RewardBudget.id).where(
                    RewardBudget.unit_id == unit.id, RewardBudget.year == y)) is None:
                db.session.add(RewardBudget(unit_id=unit.id, year=y, amount=Decimal(amount),
                                            note="年度举报奖励经费", updated_by_id=actor.id))


def _funding(unit: Unit, by_code: dict) -> Unit:
    for code in ("500112", "500103"):
        district = by_code.get(code)
        if district is not None and unit.is_within(district):
            return district
    return by_code["500000"]


def _reward(tip: Tip, maker: _Maker, by_code: dict, users: dict, status: RewardStatus,
            n: int) -> Reward:
    rng = maker.rng
    proposed = tip.concluded_at + dt.timedelta(days=rng.randrange(1, 5))
    tier = rng.choice([RewardTier.case_registered] * 3 + [RewardTier.penalty_decision] * 2 +
                      [RewardTier.major])
    amount = Decimal({RewardTier.case_registered: 500, RewardTier.penalty_decision: 800,
                      RewardTier.major: 1000}[tier])
    reward = Reward(tip_id=tip.id, unit_id=tip.unit_id, funding_unit_id=_funding(
        tip.unit, by_code).id, year=proposed.year, tier=tier, amount=amount, status=status,
        reason="举报属实，依据有奖举报办法给予奖励", proposed_by_id=users["reviewer"].id,
        proposed_at=proposed)
    reward.shares = [RewardShare(tip_id=tip.id, amount=amount)]
    if status is not RewardStatus.proposed:
        decided = proposed + dt.timedelta(days=rng.randrange(1, 4))
        reward.decided_at = decided
        reward.contest_due_on = decided.date() + dt.timedelta(days=15)
        reward.approved_by_id = users["leader"].id if status is not RewardStatus.rejected \
            else None
        reward.decision_note = "证据不足，不予奖励" if status is RewardStatus.rejected else "同意"
        if status in (RewardStatus.approved, RewardStatus.paid, RewardStatus.expired):
            reward.claim_due_on = decided.date() + dt.timedelta(days=90)
    if status is RewardStatus.paid:
        reward.paid_by_id, reward.paid_at = users["finance"].id, reward.decided_at + \
            dt.timedelta(days=rng.randrange(3, 20))
        reward.payment_method = rng.choice(list(PaymentMethod))
        reward.payment_date = reward.paid_at.date()
        reward.voucher_no = f"JB-{reward.paid_at.year}-{n:05d}"
    if status is RewardStatus.rejected and n % 2 == 0:
        reward.contested_at = reward.decided_at + dt.timedelta(days=2)
        reward.contest_text = "我提供了车辆照片，请重新核查。"
    db.session.add(reward)
    return reward


def load_tips(seed: int = 1, *, count: int = 600, now: Optional[dt.datetime] = None) -> str:
    """Create the demo tips and rewards (idempotent: nothing is added when tips exist)."""
    if db.session.scalar(select(Tip.id).limit(1)) is not None:
        return "tips already present"
    rng = random.Random(f"tips-{seed}")
    now = now or utcnow()
    secret, secret_hash = services.shared_receipt_secret()
    maker = _Maker(rng, now, secret_hash)
    by_code = {u.code: u for u in db.session.scalars(select(Unit))}
    users = {u.username: u for u in db.session.scalars(select(User))}
    if not {"reviewer", "leader", "finance", "city"} <= set(users) or "500000" not in by_code:
        return "skipped (demo units and users are missing)"
    _budgets(now.year, by_code, users["city"])
    cases = db.session.scalars(select(Case.id).where(Case.registered_on.is_not(None))
                               .order_by(Case.id).limit(400)).all()
    tips: list[Tip] = []
    with db.session.no_autoflush:  # the tips are flushed together below, not one per look-up
        for _ in range(count):
            days_ago = rng.uniform(0, 365)
            tip = maker.tip(days_ago, _plate(rng) if rng.random() < 0.8 else None,
                            named=rng.random() < 0.55)
            tips.append(tip)
        # The campaign: a five-day burst of tips about a few dozen vehicles, two months ago.
        fleet = [_plate(rng) for _ in range(40)]
        burst = [maker.tip(60 + rng.uniform(0, 5), rng.choice(fleet), named=rng.random() < 0.5)
                 for _ in range(160)]
        maker.locate()
    db.session.flush()
    first_by_plate: dict[str, Tip] = {}
    for tip in sorted(burst, key=lambda t: t.created_at):
        primary = first_by_plate.setdefault(tip.plate_list[0], tip)
        if primary is not tip:
            tip.merged_into_id, tip.status = primary.id, TipStatus.closed
    verdicts = ["verified"] * 9 + ["partly_verified"] * 2 + ["unfounded"] * 5 + \
        ["unverifiable"] * 4
    for tip in tips + list(first_by_plate.values()):
        age = (now - tip.created_at).days
        if age < 2 and rng.random() < 0.7:
            continue  # still received
        tip_verdict = None if age < 10 and rng.random() < 0.5 else rng.choice(verdicts)
        maker.review(tip, tip_verdict)
    db.session.flush()
    rewarded = [t for t in tips + list(first_by_plate.values())
                if t.verdict is not None and t.verdict.value in ("verified", "partly_verified")
                and t.phone_index is not None and t.concluded_at < now - dt.timedelta(days=3)]
    counts = {s: 0 for s in RewardStatus}
    for n, tip in enumerate(sorted(rewarded, key=lambda t: t.concluded_at), start=1):
        if cases:
            db.session.add(TipCase(tip_id=tip.id, case_id=cases[n % len(cases)],
                                   linked_by_id=users["reviewer"].id, linked_at=tip.concluded_at))
        age = (now - tip.concluded_at).days
        status = (RewardStatus.proposed if age < 7 else
                  RewardStatus.approved if age < 30 else
                  RewardStatus.expired if age > 150 and n % 9 == 0 else
                  RewardStatus.rejected if n % 11 == 0 else RewardStatus.paid)
        counts[status] += 1
        _reward(tip, maker, by_code, users, status, n)
    db.session.commit()
    example = next((t for t in tips if t.verdict is not None and t.phone_index), tips[0])
    code = services.format_receipt(example.receipt_lookup, secret)
    summary = ", ".join(f"{s.value} {c}" for s, c in counts.items())
    return (f"{len(tips) + len(burst)} tips ({len(burst)} in a five-day campaign about "
            f"{len(first_by_plate)} vehicles), rewards: {summary}; try the status page with "
            f"receipt code {code}")
